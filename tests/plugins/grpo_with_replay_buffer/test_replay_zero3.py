"""Replay under DeepSpeed ZeRO-3: a real two-process GRPO run started as users start one.

The buffer is data-side: the replay decision is taken from the rewards every rank gathers,
and DeepSpeed's partitioning of the model does not enter it. ``_replay_zero3_worker.py``
(the worker of test_replay_distributed.py, asking for DeepSpeed) runs on two CPU processes
(DeepSpeed's CPU accelerator, gloo) through ``accelerate launch --config_file`` with an
accelerate config of ``distributed_type: DEEPSPEED`` and ``zero_stage: 3``; its reports go
through the same checks as the plain multi-process runs: one decision, the same buffer and
whole replayed groups on every rank, and the decisions a single process takes from the same
global batches.
"""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import pytest
import torch

from fledge.testing import distributed
from fledge.testing.distributed import launch
from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None,
                       reason="DeepSpeed is not installed (pip install 'fledge[deepspeed]')"),
    pytest.mark.slow,
]

HERE = Path(__file__).parent
WORKER = HERE / "_replay_zero3_worker.py"
ACCELERATE_CONFIG = """\
compute_environment: LOCAL_MACHINE
distributed_type: DEEPSPEED
deepspeed_config:
  zero_stage: 3
  offload_optimizer_device: none
  offload_param_device: none
  zero3_init_flag: false
machine_rank: 0
num_machines: 1
num_processes: 2
use_cpu: false
"""


def _plain_tests():
    """test_replay_distributed.py, for its checks of a two-process run."""
    path = HERE / "test_replay_distributed.py"
    spec = importlib.util.spec_from_file_location("fledge_test_replay_distributed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def accelerate_config(path: Path):
    """``launch(..., launcher="accelerate")`` with ``--config_file path`` in place of
    ``--multi_gpu`` (which would override the config's ``distributed_type``)."""
    original = distributed._command

    def command(launcher, *args):
        line = original(launcher, *args)
        if launcher == "accelerate":
            at = line.index("--multi_gpu")
            line[at:at + 1] = ["--config_file", str(path)]
        return line

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(distributed, "_command", command)
        yield


def test_zero3_ranks_replay_the_groups_they_all_agree_on(tmp_path, tiny_model_path):
    config = tmp_path / "accelerate-zero3.yaml"
    config.write_text(ACCELERATE_CONFIG)
    with accelerate_config(config):
        results = launch(WORKER, "--model", str(tiny_model_path), "--out", str(tmp_path / "out"),
                         "--steps", "4", "--per-device", "10", nproc=2, launcher="accelerate",
                         env={"DS_ACCELERATOR": "cpu"}, timeout=400)
    for result in results:
        assert result["distributed_type"] == "DEEPSPEED"
    plain = _plain_tests()
    # Past the distributed type, every check of a plain two-process run holds: the ranks
    # took one decision per batch, hold the same buffer, rewrote whole groups (one of which
    # straddles the ranks), and logged the global metrics.
    replayed, admitted, _ = plain.check_run(
        [{**r, "distributed_type": "MULTI_CPU"} for r in results], rows_per_rank=10)
    assert replayed > 0 and admitted > 0
    # ... and those decisions are a single process's over the same global batches.
    plain.simulate(results[0]["records"], ReplayBuffer(4), torch.Generator().manual_seed(0))
