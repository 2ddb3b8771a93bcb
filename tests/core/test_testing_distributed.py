"""fledge.testing.distributed on its own: results by rank, and failures that explain themselves."""

from __future__ import annotations

import os
import textwrap

import pytest

from fledge.testing.distributed import RESULT_DIR_ENV, LaunchError, finish, launch

# A worker that brings up a gloo group as torchrun's environment describes it, as any
# training script does, and reports what it sees.
WORKER = textwrap.dedent("""
    import os, sys
    import torch.distributed as dist
    from fledge.testing.distributed import finish

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    if "--fail-on" in sys.argv and rank == int(sys.argv[-1]):
        print(f"rank {rank} gives up on purpose", file=sys.stderr)
        sys.exit(3)
    if "--no-result" in sys.argv:
        dist.destroy_process_group()
        sys.exit(0)
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, rank * 10)
    finish({"rank": rank, "world": dist.get_world_size(), "gathered": gathered,
            "args": sys.argv[1:], "extra": os.environ.get("EXTRA"),
            "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")})
""")


@pytest.fixture
def worker(tmp_path):
    path = tmp_path / "worker.py"
    path.write_text(WORKER)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_every_rank_reports_in_rank_order(worker, launcher):
    results = launch(worker, "--flag", "x", nproc=2, env={"EXTRA": "yes"}, launcher=launcher,
                     timeout=120)
    assert [r["rank"] for r in results] == [0, 1]
    for result in results:
        assert result["world"] == 2 and result["gathered"] == [0, 10]
        assert result["args"] == ["--flag", "x"]
        assert result["extra"] == "yes" and result["gpus"] == ""


@pytest.mark.slow
def test_a_failing_rank_raises_with_its_stderr(worker):
    with pytest.raises(LaunchError, match="exited with status") as raised:
        launch(worker, "--fail-on", "1", nproc=2, timeout=120)
    assert raised.value.returncode != 0
    assert "rank 1 gives up on purpose" in raised.value.stderr[1]
    assert "rank 1 gives up on purpose" in str(raised.value)


@pytest.mark.slow
def test_a_rank_without_a_result_is_named(worker):
    with pytest.raises(LaunchError, match="rank 0 of worker.py exited cleanly but wrote no"):
        launch(worker, "--no-result", nproc=2, timeout=120)


@pytest.mark.slow
def test_a_run_past_its_timeout_is_killed(tmp_path):
    script = tmp_path / "sleeper.py"
    script.write_text("import os, pathlib, time\n"
                      f"pathlib.Path({str(tmp_path)!r}, 'pid-' + os.environ['RANK'])"
                      ".write_text(str(os.getpid()))\n"
                      "time.sleep(600)\n")
    with pytest.raises(LaunchError, match="did not finish within 8 s") as raised:
        launch(script, nproc=2, timeout=8)
    assert raised.value.returncode is None
    # The workers went down with the launcher (torchrun gives each a session of its own).
    for rank in (0, 1):
        pid = int((tmp_path / f"pid-{rank}").read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_bad_arguments_are_refused(tmp_path, worker):
    with pytest.raises(FileNotFoundError, match="no script at"):
        launch(tmp_path / "missing.py")
    with pytest.raises(ValueError, match="nproc must be an integer >= 1"):
        launch(worker, nproc=0)
    with pytest.raises(ValueError, match="launcher must be 'torchrun' or 'accelerate'"):
        launch(worker, launcher="mpirun")


def test_finish_outside_a_launch_says_how_to_run(monkeypatch, tmp_path):
    monkeypatch.delenv(RESULT_DIR_ENV, raising=False)
    with pytest.raises(RuntimeError, match="through fledge.testing.distributed.launch"):
        finish({"a": 1})
    monkeypatch.setenv(RESULT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("RANK", "3")
    assert finish({"a": 1}).read_text().strip().startswith("{")
    assert (tmp_path / "rank-3.json").is_file()


@pytest.mark.slow
def test_a_hang_after_every_result_keeps_the_results(tmp_path):
    script = tmp_path / "lingers.py"
    script.write_text("import os, time\nfrom fledge.testing.distributed import finish\n"
                      "finish({'rank': int(os.environ['RANK'])})\ntime.sleep(600)\n")
    with pytest.warns(RuntimeWarning, match="did not exit within 2 s"):
        results = launch(script, nproc=2, timeout=120, teardown_grace=2)
    assert results == [{"rank": 0}, {"rank": 1}]
