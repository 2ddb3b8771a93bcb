"""The promote rewrites, one LibCST codemod command per module, and the runner for them."""

from ._runner import CodemodResult, run_commands
from .add_deprecation_warning import DEPRECATION_MARKER, AddDeprecationWarningCommand
from .add_exports import AddExportsCommand, ExportClashError, submodule_of
from .fix_relative_imports import FixRelativeImportsCommand
from .remove_exports import RemoveExportsCommand
from .rewrite_docstring_references import RewriteDocstringReferencesCommand
from .rewrite_dotted_strings import RewriteDottedStringsCommand
from .rewrite_imports import RewriteImportsCommand
from .rewrite_stage_expectations import RewriteStageExpectationsCommand
from .sort_relative_imports import SortRelativeImportsCommand
from .update_manifest import UpdateManifestCommand

__all__ = [
    "DEPRECATION_MARKER",
    "AddDeprecationWarningCommand",
    "AddExportsCommand",
    "CodemodResult",
    "ExportClashError",
    "FixRelativeImportsCommand",
    "RemoveExportsCommand",
    "RewriteDocstringReferencesCommand",
    "RewriteDottedStringsCommand",
    "RewriteImportsCommand",
    "RewriteStageExpectationsCommand",
    "SortRelativeImportsCommand",
    "UpdateManifestCommand",
    "run_commands",
    "submodule_of",
]
