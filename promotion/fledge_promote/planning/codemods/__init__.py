"""The promote rewrites, one LibCST codemod command per module, and the runner for them."""

from ._runner import CodemodResult, run_commands
from .add_deprecation_warning import DEPRECATION_MARKER, AddDeprecationWarningCommand
from .add_exports import AddExportsCommand, ExportClashError, submodule_of
from .deprecate_exports import DEPRECATED_IMPORT, DeprecateExportsCommand
from .fix_relative_imports import FixRelativeImportsCommand
from .make_imports_relative import MakeImportsRelativeCommand
from .mark_deprecated import MarkDeprecatedCommand
from .rewrite_docstring_references import RewriteDocstringReferencesCommand
from .rewrite_dotted_strings import RewriteDottedStringsCommand
from .rewrite_imports import RewriteImportsCommand
from .rewrite_stage_expectations import RewriteStageExpectationsCommand
from .sort_relative_imports import SortRelativeImportsCommand
from .update_manifest import UpdateManifestCommand

__all__ = [
    "DEPRECATED_IMPORT",
    "DEPRECATION_MARKER",
    "AddDeprecationWarningCommand",
    "AddExportsCommand",
    "CodemodResult",
    "DeprecateExportsCommand",
    "ExportClashError",
    "FixRelativeImportsCommand",
    "MakeImportsRelativeCommand",
    "MarkDeprecatedCommand",
    "RewriteDocstringReferencesCommand",
    "RewriteDottedStringsCommand",
    "RewriteImportsCommand",
    "RewriteStageExpectationsCommand",
    "SortRelativeImportsCommand",
    "UpdateManifestCommand",
    "run_commands",
    "submodule_of",
]
