"""``prune``'s parts: deprecation shims recognised by their shape, whoever wrote them, the
export entries that point at them, and the two LibCST commands that remove them.

A shim keeps an old import path working while it warns that the path goes away. fledge's
own carry a marker comment; TRL's and most libraries' are written by hand. Both are found
here by what the code does, read with ``ast`` (nothing is imported):

- ``re-export module``: a module of nothing but imports, ``__all__`` and a module-level
  ``warnings.warn`` (fledge's promote and demote shims);
- ``warning subclass``: ``class Name(_Name)`` over a class imported from elsewhere, whose
  methods only warn and hand on to ``super()`` (TRL's ``CPOTrainer(_CPOTrainer)``), or a
  bodiless subclass decorated with PEP 702's ``@deprecated``;
- ``warning function``: a function that only warns and returns the imported function's
  result (TRL's ``merge_models``), or is decorated with ``@deprecated`` and only delegates;
- ``deprecated alias``: ``Name = deprecated(...)(_Name)``.

The removal version is read from the marker comment, else the warning's (or
``@deprecated``'s) text ("removed in 0.29", "no longer supported in TRL 0.29", "in version
0.29.0"), else the module docstring. A definition that warns of removal but also holds real
code, or a shim without a removal version, is :class:`Unsure`: listed, never deleted.

The export entries (``_exports``) are a package ``__init__``'s lazy ``_import_structure``
names, its ``from .module import Name`` lines and ``__all__`` that re-export a shim,
followed from package to package. ``RemoveShimDefinitionsCommand`` takes shims out of a
real module with the imports only they used; ``RemoveShimExportsCommand`` takes the export
entries out of a package ``__init__`` (each a ``PromoteCommand`` of ``codemods``, one a
module, with before/after tests in ``tests/promotion/codemods/``).

May import: (inside ``planning``).
"""

from ._exports import DEPRECATED_IMPORT, ExportEntry, Inits, exports_of, marked_but_real, read_inits
from ._reader import read_module
from ._records import ModuleReading, Recognised, Unsure, removal_in
from .remove_shim_definitions import RemoveShimDefinitionsCommand
from .remove_shim_exports import RemoveShimExportsCommand

__all__ = [
    "DEPRECATED_IMPORT",
    "ExportEntry",
    "Inits",
    "ModuleReading",
    "Recognised",
    "RemoveShimDefinitionsCommand",
    "RemoveShimExportsCommand",
    "Unsure",
    "exports_of",
    "marked_but_real",
    "read_inits",
    "read_module",
    "removal_in",
]
