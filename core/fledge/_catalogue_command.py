"""``fledge catalogue``: write a host's catalogue into a doc-builder page, or check it.

mkdocs and Sphinx sites generate the catalogue when they build (``fledge.mkdocs_plugin``,
``fledge.sphinx_ext``); a doc-builder site keeps it in a page, between two markers, so this
command writes it there and ``--check`` fails CI when it falls behind the features shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._catalogue_model import CatalogueError, build_catalogue, read_readiness

if TYPE_CHECKING:
    from ._catalogue_docbuilder import Section
    from ._host import Host

__all__ = ["add_parser", "section_for"]

FORMATS = ("doc-builder",)


def add_parser(sub: argparse._SubParsersAction,
               add_host: Callable[[argparse.ArgumentParser], None],
               run: Callable[[argparse.Namespace], int]) -> None:
    """The ``catalogue`` subcommand's arguments; ``run`` carries it out."""
    p = sub.add_parser(
        "catalogue", help="write the feature catalogue into a doc-builder page, or --check it",
        description="Write the host's features between the markers <!-- fledge:catalogue:begin "
                    "--> and <!-- fledge:catalogue:end --> of a doc-builder page; with --check, "
                    "write nothing and exit 1 naming what is missing or stale.")
    p.add_argument("page", help="the Markdown page that holds the markers, e.g. "
                                "docs/source/experimental_overview.md")
    p.add_argument("--format", default="doc-builder", choices=FORMATS,
                   help="the docs system (mkdocs and Sphinx sites build their catalogue: see "
                        "docs/catalogue-in-your-docs.md)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 when the section is missing features or stale")
    p.add_argument("--toctree", default=None,
                   help="the docs' _toctree.yml (default: the nearest one above the page)")
    p.add_argument("--readiness", default=None, metavar="FILE",
                   help="a `promote check --format json` report: adds a readiness column")
    p.add_argument("--page-pattern", action="append", default=None, metavar="PATTERN",
                   help="where a feature's own page is, as a toctree name with {name} "
                        "(repeatable; default: {name} and {name}_trainer)")
    p.add_argument("--installed", action="store_true",
                   help="list third-party plugins installed here too, not only the features "
                        "the library ships")
    p.add_argument("--json", action="store_true", help="print the result as a JSON object")
    add_host(p)
    p.set_defaults(run=run)


def section_for(page: Path, *, toctree: Path | None = None, root: Path | None = None,
                patterns: Sequence[str] | None = None, command: str = "fledge catalogue"
                ) -> Section:
    """Where a doc-builder section goes, with its toctree found above ``page`` by default.

    Raises:
        CatalogueError: the page or the toctree cannot be found.
    """
    from ._catalogue_docbuilder import DEFAULT_PAGE_PATTERNS, Section, read_toctree

    page = Path(page)
    if not page.is_file():
        raise CatalogueError(f"page {str(page)!r} does not exist; create it with the lines "
                             "<!-- fledge:catalogue:begin --> and <!-- fledge:catalogue:end -->")
    root = (root or Path.cwd()).resolve()
    if not page.resolve().is_relative_to(root):
        # a page (or a link) from a pull request must not make CI write outside the checkout
        raise CatalogueError(f"page {str(page)!r} resolves to {page.resolve()}, outside "
                             f"{root}; run fledge catalogue from the repository root on one of "
                             "its pages")
    if toctree is None:
        toctree = next((folder / "_toctree.yml" for folder in page.resolve().parents
                        if (folder / "_toctree.yml").is_file()), None)
        if toctree is None:
            raise CatalogueError(f"no _toctree.yml in any folder above {str(page)!r}; pass "
                                 "--toctree")
    docs_dir = Path(toctree).resolve().parent
    if not page.resolve().is_relative_to(docs_dir):
        raise CatalogueError(f"page {str(page)!r} is not inside the docs folder {docs_dir} of "
                             f"its toctree")
    for pattern in patterns or ():
        if "{name}" not in pattern or pattern.replace("{name}", "").count("{"):
            raise CatalogueError(f"page pattern {pattern!r} must hold {{name}} and no other "
                                 "placeholder, e.g. '{name}_trainer'")
    return Section(page=page, docs_dir=docs_dir, toctree=read_toctree(Path(toctree)),
                   root=root,
                   patterns=tuple(patterns or DEFAULT_PAGE_PATTERNS), command=command)


def _command_line(args: argparse.Namespace, host: Host) -> str:
    words = ["fledge catalogue", args.page]
    if not host.is_fledge:
        words.append(f"--host {host.name}")
    if args.readiness:
        words.append(f"--readiness {args.readiness}")
    words += [f"--page-pattern '{p}'" for p in args.page_pattern or ()]
    return " ".join(words + (["--installed"] if args.installed else []))


def run(args: argparse.Namespace, host: Host) -> int:
    """Write or check the section; 0 done or up to date, 1 stale, 2 cannot."""
    from ._catalogue_docbuilder import check_section, relative_page, write_section

    try:
        readiness = read_readiness(args.readiness) if args.readiness else None
        where = section_for(Path(args.page), toctree=args.toctree and Path(args.toctree),
                            patterns=args.page_pattern, command=_command_line(args, host))
        catalogue = build_catalogue(host, readiness, shipped_only=not args.installed)
        if args.check:
            problems, changed = check_section(catalogue, where), False
        else:
            problems, changed = [], write_section(catalogue, where)
    except CatalogueError as exc:
        print(f"fledge catalogue: {exc}", file=sys.stderr)
        return 2
    page = relative_page(where.page, where.root)
    if args.json:
        print(json.dumps({"page": page, "host": host.name, "features": len(catalogue.entries),
                          "checked": args.check, "changed": changed, "problems": problems},
                         indent=2))
    elif problems:
        print(f"{page}: the catalogue section is out of date:")
        print("\n".join(f"  {line}" for line in problems))
        print(f"Rerun without --check to rewrite it: {where.command}")
    else:
        state = "up to date" if args.check or not changed else "written"
        print(f"{page}: catalogue {state} ({len(catalogue.entries)} features)")
    return 1 if problems else 0
