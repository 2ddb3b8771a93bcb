"""Every extra installs and works alone, in a fresh virtual environment, as a new user's would.

CI installs every extra at once, so a module one extra needs and only another declares goes
unnoticed there (``fledge[promote]`` once lacked markdown-it-py: ``promote retire`` failed
with ``ModuleNotFoundError``). Here each of ``fledge``, ``fledge[promote]``,
``fledge[docs]``, ``fledge[sphinx]`` and ``fledge[train]`` goes into its own bare
environment (nothing borrowed from the outer one) from one wheel of this checkout, its
dependencies from the package index through pip's cache, and runs its commands.
tests/test_dependencies.py is the quick static check of the same rule.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from venvs import make_venv, pip, run_clean

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run_clean(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
              "-q", "-w", out, REPO, timeout=300)
    [found] = out.glob("fledge-*.whl")
    return found


def fresh(tmp_path: Path, wheel: Path, extra: str, *first: str) -> Path:
    """A bare environment with ``first`` then ``fledge[extra]`` installed; its bin folder."""
    python = make_venv(tmp_path / f"venv-{extra or 'base'}", borrow=False)
    if first:
        pip(python, "install", "-q", *first, timeout=900)
    pip(python, "install", "-q", f"{wheel}[{extra}]" if extra else str(wheel), timeout=900)
    return python.parent


def run(bin_dir: Path, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = run_clean(bin_dir / argv[0], *argv[1:], cwd=cwd, check=False, timeout=600)
    output = done.stdout + done.stderr
    assert "ModuleNotFoundError" not in output and "No module named" not in output, output
    assert done.returncode in (0, 1), f"{argv} exited {done.returncode}:\n{output}"
    return done


def test_fledge_alone(tmp_path: Path, wheel: Path) -> None:
    bin_dir = fresh(tmp_path, wheel, "")
    assert "bema_for_ref_model" in run(bin_dir, "fledge", "list").stdout
    run(bin_dir, "fledge", "hosts")
    run(bin_dir, "fledge", "doctor", "--shallow")
    run(bin_dir, "python", "-c", "import fledge.experimental, fledge.testing")
    # The doc-builder catalogue needs the docs extra's PyYAML: the command says so.
    source = tmp_path / "hf" / "docs" / "source"
    source.mkdir(parents=True)
    (source / "_toctree.yml").write_text("- sections: []\n")
    (source / "overview.md").write_text("<!-- fledge:catalogue:begin -->\n"
                                        "<!-- fledge:catalogue:end -->\n")
    done = run_clean(bin_dir / "fledge", "catalogue", "docs/source/overview.md",
                     cwd=tmp_path / "hf", check=False)
    assert done.returncode == 2 and "pip install 'fledge[docs]'" in done.stderr, done.stderr


def test_fledge_promote_alone(tmp_path: Path, wheel: Path) -> None:
    bin_dir = fresh(tmp_path, wheel, "promote")
    copy = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{REPO}", str(copy)],
                   check=True, capture_output=True, timeout=120)
    # The issue's reproducer: a dry run parses the docs' Markdown with markdown-it-py.
    done = run(bin_dir, "promote", "retire", "grpo_with_replay_buffer", "--root", str(copy))
    assert done.returncode == 0 and "docs/features/grpo_with_replay_buffer.md" in done.stdout
    done = run(bin_dir, "promote", "check", "bema_for_ref_model", "--only", "manifest",
               "--only", "docs-page", "--root", str(copy), "-q")
    assert "docs-page" in done.stdout


def test_fledge_docs_alone(tmp_path: Path, wheel: Path) -> None:
    bin_dir = fresh(tmp_path, wheel, "docs")
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "index.md").write_text("# Home\n")
    (site / "mkdocs.yml").write_text("site_name: t\nplugins:\n  - fledge\n")
    run(bin_dir, "mkdocs", "build", "--strict", "-q", cwd=site)
    assert (site / "site" / "catalogue" / "bema_for_ref_model" / "index.html").is_file()
    source = tmp_path / "hf" / "docs" / "source"
    source.mkdir(parents=True)
    (source / "_toctree.yml").write_text("- sections:\n  - local: overview\n    title: O\n"
                                         "  title: X\n")
    (source / "overview.md").write_text("# O\n\n<!-- fledge:catalogue:begin -->\n"
                                        "<!-- fledge:catalogue:end -->\n")
    done = run(bin_dir, "fledge", "catalogue", "docs/source/overview.md", cwd=tmp_path / "hf")
    assert done.returncode == 0 and "catalogue written" in done.stdout


def test_fledge_sphinx_alone(tmp_path: Path, wheel: Path) -> None:
    bin_dir = fresh(tmp_path, wheel, "sphinx")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "conf.py").write_text('extensions = ["myst_parser", "fledge.sphinx_ext"]\n')
    (docs / "index.md").write_text(textwrap.dedent("""\
        # Home

        ```{fledge-catalogue}
        ```
        """))
    run(bin_dir, "python", "-m", "sphinx", "-W", "-q", "-b", "html", str(docs),
        str(tmp_path / "html"))
    assert "bema_for_ref_model" in (tmp_path / "html" / "index.html").read_text()


def test_fledge_train_alone(tmp_path: Path, wheel: Path) -> None:
    # The CPU build of PyTorch first, as the README says: an unpinned torch is a CUDA build.
    bin_dir = fresh(tmp_path, wheel, "train", "torch==2.13.0")
    done = run(bin_dir, "fledge", "doctor")  # imports every feature's implementation
    assert done.returncode == 0 and "2 feature(s), 2 ok" in done.stdout, done.stdout
