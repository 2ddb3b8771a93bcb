"""The update, step by step, against a plainly written reference of the formula."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch
from transformers import TrainerControl, TrainerState

from fledge.testing import tiny_model
from fledge_plugins.bema_for_ref_model.api import BEMACallback

SETTINGS = {
    "every-step": dict(update_freq=1, update_ref_model=True, ref_model_update_freq=1),
    "after3-freq2": dict(
        update_freq=2, update_after=3, lag=5, multiplier=0.5, update_ref_model=True,
        ref_model_update_freq=2, ref_model_update_after=3,
    ),
    "after3-freq2-paper": dict(
        update_freq=2, update_after=3, lag=5, multiplier=0.5, update_ref_model=True,
        ref_model_update_freq=2, ref_model_update_after=3, step_convention="paper",
    ),
    "misaligned-floor": dict(
        update_freq=3, ema_power=1.0, bias_power=0.5, min_ema_multiplier=0.4,
        update_ref_model=True, ref_model_update_freq=2,
    ),
    "ref-before-burn-in-paper": dict(
        update_freq=2, update_after=4, lag=1, update_ref_model=True, ref_model_update_freq=1,
        step_convention="paper",
    ),
}


def _state(step: int) -> TrainerState:
    state = TrainerState()
    state.global_step = step
    return state


def _perturb(model: torch.nn.Module, step: int) -> None:
    """A stand-in optimizer step: deterministic noise on the trainable parameters."""
    gen = torch.Generator().manual_seed(1000 + step)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                noise = torch.randn(p.shape, generator=gen)
                p.add_(0.05 * noise.to(p.dtype))


def _drive(callback, model, ref_model, plain, steps, check):
    args = SimpleNamespace(output_dir="unused")
    callback.on_train_begin(args, _state(0), TrainerControl(), model=model, ref_model=ref_model)
    for step in range(1, steps + 1):
        _perturb(model, step)
        callback.on_step_end(args, _state(step), TrainerControl(), model=model,
                             ref_model=ref_model)
        expected = plain.step(step, _trainable(model))
        check(step, expected)


def _trainable(model):
    return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("chunk", [
    pytest.param(None, id="default-chunks"),
    pytest.param(97, id="small-chunks"),
    # one compilation a process (the tiny model's shapes), then the fused kernels
    pytest.param("compiled", id="torch-compile", marks=pytest.mark.slow),
])
@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_reference_model_follows_the_formula_step_by_step(name, chunk, plain_bema):
    settings = SETTINGS[name]
    model = tiny_model(0)
    ref_model = copy.deepcopy(model)
    initial = {n: p.detach().clone() for n, p in ref_model.named_parameters()}
    callback = BEMACallback(**settings, torch_compile=chunk == "compiled")
    if chunk == "compiled":
        chunk = None
    plain = plain_bema(_trainable(model), **settings)
    writes = []

    def check(step, expected):
        if chunk is not None and callback.state.chunk_numel != chunk:
            callback.state.chunk_numel, callback.state._groups = chunk, None
        ref = dict(ref_model.named_parameters())
        want = expected if expected is not None else initial
        for n, value in want.items():
            torch.testing.assert_close(ref[n].double(), value.double(), rtol=0, atol=2e-6,
                                       msg=lambda m, n=n: f"step {step}, {n}: {m}")
        if expected is not None:
            writes.append(step)

    _drive(callback, model, ref_model, plain, 12, check)
    assert writes, "the reference was never written"
    if callback.torch_compile:
        assert fused_tensors(callback) == len(callback.state.tracked)
    # tied weights stay tied in the reference, and hold the BEMA weights
    assert ref_model.lm_head.weight is ref_model.model.embed_tokens.weight


def test_agrees_with_trls_callback_on_update_steps():
    """A run moved from TRL gives the same BEMA weights (TRL's default step convention)."""
    from trl import BEMACallback as TRLBEMACallback

    settings = dict(update_freq=2, update_after=2, lag=3, multiplier=2.0, ema_power=0.7,
                    bias_power=0.3, min_ema_multiplier=0.05)
    model = tiny_model(0)
    ours, theirs = BEMACallback(**settings), TRLBEMACallback(**settings)
    args = SimpleNamespace(output_dir="unused")
    for cb in (ours, theirs):
        cb.on_train_begin(args, _state(0), TrainerControl(), model=model)
    for step in range(1, 11):
        _perturb(model, step)
        for cb in (ours, theirs):
            cb.on_step_end(args, _state(step), TrainerControl(), model=model)
        if step > 2 and step % 2 == 0:
            trl_weights = dict(theirs.running_model.named_parameters(remove_duplicate=False))
            for n, value in ours.bema_state_dict().items():
                torch.testing.assert_close(value, trl_weights[n].detach(), rtol=0, atol=1e-6)


def test_paper_and_trl_conventions_agree_only_without_burn_in(plain_bema):
    def final_ref(**extra):
        model, settings = tiny_model(0), dict(update_freq=1, update_ref_model=True,
                                              ref_model_update_freq=1, **extra)
        ref_model = copy.deepcopy(model)
        _drive(BEMACallback(**settings), model, ref_model, plain_bema(_trainable(model),
               **settings), 5, lambda step, expected: None)
        return ref_model.model.embed_tokens.weight.detach().clone()

    assert torch.equal(final_ref(), final_ref(step_convention="paper"))
    assert not torch.allclose(
        final_ref(update_after=2), final_ref(update_after=2, step_convention="paper")
    )


def test_frozen_parameters_are_skipped_and_copied(plain_bema):
    """TRL's callback zips trainable against all parameters: it breaks when some are frozen."""
    from trl import BEMACallback as TRLBEMACallback

    model = tiny_model(0)
    model.model.embed_tokens.weight.requires_grad_(False)  # tied: lm_head too
    model.model.layers[0].requires_grad_(False)
    ref_model = tiny_model(1)  # different weights everywhere
    settings = dict(update_freq=1, update_ref_model=True, ref_model_update_freq=2)
    callback = BEMACallback(**settings)
    plain = plain_bema(_trainable(model), **settings)
    args = SimpleNamespace(output_dir="unused")
    ref = dict(ref_model.named_parameters())

    def check(step, expected):
        if expected is None:
            return
        for n, value in expected.items():
            torch.testing.assert_close(ref[n].double(), value, rtol=0, atol=2e-6)
        for n, p in model.named_parameters():
            if not p.requires_grad:  # frozen: the reference gets the policy's own value
                assert torch.equal(ref[n], p), n

    _drive(callback, model, ref_model, plain, 4, check)
    assert len(callback.state.tracked) == len(_trainable(model))

    trl_cb = TRLBEMACallback(update_freq=1)
    trl_cb.on_train_begin(args, _state(0), TrainerControl(), model=model)
    with pytest.raises((RuntimeError, ValueError)):
        trl_cb.on_step_end(args, _state(1), TrainerControl(), model=model)


def test_untied_reference_gets_both_tied_names(plain_bema):
    model = tiny_model(0)
    ref_model = copy.deepcopy(model)
    ref_model.lm_head.weight = torch.nn.Parameter(ref_model.lm_head.weight.detach().clone())
    settings = dict(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    plain = plain_bema(_trainable(model), **settings)

    def check(step, expected):
        name = "model.embed_tokens.weight"
        for ref_param in (ref_model.lm_head.weight, ref_model.model.embed_tokens.weight):
            torch.testing.assert_close(ref_param.double(), expected[name], rtol=0, atol=2e-6)

    _drive(BEMACallback(**settings), model, ref_model, plain, 3, check)


@pytest.mark.parametrize("compiled", [
    pytest.param(False, id="eager"),
    pytest.param(True, id="torch-compile", marks=pytest.mark.slow),
])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_16_bit_weights_keep_a_float32_ema(dtype, compiled, plain_bema):
    model = tiny_model(0, dtype=dtype)
    ref_model = copy.deepcopy(model)
    # the reference every other step: the EMA-only steps between update the EMA too
    settings = dict(update_freq=1, lag=100, update_ref_model=True, ref_model_update_freq=2)
    callback = BEMACallback(**settings, torch_compile=compiled)
    plain = plain_bema(_trainable(model), **settings)

    def check(step, expected):
        for tracked in callback.state.tracked:
            assert tracked.ema.dtype == torch.float32
            assert tracked.theta0.dtype == dtype
            name = tracked.names[0]
            # the EMA itself is float32-exact; a 16-bit EMA would be off by ~1e-3
            torch.testing.assert_close(tracked.ema.double(), plain.ema[name], rtol=0, atol=1e-6)
        ref = dict(ref_model.named_parameters())
        for n, value in (expected or {}).items():
            assert ref[n].dtype == dtype
            # one rounding to the 16-bit format, nothing more
            torch.testing.assert_close(ref[n].double(), value, rtol=2**-7, atol=1e-4)

    _drive(callback, model, ref_model, plain, 6, check)
    if compiled:  # every tensor went through the fused kernels, not the eager segments
        assert fused_tensors(callback) == len(callback.state.tracked)


def fused_tensors(callback) -> int:
    return sum(len(lists[0]) for lists in callback.state._plain.values())


def test_buffers_hold_theta0_and_ema_only():
    model = tiny_model(0)
    callback = BEMACallback(update_freq=1)
    callback.on_train_begin(SimpleNamespace(output_dir="x"), _state(0), TrainerControl(),
                            model=model)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    assert callback.state.nbytes() == 2 * param_bytes
    assert not hasattr(callback, "running_model")


def test_buffers_on_the_parameters_device_with_device_none(plain_bema):
    model = tiny_model(0)
    callback = BEMACallback(update_freq=1, device=None)
    callback.on_train_begin(SimpleNamespace(output_dir="x"), _state(0), TrainerControl(),
                            model=model)
    assert all(t.ema.device == t.param.device for t in callback.state.tracked)


@pytest.mark.slow
def test_torch_compile_without_a_compiler_says_so(tmp_path):
    """No silent fallback: a fused update that cannot be built is an error naming the way out."""
    import os
    import subprocess
    import sys

    script = (
        "import torch\n"
        "from fledge.testing import tiny_model\n"
        "from fledge_plugins.bema_for_ref_model.api import BEMACallback\n"
        "from transformers import TrainerControl, TrainerState\n"
        "from types import SimpleNamespace\n"
        "model, ref = tiny_model(0), tiny_model(1)\n"
        "cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1,\n"
        "                  torch_compile=True)\n"
        "args, state = SimpleNamespace(output_dir='unused'), TrainerState()\n"
        "cb.on_train_begin(args, state, TrainerControl(), model=model, ref_model=ref)\n"
        "state.global_step = 1\n"
        "cb.on_step_end(args, state, TrainerControl(), model=model, ref_model=ref)\n"
    )
    env = {**os.environ, "CXX": str(tmp_path / "no-such-compiler"),
           "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "cache")}  # nothing compiled to reuse
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: BEMACallback(torch_compile=True): torch.compile could "
                           "not build or run the fused BEMA update"), last
    assert "no-such-compiler" in last and "Pass torch_compile=False" in last, last


@pytest.mark.slow
def test_torch_compile_serves_one_model_after_another():
    """torch.compile fails hard after 8 shapes of one function: each state compiles its own."""
    from fledge_plugins.bema_for_ref_model._state import BEMAState

    for n in range(1, 11):  # ten models, ten shapes, in one process
        param = torch.nn.Parameter(torch.arange(n, dtype=torch.float32))
        target = torch.zeros(n)
        state = BEMAState([(("w",), param)], fused=True)
        state.set_targets([[target]])
        with torch.no_grad():
            param.add_(1.0)
        state.step(0.5, 2.0)  # EMA = θ₀ + 0.5; target = EMA + 2·(θ − θ₀) = θ₀ + 2.5
        torch.testing.assert_close(target, torch.arange(n, dtype=torch.float32) + 2.5)
