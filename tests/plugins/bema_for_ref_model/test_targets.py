"""Where the BEMA weights go: PEFT adapters, and the clear errors for what cannot work."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch
from transformers import TrainerControl, TrainerState

from fledge.testing import tiny_model
from fledge_plugins.bema_for_ref_model.api import BEMACallback

peft = pytest.importorskip("peft")


def _state(step: int) -> TrainerState:
    state = TrainerState()
    state.global_step = step
    return state


def _begin(callback, model, args=None, **kwargs):
    args = args or SimpleNamespace(output_dir="unused")
    callback.on_train_begin(args, _state(0), TrainerControl(), model=model, **kwargs)


def _lora(model=None):
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                             init_lora_weights=False)
    return peft.get_peft_model(model or tiny_model(0), config)


def _perturb_adapter(model, step):
    gen = torch.Generator().manual_seed(step)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn(p.shape, generator=gen))


def test_peft_bema_goes_into_a_ref_adapter_created_from_the_trained_one(plain_bema):
    model = _lora()
    base = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" not in n}
    trained = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    assert trained and all(".default." in n for n in trained)
    settings = dict(update_freq=1, update_ref_model=True, ref_model_update_freq=2)
    callback = BEMACallback(**settings)
    plain = plain_bema(trained, **settings)
    _begin(callback, model, ref_model=None)

    assert "ref" in model.peft_config and model.active_adapter == "default"
    params = dict(model.named_parameters())
    for n, p in trained.items():  # created holding the trained adapter's weights
        assert torch.equal(params[n.replace(".default.", ".ref.")], p)
    assert not any(p.requires_grad for n, p in params.items() if ".ref." in n)

    for step in range(1, 7):
        _perturb_adapter(model, step)
        callback.on_step_end(SimpleNamespace(), _state(step), TrainerControl(), model=model,
                             ref_model=None)
        expected = plain.step(step, {n: p.detach() for n, p in model.named_parameters()
                                     if p.requires_grad})
        if expected is None:
            continue
        for n, value in expected.items():
            got = params[n.replace(".default.", ".ref.")]
            torch.testing.assert_close(got.double(), value, rtol=0, atol=2e-6)
    # the base weights, shared by policy and reference, are never written
    for n, value in base.items():
        if ".ref." not in n:
            assert torch.equal(params[n], value), n


def test_peft_existing_ref_adapter_is_reused():
    model = _lora()
    model.add_adapter("ref", copy.deepcopy(model.peft_config["default"]))
    ref_param = dict(model.named_parameters())[
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.ref.weight"
    ]
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    _begin(callback, model, ref_model=None)
    _perturb_adapter(model, 1)
    callback.on_step_end(SimpleNamespace(), _state(1), TrainerControl(), model=model,
                         ref_model=None)
    expected = callback.bema_state_dict()[
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"
    ]
    torch.testing.assert_close(ref_param.detach(), expected, rtol=0, atol=1e-7)


def test_trl_callback_crashes_on_peft_where_ours_works():
    from trl import BEMACallback as TRLBEMACallback

    model = _lora()
    with pytest.raises(Exception):  # noqa: B017 - TRL calls PeftModel(config)
        TRLBEMACallback().on_train_begin(SimpleNamespace(), _state(0), TrainerControl(),
                                         model=model)
    _begin(BEMACallback(update_ref_model=True), model, ref_model=None)


def test_peft_policy_with_plain_reference_is_refused():
    with pytest.raises(ValueError, match="adapter weights and cannot be written into a plain"):
        _begin(BEMACallback(update_ref_model=True), _lora(), ref_model=tiny_model(0))


def test_plain_policy_with_ref_model_none_is_refused():
    model = tiny_model(0)
    with pytest.raises(ValueError, match="ref_model is None and the policy is not a PEFT"):
        _begin(BEMACallback(update_ref_model=True), model, ref_model=None)


def test_trainer_without_ref_model_kwarg_is_told_to_use_our_dpo_trainer():
    with pytest.raises(ValueError, match="import DPOTrainer"):
        _begin(BEMACallback(update_ref_model=True), tiny_model(0))


def test_reference_of_another_architecture_is_refused():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    other = Qwen2ForCausalLM(Qwen2Config(vocab_size=64, hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2,
                                         num_key_value_heads=1))
    with pytest.raises(ValueError, match="does not match the policy's trainable parameters"):
        _begin(BEMACallback(update_ref_model=True), tiny_model(0), ref_model=other)


def test_policy_as_its_own_reference_is_refused():
    model = tiny_model(0)
    with pytest.raises(ValueError, match="the reference model is the policy itself"):
        _begin(BEMACallback(update_ref_model=True), model, ref_model=model)


@pytest.mark.parametrize(
    "flag, message",
    [("precompute_ref_log_probs", "precompute_ref_log_probs=True"),
     ("sync_ref_model", "sync_ref_model=True")],
)
def test_conflicting_dpo_settings_are_refused(flag, message):
    args = SimpleNamespace(output_dir="x", **{flag: True})
    with pytest.raises(ValueError, match=message):
        _begin(BEMACallback(update_ref_model=True), tiny_model(0), args=args,
               ref_model=tiny_model(0))


def test_no_reference_needed_without_update_ref_model():
    callback = BEMACallback(update_freq=1)
    _begin(callback, tiny_model(0))  # plain Trainer: no ref_model kwarg, no error


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(update_freq=0), "update_freq must be a positive integer, got 0"),
        (dict(update_freq=2.5), "update_freq must be a positive integer, got 2.5"),
        (dict(ref_model_update_freq=-1), "ref_model_update_freq must be a positive integer"),
        (dict(update_after=-3), "update_after must be an integer >= 0, got -3"),
        (dict(ema_power=-0.5), "ema_power must be >= 0.0, got -0.5"),
        (dict(bias_power=float("nan")), "bias_power must be a finite number"),
        (dict(min_ema_multiplier=1.5), "min_ema_multiplier must be between 0.0 and 1.0"),
        (dict(lag=0, multiplier=0), "lag and multiplier are both 0"),
        (dict(update_ref_model="yes"), "update_ref_model must be True or False"),
        (dict(step_convention="authors"), "step_convention must be 'trl'"),
        (dict(torch_compile="yes"), "torch_compile must be True or False, got 'yes'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BEMACallback(**kwargs)


def test_trl_attribute_names_read_through():
    callback = BEMACallback(update_freq=7, lag=3)
    assert (callback.update_freq, callback.lag, callback.update_ref_model) == (7, 3, False)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        callback.nope  # noqa: B018


def test_experimental_path_gives_the_same_classes():
    import warnings

    import fledge_plugins.bema_for_ref_model.api as api

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fledge.experimental.bema_for_ref_model import BEMACallback as Exp
        from fledge.experimental.bema_for_ref_model import DPOTrainer
    assert Exp is api.BEMACallback and DPOTrainer is api.DPOTrainer
