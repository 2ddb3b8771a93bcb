"""The experimental namespace's own notice, which a demotion's shims must not give.

A demotion's shim imports the feature's new module from the experimental namespace. That
import is no use of the namespace by the user (they used the old, stable path, and get the
shim's FutureWarning), so the shim ignores the namespace's notice around it, and only that:
its category, and its wording where the category is a common one (TRL 0.25 warns a plain
``UserWarning``, "You are importing from 'trl.experimental'...", when the package is
first imported). The notice is read from the experimental package's ``__init__`` with
``ast``, nothing is imported:

* a ``warnings.warn("...", Category)`` at top level (or under an ``if``): that category and
  the text before the message's first placeholder;
* a fledge ``Host(...)``: its ``warning=`` class, else ``fledge.ExperimentalWarning``.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from ..repository._config import PromoteConfig
from ..repository._repo import Repo
from ._paths import resolve_relative
from .pruning._ast import dotted

__all__ = ["ExperimentalNotice", "experimental_notice"]

_REGEX_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")  # re.escape, sparing spaces and quotes


@dataclass(frozen=True)
class ExperimentalNotice:
    """What the shim's import of the new module ignores.

    Attributes:
        category: the warning class, as a builtin name (``UserWarning``) or a dotted path
            to import it from (``trl.import_utils.TRLExperimentalWarning``).
        message: a regular expression the notice's text starts with; ``""`` for any text
            (the category is the notice's own).
    """

    category: str
    message: str = ""


def experimental_notice(repo: Repo, config: PromoteConfig) -> ExperimentalNotice | None:
    """The notice importing a module of ``config.experimental_package`` gives; None when
    its ``__init__`` gives none that can be read."""
    package = config.experimental_package
    text = repo.read(f"{config.experimental_dir}/__init__.py") or ""
    if "warn" not in text and "Host" not in text:
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    origins = _imported(tree, package)
    for node in _top_level(tree.body):
        call = node.value if isinstance(node, ast.Expr) else getattr(node, "value", None)
        if not isinstance(call, ast.Call):
            continue
        name = dotted(call.func)
        if name in ("warnings.warn", "warn") and len(call.args) >= 2:
            category = _category(call.args[1], origins)
            if category:
                return ExperimentalNotice(category, _start(call.args[0]))
        elif name and _resolved(name, origins) == "fledge.Host":
            given = [k.value for k in call.keywords if k.arg == "warning"]
            category = _category(given[0], origins) if given else "fledge.ExperimentalWarning"
            if category:
                return ExperimentalNotice(category)
    return None


def _top_level(body: list[ast.stmt]):
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            yield from _top_level(node.body + node.orelse)


def _imported(tree: ast.Module, package: str) -> dict[str, str]:
    """Each name the module imports at top level, to its absolute dotted origin."""
    origins = {}
    for node in _top_level(tree.body):
        if isinstance(node, ast.ImportFrom):
            base = resolve_relative(package, True, node.level, node.module) if node.level \
                else node.module
            for alias in node.names:
                if base and alias.name != "*":
                    origins[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                origins[alias.asname or alias.name] = alias.name
    return origins



def _resolved(name: str, origins: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    origin = origins.get(head, head)
    return f"{origin}.{rest}" if rest else origin


def _category(node: ast.expr, origins: dict[str, str]) -> str | None:
    """A builtin warning class by name, or the dotted path of an imported one."""
    name = dotted(node)
    if name is None:
        return None
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, Warning):
        return name
    if name.partition(".")[0] not in origins:
        return None
    resolved = _resolved(name, origins)
    return resolved if "." in resolved else None


def _start(node: ast.expr) -> str:
    """A regular expression for the text a message starts with: its literal part before a
    placeholder (a notice's wording may name the feature)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            text += part.value
    else:
        return ""
    return _REGEX_SPECIAL.sub(r"\\\1", text.split("{")[0].split(". ")[0].strip())
