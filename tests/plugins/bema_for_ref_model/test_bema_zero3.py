"""BEMA under DeepSpeed: ZeRO-3 partitions (per-rank state, written into the reference's
partitions), ZeRO-2 (replicated, the DDP case), per-rank checkpoints and resume.

The real runs start ``_bema_zero3_worker.py`` on two CPU processes (DeepSpeed's CPU
accelerator, gloo) through TRL's ``DPOTrainer``: the ZeRO-3 run through ``accelerate launch``
with an accelerate config file (``distributed_type: DEEPSPEED``), the resume and the ZeRO-2
run through ``torchrun`` with the variables that config sets. Each is compared with the plain
BEMA formula over the gathered policy of every step and with a one-process run without
DeepSpeed (the worker's docstring says why both follow the same trajectory). The first tests
check the ZeRO-3 layout on its own, in one process, with parameters shaped as ZeRO-3 leaves
them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from fledge.testing import distributed
from fledge.testing.distributed import launch
from fledge_plugins.bema_for_ref_model import _sharding, _targets
from fledge_plugins.bema_for_ref_model._state import BEMAState

HERE = Path(__file__).parent
WORKER = HERE / "_bema_zero3_worker.py"
STEPS = 4
# As in test_bema_distributed.py: rounding between the runs is ~1e-8; a wrong BEMA is ~1e-3.
ATOL = 1e-5
ENV = {"DS_ACCELERATOR": "cpu"}

needs_deepspeed = [
    pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None,
                       reason="DeepSpeed is not installed (pip install 'fledge[deepspeed]')"),
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]


def _worker():
    spec = importlib.util.spec_from_file_location(f"fledge_test_{WORKER.stem}", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- ZeRO-3 partitions, in one process ------------------------------------------------------


class _Status:
    def __init__(self, name: str) -> None:
        self.name = name


def _zero3_param(values: torch.Tensor, *, rank: int, world: int, pad: float = 0.0):
    """A parameter as ZeRO-3 leaves it on ``rank`` of ``world``: empty data, this rank's
    slice of the flattened values in ``ds_tensor``, padded at the end with ``pad``."""
    size = -(-values.numel() // world)
    flat = torch.full((size * world,), pad)
    flat[: values.numel()] = values.reshape(-1)
    param = torch.nn.Parameter(torch.empty(0))
    param.ds_id, param.ds_numel, param.ds_shape = id(param), values.numel(), values.shape
    param.ds_tensor = flat[rank * size:(rank + 1) * size].clone()
    param.ds_status, param.ds_persist = _Status("NOT_AVAILABLE"), False
    param.ds_process_group = None
    return param


@pytest.fixture
def second_of_two(monkeypatch):
    """This process plays rank 1 of 2 for the ZeRO-3 parameters."""
    monkeypatch.setattr(_sharding, "partition_rank", lambda param: (1, 2))


def test_the_local_part_of_a_zero3_parameter_is_its_partition_without_padding(second_of_two):
    # 5 elements over 2 ranks: partitions of 3, rank 1 holds elements 3-4 and one pad
    param = _zero3_param(torch.arange(5.0), rank=1, world=2, pad=-1.0)
    part = _sharding.local(param)
    assert part.tolist() == [3.0, 4.0]
    assert part.data_ptr() == param.ds_tensor.data_ptr()  # a view: writes reach ds_tensor
    assert _sharding.is_partitioned(param) and _sharding.is_split(param)
    assert not _sharding.is_sharded(param)
    assert _sharding.shape(param) == (5,)
    assert _sharding.describe(param) == (
        "a DeepSpeed ZeRO-3 parameter of 5 elements partitioned over 2 ranks (3 a rank)")
    # a small parameter may leave a last rank nothing at all
    assert _sharding.local(_zero3_param(torch.ones(1), rank=1, world=2)).numel() == 0


def test_bema_writes_only_the_reference_partition_and_never_its_padding(second_of_two):
    policy = _zero3_param(torch.arange(6.0).reshape(2, 3) / 10, rank=1, world=2)  # no padding
    odd = _zero3_param(torch.arange(7.0), rank=1, world=2)  # 7 over 2: rank 1 pads one
    ref_policy = _zero3_param(torch.zeros(2, 3), rank=1, world=2)
    ref_odd = _zero3_param(torch.zeros(7), rank=1, world=2, pad=99.0)
    state = BEMAState([(("a",), policy), (("b",), odd)], device="cpu")
    assert [t.theta0.numel() for t in state.tracked] == [3, 3]  # no padding in the state
    state.set_targets([[ref_policy], [ref_odd]])
    theta0 = [_sharding.local(policy).clone(), _sharding.local(odd).clone()]
    _sharding.local(policy).add_(1.0)  # a training step
    _sharding.local(odd).add_(2.0)
    state.step(beta=0.5, alpha=0.25)
    for param, ref, start in ((policy, ref_policy, theta0[0]), (odd, ref_odd, theta0[1])):
        theta = _sharding.local(param)
        ema = 0.5 * start + 0.5 * theta
        torch.testing.assert_close(_sharding.local(ref), ema + 0.25 * (theta - start))
    assert ref_odd.ds_tensor[-1].item() == 99.0  # the padding is untouched
    assert state.nbytes() == 2 * 6 * 4  # θ₀ and EMA of this rank's 3 + 3 elements


def test_a_reference_partitioned_differently_is_refused_naming_both(second_of_two):
    policy, ref = torch.nn.Module(), torch.nn.Module()
    policy.w = _zero3_param(torch.ones(6), rank=1, world=2)
    ref.w = torch.nn.Parameter(torch.ones(6))  # not partitioned
    tracked = _targets.trainable(policy)
    with pytest.raises(ValueError, match=r"'w' is a plain \(unsharded\) tensor in the reference "
                                         r"but a DeepSpeed ZeRO-3 parameter of 6 elements "
                                         r"partitioned over 2 ranks .*same ZeRO-3 config"):
        _targets.model_targets(policy, ref, tracked)
    ref.w = _zero3_param(torch.ones(2, 3), rank=1, world=2)  # same size, another shape
    with pytest.raises(ValueError, match=r"'w' has shape \(2, 3\), not \(6,\)"):
        _targets.model_targets(policy, ref, tracked)
    ref.w = _zero3_param(torch.ones(6), rank=1, world=2)
    assert _targets.model_targets(policy, ref, tracked)[0] == [[ref.w]]


def test_parameters_bema_cannot_write_are_refused():
    nvme = _zero3_param(torch.ones(4), rank=0, world=1)
    nvme.ds_tensor.final_location = "OffloadDeviceEnum.nvme"
    with pytest.raises(ValueError, match="'w' is offloaded to NVMe .* 'cpu' or 'none'"):
        _sharding.check_supported([(("w",), nvme)])
    secondary = _zero3_param(torch.ones(4), rank=0, world=1)
    secondary.ds_secondary_tensor = torch.ones(4)
    with pytest.raises(ValueError, match="zero_hpz_partition_size to 1"):
        _sharding.check_supported([(("w",), secondary)])
    _sharding.check_supported([(("w",), _zero3_param(torch.ones(4), rank=0, world=1))])


def test_one_process_gathers_a_zero3_parameter_from_its_own_partition():
    param = _zero3_param(torch.arange(6.0).reshape(2, 3), rank=0, world=1)
    assert torch.equal(_sharding.full(param), torch.arange(6.0).reshape(2, 3))
    assert torch.equal(_sharding.full_of(param, torch.ones(6)), torch.ones(2, 3))


# -- real two-process runs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    """DeepSpeed configs (ZeRO-3, ZeRO-2) and an accelerate config file for ZeRO-3."""
    folder = tmp_path_factory.mktemp("ds-configs")
    worker = _worker()
    paths = {}
    for stage in (2, 3):
        paths[stage] = folder / f"zero{stage}.json"
        paths[stage].write_text(json.dumps(worker.ds_config(stage)))
    paths["accelerate"] = folder / "accelerate-zero3.yaml"
    paths["accelerate"].write_text(
        "compute_environment: LOCAL_MACHINE\n"
        "distributed_type: DEEPSPEED\n"
        "deepspeed_config:\n"
        f"  deepspeed_config_file: {paths[3]}\n"
        "  zero3_init_flag: false\n"
        "machine_rank: 0\n"
        "num_machines: 1\n"
        "num_processes: 2\n"
        "use_cpu: false\n"
    )
    return paths


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


def _torchrun_env(config: Path) -> dict[str, str]:
    """What ``accelerate launch`` with a DeepSpeed config file tells its workers."""
    return {**ENV, "ACCELERATE_USE_DEEPSPEED": "true",
            "ACCELERATE_DEEPSPEED_CONFIG_FILE": str(config)}


@pytest.fixture(scope="module")
def zero3_run(tmp_path_factory, configs):
    """Four ZeRO-3 steps on two processes, checkpoints at 2 and 4: its folder and results."""
    out = tmp_path_factory.mktemp("bema-zero3")
    with accelerate_config(configs["accelerate"]):
        results = launch(WORKER, str(out), nproc=2, launcher="accelerate", env=ENV,
                         timeout=400)
    return out, results


@pytest.fixture(scope="module")
def one_process_run(tmp_path_factory):
    """The same training in this process, without DeepSpeed: its folder and state bytes."""
    out = tmp_path_factory.mktemp("bema-zero3-one")
    worker = _worker()
    recorder = worker.recorder(str(out), rank=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer, callback = worker.build_trainer(str(out), world_size=1, max_steps=STEPS,
                                                 save_steps=100, deepspeed=False,
                                                 callbacks=[recorder])
        recorder.trainer = trainer
        assert str(trainer.accelerator.distributed_type) == "DistributedType.NO"
        trainer.train()
    return out, callback.state.nbytes()


def _step(out: Path, step: int, model: str) -> dict[str, torch.Tensor]:
    return load_file(out / f"step{step}-{model}.safetensors")


def _assert_close(actual: dict, expected: dict, atol: float = ATOL) -> None:
    assert sorted(actual) == sorted(expected)
    for name, value in expected.items():
        torch.testing.assert_close(actual[name].to(value.dtype), value, rtol=0, atol=atol,
                                   msg=name)


def _assert_plain_bema(out: Path, steps: int, tracked: list[str], plain_bema) -> None:
    """At every step the gathered reference holds the plain BEMA formula computed from the
    gathered policy of every step so far; the frozen weight stays the initial one."""
    from fledge.testing import tiny_model

    start = {n: p.detach().clone() for n, p in tiny_model(0).named_parameters()}
    plain = plain_bema({n: start[n] for n in tracked}, update_freq=1, update_ref_model=True,
                       ref_model_update_freq=1)
    frozen = _worker().FROZEN
    assert frozen not in tracked
    moved = 0.0
    for step in range(1, steps + 1):
        policy, ref = _step(out, step, "policy"), _step(out, step, "ref")
        expected = plain.step(step, {n: policy[n] for n in tracked})
        _assert_close({n: ref[n] for n in tracked}, expected)
        assert torch.equal(ref[frozen], start[frozen]) and torch.equal(policy[frozen],
                                                                        start[frozen])
        moved = max(moved, *(float((ref[n] - start[n]).abs().max()) for n in tracked))
    assert moved > 100 * ATOL  # the reference did move


class TestZero3:
    pytestmark = needs_deepspeed

    def test_each_rank_holds_its_partitions_half_the_state(self, zero3_run, one_process_run):
        _, results = zero3_run
        _, one_nbytes = one_process_run
        assert [r["rank"] for r in results] == [0, 1]
        for r in results:
            assert r["distributed_type"] == "DistributedType.DEEPSPEED" and r["zero_stage"] == 3
            assert r["num_processes"] == 2 and r["global_step"] == STEPS and r["sharded"]
            # every parameter is partitioned; the small ones are also kept gathered
            assert r["partitioned"] == r["parameters"] and 0 < r["persistent"] < r["parameters"]
            assert r["buffers_plain"] and _worker().FROZEN not in r["tracked"]
            assert r["local_numel"] == r["tracked_numel"] // 2
            # θ₀ and the EMA (fp32) of half of each parameter: half a one-process run's state
            assert r["state_nbytes"] == one_nbytes // 2 == 4 * r["tracked_numel"]
            own = f"bema_state-rank{r['rank']}-of-2.safetensors"
            assert r["state_writes"] == [own, own] and r["state_reads"] == []
        assert results[0]["ref_digest"] == results[1]["ref_digest"]

    def test_the_reference_is_the_bema_of_the_gathered_policy(self, zero3_run, plain_bema):
        out, results = zero3_run
        _assert_plain_bema(out, STEPS, results[0]["tracked"], plain_bema)

    def test_it_agrees_with_one_process(self, zero3_run, one_process_run):
        out, _ = zero3_run
        one, _ = one_process_run
        for step in range(1, STEPS + 1):
            for model in ("policy", "ref"):
                _assert_close(_step(out, step, model), _step(one, step, model))
        # the BEMA model rank 0 saved is the last reference (trained weights; tied once)
        saved = load_file(out / "bema" / "model.safetensors")
        ref = _step(out, STEPS, "ref")
        for name, value in saved.items():
            torch.testing.assert_close(value, ref[name], rtol=0, atol=1e-6, msg=name)

    def test_resume_continues_exactly(self, zero3_run, configs, tmp_path):
        out, _ = zero3_run
        resumed = launch(WORKER, str(tmp_path), "--resume-from", str(out / "checkpoint-2"),
                         nproc=2, env=_torchrun_env(configs[3]), timeout=400)
        for r in resumed:
            own = f"bema_state-rank{r['rank']}-of-2.safetensors"
            assert r["state_reads"] == [own] and r["state_writes"] == [own]
            assert r["global_step"] == STEPS and r["sharded"]
        for step in range(3, STEPS + 1):
            for model in ("policy", "ref"):
                _assert_close(_step(tmp_path, step, model), _step(out, step, model), atol=0)

    def test_another_number_of_processes_is_refused_naming_both(self, zero3_run):
        from transformers import TrainerControl, TrainerState

        from fledge.testing import tiny_model
        from fledge_plugins.bema_for_ref_model.api import BEMACallback

        out, _ = zero3_run
        callback = BEMACallback(update_freq=1, update_ref_model=True)
        callback._resume_dir = str(out / "checkpoint-2")
        state = TrainerState()
        state.global_step = 2
        with pytest.raises(ValueError, match=r"saved per rank by a run on 2 processes and this "
                                             r"run has 1"):
            callback.on_train_begin(SimpleNamespace(output_dir=str(out)), state,
                                    TrainerControl(), model=tiny_model(0),
                                    ref_model=tiny_model(0))


class TestZero2:
    pytestmark = needs_deepspeed

    def test_zero2_keeps_parameters_whole_like_ddp(self, configs, tmp_path, plain_bema):
        results = launch(WORKER, str(tmp_path), "--steps", "2", "--save-steps", "2", nproc=2,
                         env=_torchrun_env(configs[2]), timeout=400)
        for r in results:
            assert r["distributed_type"] == "DistributedType.DEEPSPEED" and r["zero_stage"] == 2
            assert r["num_processes"] == 2 and not r["sharded"] and r["partitioned"] == 0
            # the whole state on every rank; rank 0 alone writes the one file
            assert r["state_nbytes"] == 8 * r["tracked_numel"]
        assert results[0]["state_writes"] == ["bema_state.safetensors"]
        assert results[1]["state_writes"] == []
        assert results[0]["ref_digest"] == results[1]["ref_digest"]
        _assert_plain_bema(tmp_path, 2, results[0]["tracked"], plain_bema)
