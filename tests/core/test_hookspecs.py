"""The plugin contract stays honest: every hook is documented, in the docs, and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from fledge import hookspecs

REPO = Path(__file__).resolve().parents[2]
HOOKS = {
    name: function
    for name, function in vars(hookspecs).items()
    if name.startswith("fledge_") and callable(function)
}


def test_there_are_hooks_for_registration_loading_and_promotion():
    assert {"fledge_features", "fledge_feature_loaded", "fledge_promote_checks",
            "fledge_promote_docs_formats"} <= set(HOOKS)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_documents_every_parameter_and_its_return(name):
    function = HOOKS[name]
    doc = inspect.getdoc(function) or ""
    assert doc, f"{name} has no docstring"
    signature = inspect.signature(function)
    for parameter in signature.parameters:
        assert re.search(rf"^\s+{parameter}:", doc, re.M), f"{name}: {parameter} undocumented"
    if signature.return_annotation not in ("None", None, inspect.Signature.empty):
        assert "Returns:" in doc, f"{name} returns something but has no Returns: section"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_appears_in_the_docs_with_its_arguments(name):
    pages = "\n".join(p.read_text() for p in (REPO / "docs").rglob("*.md"))
    if "::: fledge.hookspecs" in pages:
        return  # mkdocstrings renders every hook's signature from the source
    arguments = ", ".join(inspect.signature(HOOKS[name]).parameters)
    assert f"{name}({arguments})" in pages


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_has_a_test_named_after_it(name):
    sources = "\n".join(p.read_text() for p in (REPO / "tests").rglob("test_*.py"))
    assert re.search(rf"^def test_{name}\b", sources, re.M), f"no test named test_{name}"


def test_fledge_features(fledge_site):
    """The registration hook: a plugin returns its manifests, the registry records them."""
    fledge_site.add("fledge-two", {
        "two": "import fledge\n@fledge.hookimpl\ndef fledge_features():\n"
               "    return [fledge.Feature(name=n, summary='s', module='m', exports=['x'],"
               " since='1.0') for n in ('first', 'second')]\n",
    })
    assert fledge_site.registry().names() == ["first", "second"]
