"""The offline training kit: a tiny Qwen2 causal LM, its tokenizer, TRL-format datasets.

Everything is built locally and deterministically, so tests and demos of TRL-style code run
without a model hub. `write_hub` lays the model and datasets out on disk under the hub
names TRL's docs use (``trl-internal-testing/tiny-Qwen2ForCausalLM-2.5`` and
``trl-internal-testing/zen``), so that code written for the hub runs unchanged from that
folder.

This module imports torch, transformers and datasets; ``fledge.testing`` imports it on first
use of one of its names.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from ._corpus import EXTRA, ZEN

__all__ = [
    "CONFIGS",
    "MODEL_ID",
    "DATASET_ID",
    "make_dataset",
    "tiny_model",
    "tiny_tokenizer",
    "write_hub",
]

#: The hub name under which `write_hub` saves the tiny model and its tokenizer.
MODEL_ID = "trl-internal-testing/tiny-Qwen2ForCausalLM-2.5"
#: The hub name under which `write_hub` saves the datasets.
DATASET_ID = "trl-internal-testing/zen"

_VOCAB_SIZE = 640
_PAD, _EOS, _BOS = "<|endoftext|>", "<|im_end|>", "<|im_start|>"
_SPECIAL = (_PAD, _BOS, _EOS)

# ChatML, as Qwen2 uses; `add_generation_prompt` opens the assistant turn.
_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_tokenizer(seed: int = 0) -> transformers.PreTrainedTokenizerFast:
    """A small byte-level BPE tokenizer trained on the kit's built-in corpus.

    Byte-level, so any text encodes. ``<|endoftext|>`` is the pad token and ``<|im_end|>``
    the end-of-sequence token, as in Qwen2; the chat template is ChatML.

    Args:
        seed: orders the training corpus; the same seed gives the same vocabulary.

    Returns:
        A fast tokenizer with about 640 tokens.
    """
    lines = [p + c for p, c, _ in ZEN] + [p + r for p, _, r in ZEN] + list(EXTRA)
    random.Random(seed).shuffle(lines)
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        special_tokens=list(_SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(lines * 4, trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token=_PAD,
        eos_token=_EOS,
        bos_token=None,
        unk_token=None,
        model_max_length=512,
        padding_side="right",
    )
    tokenizer.chat_template = _CHAT_TEMPLATE
    return tokenizer


def tiny_model(
    seed: int = 0,
    *,
    tokenizer: transformers.PreTrainedTokenizerBase | None = None,
    dtype: torch.dtype = torch.float32,
) -> transformers.Qwen2ForCausalLM:
    """A tiny, randomly initialised Qwen2 causal LM (about 60k parameters, fast on CPU).

    Input and output embeddings are tied, as in the small Qwen2.5 models.

    Args:
        seed: seeds the initialisation; the same seed gives the same weights. The global
            random state is left untouched.
        tokenizer: the tokenizer whose vocabulary, pad and eos ids the model takes;
            ``tiny_tokenizer(seed)`` by default.
        dtype: the parameters' dtype.

    Returns:
        The model, in train mode, on the CPU.
    """
    if tokenizer is None:
        tokenizer = tiny_tokenizer(seed)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"tiny_model: dtype must be a floating torch.dtype, got {dtype!r}")
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.Qwen2ForCausalLM(config)
    model.to(dtype)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = None
    model.train()
    return model


def _standard(kind: str, prompt: str, good: str, bad: str) -> list[dict[str, Any]]:
    if kind == "language_modeling":
        return [{"text": prompt + good}]
    if kind == "prompt_only":
        return [{"prompt": prompt}]
    if kind == "prompt_completion":
        return [{"prompt": prompt, "completion": good}]
    if kind == "preference":
        return [{"prompt": prompt, "chosen": good, "rejected": bad}]
    if kind == "implicit_prompt_preference":
        return [{"chosen": prompt + good, "rejected": prompt + bad}]
    if kind == "unpaired_preference":
        return [
            {"prompt": prompt, "completion": good, "label": True},
            {"prompt": prompt, "completion": bad, "label": False},
        ]
    raise AssertionError(kind)


def _turn(role: str, text: str) -> list[dict[str, str]]:
    return [{"role": role, "content": text.strip()}]


def _conversational(kind: str, prompt: str, good: str, bad: str) -> list[dict[str, Any]]:
    user = _turn("user", f"Complete: {prompt}")
    if kind == "language_modeling":
        return [{"messages": user + _turn("assistant", prompt + good)}]
    if kind == "prompt_only":
        return [{"prompt": user}]
    if kind == "prompt_completion":
        return [{"prompt": user, "completion": _turn("assistant", good)}]
    if kind == "preference":
        return [{"prompt": user, "chosen": _turn("assistant", good),
                 "rejected": _turn("assistant", bad)}]
    if kind == "implicit_prompt_preference":
        return [{"chosen": user + _turn("assistant", good),
                 "rejected": user + _turn("assistant", bad)}]
    if kind == "unpaired_preference":
        return [
            {"prompt": user, "completion": _turn("assistant", good), "label": True},
            {"prompt": user, "completion": _turn("assistant", bad), "label": False},
        ]
    raise AssertionError(kind)


_KINDS = (
    "language_modeling",
    "prompt_only",
    "prompt_completion",
    "preference",
    "implicit_prompt_preference",
    "unpaired_preference",
)
#: The dataset configurations `make_dataset` builds, in TRL's naming.
CONFIGS: tuple[str, ...] = tuple(
    f"{style}_{kind}" for style in ("standard", "conversational") for kind in _KINDS
)
# The last rows are the test split, as in the hub dataset.
_TEST_ROWS = 2


def make_dataset(config: str, split: str = "train") -> datasets.Dataset:
    """A small dataset in one of TRL's formats, built from the Zen of Python.

    Args:
        config: ``<style>_<kind>``, style ``standard`` or ``conversational``, kind one of
            ``language_modeling``, ``prompt_only``, ``prompt_completion``, ``preference``,
            ``implicit_prompt_preference``, ``unpaired_preference`` (see `CONFIGS`).
        split: ``"train"`` (17 aphorisms) or ``"test"`` (2 aphorisms).

    Returns:
        The dataset; the same arguments always give the same rows.

    Raises:
        ValueError: for an unknown ``config`` or ``split``.
    """
    if config not in CONFIGS:
        raise ValueError(
            f"make_dataset: unknown config {config!r}; expected one of {', '.join(CONFIGS)}"
        )
    if split not in ("train", "test"):
        raise ValueError(f"make_dataset: unknown split {split!r}; expected 'train' or 'test'")
    style, _, kind = config.partition("_")
    rows_of = _standard if style == "standard" else _conversational
    source = ZEN[:-_TEST_ROWS] if split == "train" else ZEN[-_TEST_ROWS:]
    rows = [row for triple in source for row in rows_of(kind, *triple)]
    return datasets.Dataset.from_list(rows)


def _dataset_card() -> str:
    lines = ["---", "configs:"]
    for config in CONFIGS:
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in ("train", "test"):
            lines += [f"  - split: {split}", f"    path: {config}/{split}-00000-of-00001.parquet"]
    lines += [
        "---",
        "",
        "# zen (offline copy)",
        "",
        "Written by `fledge.testing.write_hub`: the Zen of Python in TRL's dataset formats,",
        "one configuration per format, with `train` and `test` splits.",
        "",
    ]
    return "\n".join(lines)


def write_hub(root: str | Path) -> Path:
    """Write the tiny model and the datasets under their hub names in ``root``.

    Creates ``root/trl-internal-testing/tiny-Qwen2ForCausalLM-2.5`` (model and tokenizer,
    ``save_pretrained``) and ``root/trl-internal-testing/zen`` (a dataset card naming one
    configuration per format of `CONFIGS`, parquet files per split). From ``root`` as
    the current directory, hub-style code runs unchanged::

        load_dataset("trl-internal-testing/zen", "standard_preference", split="train")
        AutoModelForCausalLM.from_pretrained("trl-internal-testing/tiny-Qwen2ForCausalLM-2.5")

    Args:
        root: the folder to write into (created if missing).

    Returns:
        ``root`` as a `pathlib.Path`.
    """
    root = Path(root)
    model_dir = root / MODEL_ID
    tokenizer = tiny_tokenizer()
    with _quiet():
        tiny_model(tokenizer=tokenizer).save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
        data_dir = root / DATASET_ID
        for config in CONFIGS:
            for split in ("train", "test"):
                path = data_dir / config / f"{split}-00000-of-00001.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                make_dataset(config, split).to_parquet(str(path))
    (data_dir / "README.md").write_text(_dataset_card())
    return root


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hide the progress bars of a few dozen tiny writes; restore the user's setting."""
    hf_bars = datasets.utils.logging.is_progress_bar_enabled()
    tf_bars = transformers.utils.logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    try:
        yield
    finally:
        if hf_bars:
            datasets.enable_progress_bars()
        if tf_bars:
            transformers.utils.logging.enable_progress_bar()
