"""The feature's page runs as written, and the demo trains and reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fledge_plugins.grpo_with_replay_buffer import FEATURE

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / FEATURE.docs
SKIP = re.compile(r"<!--\s*fledge:\s*skip-run\s*\((?P<reason>[^)]+)\)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line, code)`` of every Python block not marked ``<!-- fledge: skip-run (...) -->``."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match or not match["lang"]:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        if match["lang"] == "python" and not SKIP.match(previous.strip()):
            blocks.append((start + 1, "\n".join(body)))
        i += 1
    return blocks


def test_the_page_has_the_corrected_example():
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert any("GRPOWithReplayBufferTrainer(" in code and "trainer.train()" in code
               for _, code in blocks)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_every_python_block_of_the_page_runs(offline_hub):
    namespace: dict = {"__name__": "__docs__"}
    for line, code in python_blocks(PAGE.read_text(encoding="utf-8")):
        exec(compile(code, f"{PAGE.name}:{line}", "exec"), namespace)  # noqa: S102
    trainer = namespace["trainer"]
    # The corrected example really trains with replay: some groups tied and were replaced.
    assert trainer.replay_stats["tied"] > 0
    assert trainer.replay_stats["replayed"] > 0
    assert (offline_hub / "grpo-replay-buffer").is_dir()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_demo_trains_and_reports_replayed_groups(capsys, tmp_path):
    from fledge.cli import main

    command = ["demo", "grpo_with_replay_buffer", "--steps", "4", "--output-dir", str(tmp_path)]
    assert main(command) == 0
    out = capsys.readouterr().out
    match = re.search(r"groups seen: (\d+), tied \(zero reward variance\): (\d+), "
                      r"replayed from the buffer: (\d+)", out)
    assert match, out
    seen, tied, replayed = map(int, match.groups())
    assert seen == 8 and 0 < replayed <= tied
    assert re.search(r"buffer: \d+ of 8 groups, mean score \d+\.\d{3}", out)


def test_demo_rejects_bad_arguments(capsys):
    from fledge_plugins.grpo_with_replay_buffer.demo import main

    with pytest.raises(SystemExit) as exc:
        main(["--steps", "0"])
    assert exc.value.code == 2
    assert "--steps must be at least 1, got 0" in capsys.readouterr().err
