"""The target's style: read from its ruff, black or isort configuration; licence headers."""

from __future__ import annotations

import pytest

from fledge_promote.planning._shims import defined_names, shim_source
from fledge_promote.repository._style import TargetStyle, licence_header, read_style

HEADER = "# Copyright 2026 Someone.\n#\n# Licensed under the Apache License, Version 2.0.\n"


@pytest.mark.parametrize(("files", "expected"), [
    ({"pyproject.toml": "[tool.ruff]\nline-length = 119\n\n[tool.ruff.lint.isort]\n"
                        "lines-after-imports = 2\n"}, (119, 2)),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 119\n",
      "ruff.toml": "line-length = 80\n[lint.isort]\nlines-after-imports = 1\n"}, (80, 1)),
    ({"pyproject.toml": "[tool.black]\nline-length = 110\n\n[tool.isort]\n"
                        "lines_after_imports = 2\n"}, (110, 2)),
    ({"pyproject.toml": "[tool.isort]\nline_length = 79\n"}, (79, -1)),
    ({"pyproject.toml": "[project]\nname = 'x'\n"}, (88, -1)),
])
def test_style_comes_from_the_target_configuration(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    style = read_style(tmp_path)
    assert (style.line_length, style.lines_after_imports) == expected


def test_licence_header_is_the_leading_comment_block_when_it_is_one():
    assert licence_header(HEADER + "\nimport os\n") == HEADER
    assert licence_header("# just a comment\nimport os\n") == ""
    assert licence_header('"""Docstring."""\n') == ""


def test_a_module_shim_lists_what_the_module_defines_not_what_it_imports():
    source = (HEADER + "import logging\nfrom ..data_utils import pad, apply_chat_template\n"
              "from .utils import selective_log_softmax\n\nlogger = logging.getLogger(__name__)\n"
              "_CACHE = {}\nDEFAULT_BETA = 0.1\n\n\ndef helper():\n    pass\n\n\n"
              "class CPOTrainer:\n    pass\n")
    assert defined_names(source) == ["DEFAULT_BETA", "helper", "CPOTrainer"]
    assert defined_names("__all__ = ['A']\nfrom .x import A, B\n") == ["A"]


def test_a_shim_fits_the_line_length_and_keeps_the_header():
    style = TargetStyle(line_length=79, lines_after_imports=2, header=HEADER)
    text = shim_source("pkg.experimental.feature.module", "pkg.trainer.module",
                       {"pkg.trainer.module": ["ZetaTrainer", "alpha_helper", "BETA"]},
                       message="pkg.experimental.feature.module was promoted: import it from "
                               "pkg.trainer.module instead.", version="1.0.0", removal="1.2.0",
                       style=style)
    assert text.startswith(HEADER + "\n")
    assert max(len(line) for line in text.splitlines() if not line.startswith("#")) <= 79
    assert '__all__ = ["BETA", "ZetaTrainer", "alpha_helper"]' in text  # isort's order by type
    assert "\n\n\n__all__" in text  # two blank lines after the imports, as configured
    compile(text, "shim.py", "exec")
