"""Real DPO trainings on the kit's tiny model: reference updated, resumable, saved; the demo."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import torch

from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
from fledge_plugins.bema_for_ref_model._callback import STATE_FILE as STATE_FILE_NAME
from fledge_plugins.bema_for_ref_model.api import BEMACallback, DPOTrainer

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]


def _trainer(output_dir, *, max_steps=4, save_steps=None, callback=None, peft_config=None,
             ref=True):
    from trl import DPOConfig

    tokenizer = tiny_tokenizer()
    config = DPOConfig(
        output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=4,
        learning_rate=5e-3, bf16=False, use_cpu=True, report_to="none", seed=0,
        save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500,
        logging_steps=1, disable_tqdm=True,
    )
    callback = callback or BEMACallback(update_freq=1, update_ref_model=True,
                                        ref_model_update_freq=2)
    trainer = DPOTrainer(
        model=tiny_model(0, tokenizer=tokenizer),
        ref_model=tiny_model(0, tokenizer=tokenizer) if ref else None,
        args=config, train_dataset=make_dataset("standard_preference"),
        processing_class=tokenizer, callbacks=[callback], peft_config=peft_config,
    )
    return trainer, callback


def _params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters(remove_duplicate=False)}


def test_dpo_training_updates_the_reference_and_saves_the_bema_model(tmp_path):
    trainer, callback = _trainer(tmp_path)
    before = _params(trainer.ref_model)
    trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 4 and all(torch.isfinite(torch.tensor(losses)))
    after = _params(trainer.ref_model)
    assert any(not torch.equal(before[n], after[n]) for n in before)
    # step 4 is both an EMA update and a reference update: the reference holds the final BEMA
    bema = callback.bema_state_dict()
    for n, value in bema.items():
        torch.testing.assert_close(after[n], value, rtol=0, atol=1e-6)
    from transformers import AutoModelForCausalLM

    saved = _params(AutoModelForCausalLM.from_pretrained(tmp_path / "bema"))
    for n, value in bema.items():
        torch.testing.assert_close(saved[n], value, rtol=0, atol=1e-6)
    # the reference differs from the policy: BEMA is not a copy of the weights
    policy = _params(trainer.model)
    assert not torch.allclose(policy["model.norm.weight"], after["model.norm.weight"])


def test_resumed_run_ends_with_the_same_bema_weights(tmp_path):
    full_dir, resumed_dir = tmp_path / "full", tmp_path / "resumed"
    full, full_cb = _trainer(full_dir, max_steps=6, save_steps=3)
    full.train()
    assert (full_dir / "checkpoint-3" / STATE_FILE_NAME).is_file()

    resumed_dir.mkdir()
    shutil.copytree(full_dir / "checkpoint-3", resumed_dir / "checkpoint-3")
    resumed, resumed_cb = _trainer(resumed_dir, max_steps=6, save_steps=3)
    resumed.train(resume_from_checkpoint=True)

    for name, value in full_cb.bema_state_dict().items():
        torch.testing.assert_close(resumed_cb.bema_state_dict()[name], value, rtol=0, atol=1e-6)
    full_ref, resumed_ref = _params(full.ref_model), _params(resumed.ref_model)
    for n in full_ref:
        torch.testing.assert_close(resumed_ref[n], full_ref[n], rtol=0, atol=1e-6)
    full_policy, resumed_policy = _params(full.model), _params(resumed.model)
    for n in full_policy:
        torch.testing.assert_close(resumed_policy[n], full_policy[n], rtol=0, atol=1e-6)


def test_resume_without_saved_state_warns(tmp_path):
    full, _ = _trainer(tmp_path, max_steps=2, save_steps=2)
    full.train()
    (tmp_path / "checkpoint-2" / STATE_FILE_NAME).unlink()
    again, _ = _trainer(tmp_path, max_steps=3, save_steps=5)
    with pytest.warns(UserWarning, match="does not exist; the average restarts"):
        again.train(resume_from_checkpoint=str(tmp_path / "checkpoint-2"))


def test_peft_dpo_training_updates_the_ref_adapter_only(tmp_path):
    peft = pytest.importorskip("peft")
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    trainer, callback = _trainer(tmp_path, peft_config=config, ref=False)
    base = {n: p for n, p in _params(trainer.model).items() if "lora_" not in n}
    trainer.train()
    params = _params(trainer.model)
    assert "ref" in trainer.model.peft_config
    refs = {n: p for n, p in params.items() if ".ref." in n}
    assert refs and any(p.abs().sum() > 0 for n, p in refs.items() if "lora_B" in n)
    for n, value in callback.bema_state_dict().items():
        torch.testing.assert_close(params[n.replace(".default.", ".ref.")], value,
                                   rtol=0, atol=1e-6)
    for n, value in base.items():
        assert torch.equal(params[n], value), n
    assert (tmp_path / "bema" / "adapter_model.safetensors").is_file()


TRL_SEED_SNIPPET = '''
from fledge.experimental.bema_for_ref_model import BEMACallback, DPOTrainer
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer


pref_dataset = load_dataset("trl-internal-testing/zen", "standard_preference", split="train")
ref_model = AutoModelForCausalLM.from_pretrained("trl-internal-testing/tiny-Qwen2ForCausalLM-2.5")

bema_callback = BEMACallback(update_ref_model=True)

model = AutoModelForCausalLM.from_pretrained("trl-internal-testing/tiny-Qwen2ForCausalLM-2.5")
tokenizer = AutoTokenizer.from_pretrained("trl-internal-testing/tiny-Qwen2ForCausalLM-2.5")
tokenizer.pad_token = tokenizer.eos_token

trainer = DPOTrainer(
    model=model,
    ref_model=ref_model,
    train_dataset=pref_dataset,
    processing_class=tokenizer,
    callbacks=[bema_callback],
)

trainer.train()
'''


def test_trl_docs_snippet_runs_unchanged_with_the_fledge_import(offline_hub):
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(TRL_SEED_SNIPPET, "trl-docs-snippet", "exec"), namespace)
    out = Path("tiny-Qwen2ForCausalLM-2.5-DPO")
    assert (out / "bema" / "model.safetensors").is_file()
    assert namespace["trainer"].state.global_step > 0


def test_demo_runs_with_a_progress_bar_and_reports_the_reference_move(capsys, tmp_path):
    from fledge.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["demo", "bema_for_ref_model", "--steps", "2", "--ref-update-freq", "1",
                       "--output-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "2/2" in err  # the trainer's progress bar
    assert "reference moved" in out and "policy moved" in out
    moved = float(out.split("reference moved ")[1].split()[0])
    assert moved > 0
    assert (tmp_path / "bema" / "model.safetensors").is_file()


def test_demo_rejects_bad_arguments(capsys):
    from fledge_plugins.bema_for_ref_model.demo import main

    assert main(["--steps", "0"]) == 2
    assert "--steps and --ref-update-freq must be at least 1" in capsys.readouterr().err
