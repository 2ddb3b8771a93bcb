"""The experimental namespace's notice, read from its ``__init__`` so that a demotion's
shim can import the new module without giving it (the user gets one warning: the shim's)."""

from __future__ import annotations

import textwrap

import pytest
from promote_helpers import python, write

from fledge_promote.planning._notice import ExperimentalNotice, experimental_notice
from fledge_promote.planning._shims import shim_source
from fledge_promote.planning.pruning import read_module
from fledge_promote.repository._config import PromoteConfig
from fledge_promote.repository._repo import Repo
from fledge_promote.repository._style import TargetStyle

CONFIG = PromoteConfig(source_root=".", experimental_package="lib.experimental")


def _notice(tmp_path, init: str) -> ExperimentalNotice | None:
    folder = tmp_path / "lib/experimental"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(textwrap.dedent(init))
    return experimental_notice(Repo(tmp_path), CONFIG)


@pytest.mark.parametrize(("init", "expected"), [
    ('import warnings\nwarnings.warn("Importing from \'lib.experimental\' (v{0}). Careful.",'
     " UserWarning)\n", ExperimentalNotice("UserWarning", "Importing from 'lib\\.experimental' "
                                                         "\\(v")),
    ("from fledge import Host\n\nfrom ..warnings import LibExperimentalWarning\n\n"
     'host = Host("lib.experimental", warning=LibExperimentalWarning)\n'
     "__getattr__, __dir__ = host.serve()\n",
     ExperimentalNotice("lib.warnings.LibExperimentalWarning")),
    ('import fledge\n\nhost = fledge.Host("lib.experimental")\n',
     ExperimentalNotice("fledge.ExperimentalWarning")),
    ('"""Experimental features: no notice."""\n', None),
    ('import warnings\nwarnings.warn("x", make_category())\n', None),
], ids=["module-warning", "host-class", "host-default", "none", "unknown-category"])
def test_the_notice_is_read_from_the_experimental_init(tmp_path, init, expected):
    assert _notice(tmp_path, init) == expected


def test_the_quiet_import_ignores_the_notice_only(tmp_path):
    # a fledge host's feature module: importing it gives the notice (and a warning of its own)
    write(tmp_path, {
        "lib/__init__.py": "",
        "lib/experimental/__init__.py": "",
        "lib/experimental/new.py": """
            import warnings

            import fledge

            warnings.warn("lib.experimental.new is experimental", fledge.ExperimentalWarning)
            warnings.warn("numpy is old", UserWarning)


            def thing() -> int:
                return 1
            """,
    })
    text = shim_source("lib.old", "lib.experimental.new", {"lib.experimental.new": ["thing"]},
                       message="lib.old moved; removed in 0.4.", version="0.2", removal="0.4",
                       style=TargetStyle(), quiet=ExperimentalNotice("fledge.ExperimentalWarning"))
    assert ("with warnings.catch_warnings():\n"
            "    # the experimental namespace's own notice: this import is the shim's\n"
            "    from fledge import ExperimentalWarning as _Notice\n"
            '    warnings.filterwarnings("ignore", category=_Notice)\n'
            "    from lib.experimental import new as _new\n") in text, text
    (tmp_path / "lib/old.py").write_text(text)
    done = python(tmp_path, """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from lib.old import thing
        print([f"{w.category.__name__}: {w.message}" for w in caught], thing())
        """, ".")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("['UserWarning: numpy is old', 'FutureWarning: lib.old moved; "
                                   "removed in 0.4.'] 1")
    reading = read_module("lib/old.py", "lib.old", text)  # prune knows it by its shape
    assert reading is not None and reading.whole and reading.shims[0].rule == "re-export module"
