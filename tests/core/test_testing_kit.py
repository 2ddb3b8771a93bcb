"""The offline training kit: tokenizer, model, datasets, on-disk hub, pytest fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
datasets = pytest.importorskip("datasets")

from fledge import testing  # noqa: E402
from fledge.testing import training  # noqa: E402


def test_public_names_resolve_lazily_from_fledge_testing():
    for name in ("tiny_tokenizer", "tiny_model", "make_dataset", "write_hub", "CONFIGS"):
        assert getattr(testing, name) is getattr(training, name)
        assert name in testing.__all__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        testing.nope  # noqa: B018


def test_importing_fledge_testing_and_its_pytest_plugin_loads_no_torch():
    code = (
        "import sys, fledge.testing, fledge.testing.pytest_plugin\n"
        "heavy = [m for m in ('torch', 'transformers', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tokenizer_has_pad_eos_chat_template_and_round_trips_any_text(tiny_tokenizer):
    tok = tiny_tokenizer
    assert isinstance(tok, transformers.PreTrainedTokenizerFast)
    assert (tok.pad_token, tok.eos_token) == ("<|endoftext|>", "<|im_end|>")
    assert tok.pad_token_id != tok.eos_token_id
    text = "Beautiful is better than ugly. Ünïcødé 🙂 {x: 1}"
    assert tok.decode(tok(text).input_ids) == text  # byte-level: nothing is unknown
    chat = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    # the corpus is learned: a common phrase takes far fewer tokens than bytes
    assert len(tok("Beautiful is better than ugly.").input_ids) < 10


def test_tokenizer_is_deterministic():
    a, b = training.tiny_tokenizer(0), training.tiny_tokenizer(0)
    assert a.get_vocab() == b.get_vocab()
    assert a("Readability counts.").input_ids == b("Readability counts.").input_ids


def test_tiny_model_is_deterministic_per_seed_and_leaves_global_rng_alone(tiny_tokenizer):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = training.tiny_model(0, tokenizer=tiny_tokenizer)
    assert torch.equal(torch.rand(1), expected_next)
    b = training.tiny_model(0, tokenizer=tiny_tokenizer)
    c = training.tiny_model(1, tokenizer=tiny_tokenizer)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), name
    pairs = zip(a.parameters(), c.parameters(), strict=True)
    assert not all(torch.equal(pa, pc) for pa, pc in pairs)


def test_tiny_model_matches_tokenizer_and_runs(tiny_model, tiny_tokenizer):
    assert isinstance(tiny_model, transformers.Qwen2ForCausalLM)
    assert tiny_model.config.vocab_size == len(tiny_tokenizer)
    assert tiny_model.generation_config.pad_token_id == tiny_tokenizer.pad_token_id
    assert tiny_model.generation_config.eos_token_id == tiny_tokenizer.eos_token_id
    assert sum(p.numel() for p in tiny_model.parameters()) < 100_000
    # tied embeddings, as the small Qwen2.5 models have
    assert tiny_model.lm_head.weight is tiny_model.model.embed_tokens.weight
    batch = tiny_tokenizer(["Simple is better", "Flat"], padding=True, return_tensors="pt")
    out = tiny_model(**batch, labels=batch.input_ids)
    assert out.logits.shape == (2, batch.input_ids.shape[1], len(tiny_tokenizer))
    assert torch.isfinite(out.loss)
    out.loss.backward()
    generated = tiny_model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert generated.shape[1] <= batch.input_ids.shape[1] + 3


def test_tiny_model_dtype(tiny_tokenizer):
    model = training.tiny_model(tokenizer=tiny_tokenizer, dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    with pytest.raises(TypeError, match="dtype must be a floating torch.dtype, got torch.int64"):
        training.tiny_model(tokenizer=tiny_tokenizer, dtype=torch.int64)


@pytest.mark.parametrize(
    "config, columns",
    [
        ("standard_preference", {"prompt", "chosen", "rejected"}),
        ("standard_prompt_only", {"prompt"}),
        ("conversational_preference", {"prompt", "chosen", "rejected"}),
        ("conversational_prompt_only", {"prompt"}),
        ("standard_language_modeling", {"text"}),
        ("conversational_language_modeling", {"messages"}),
        ("standard_prompt_completion", {"prompt", "completion"}),
        ("standard_unpaired_preference", {"prompt", "completion", "label"}),
        ("standard_implicit_prompt_preference", {"chosen", "rejected"}),
    ],
)
def test_make_dataset_formats(config, columns):
    train, test = training.make_dataset(config), training.make_dataset(config, "test")
    assert isinstance(train, datasets.Dataset)
    assert set(train.column_names) == columns
    assert len(train) > len(test) > 0
    row = train[0]
    if config.startswith("conversational"):
        first = next(iter(row.values()))
        assert isinstance(first, list) and {"role", "content"} <= set(first[0])
    else:
        assert all(isinstance(row[c], (str, bool)) for c in columns)
    assert training.make_dataset(config).to_list() == train.to_list()


def test_make_dataset_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown config 'preference'; expected one of"):
        training.make_dataset("preference")
    with pytest.raises(ValueError, match="unknown split 'validation'; expected 'train' or"):
        training.make_dataset("standard_preference", "validation")


def test_preference_and_prompt_only_fixtures(preference_dataset, prompt_only_dataset):
    assert preference_dataset.column_names == ["prompt", "chosen", "rejected"]
    assert prompt_only_dataset.column_names == ["prompt"]
    assert preference_dataset["prompt"] == prompt_only_dataset["prompt"]


def test_tiny_model_path_loads_with_auto_classes(tiny_model_path):
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_path)
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer.chat_template is not None


def test_offline_hub_serves_hub_names_unchanged(offline_hub):
    assert Path.cwd() == offline_hub
    assert os.environ["HF_HUB_OFFLINE"] == os.environ["HF_DATASETS_OFFLINE"] == "1"
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    pref = load_dataset("trl-internal-testing/zen", "standard_preference", split="train")
    assert pref.to_list() == training.make_dataset("standard_preference").to_list()
    conv = load_dataset("trl-internal-testing/zen", "conversational_prompt_only", split="test")
    assert conv.to_list() == training.make_dataset("conversational_prompt_only", "test").to_list()
    name = "trl-internal-testing/tiny-Qwen2ForCausalLM-2.5"
    model = AutoModelForCausalLM.from_pretrained(name)
    tokenizer = AutoTokenizer.from_pretrained(name)
    reference = training.tiny_model()
    expected = reference.state_dict()
    assert model.state_dict().keys() == expected.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert tokenizer("Now is better than never.").input_ids == training.tiny_tokenizer()(
        "Now is better than never."
    ).input_ids


def test_offline_hub_gives_each_test_its_own_copy(offline_hub, _fledge_hub_cache):
    assert offline_hub != _fledge_hub_cache
    (offline_hub / "trainer_output").mkdir()
    assert not (_fledge_hub_cache / "trainer_output").exists()


@pytest.mark.slow
def test_fixtures_reach_any_test_suite_through_the_pytest11_entry_point(tmp_path):
    # A user's suite with no conftest: the fixtures come from the installed entry point.
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            def test_it(offline_hub, tiny_model, tiny_tokenizer, preference_dataset):
                assert Path("trl-internal-testing/zen/README.md").is_file()
                assert tiny_model.config.vocab_size == len(tiny_tokenizer)
                assert len(preference_dataset) == 17
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.slow
def test_prepare_examples_runs_hub_style_code_in_a_fresh_process(tmp_path):
    """promote's examples_setup: a throwaway process lays the hub out and goes offline."""
    import subprocess
    import sys

    code = (
        "import pathlib\n"
        "from fledge.testing.offline import prepare_examples\n"
        "prepare_examples(pathlib.Path.cwd())\n"
        "from datasets import load_dataset\n"
        "from trl import DPOConfig\n"
        "rows = load_dataset('trl-internal-testing/zen', 'standard_preference', split='train')\n"
        "print(len(rows), DPOConfig(output_dir='out').bf16)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "False"  # TRL's bf16 default is off on a CPU machine
    assert int(done.stdout.split()[-2]) > 0
