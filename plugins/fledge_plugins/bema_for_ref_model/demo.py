"""``fledge demo bema_for_ref_model``: a few DPO steps on the kit's tiny model.

The reference model follows the policy's BEMA weights; the demo reports how far the
reference moved from where it started, and how far the policy did.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence

from .._demo_warnings import quiet_third_party_warnings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fledge demo bema_for_ref_model",
        description="Train the kit's tiny Qwen2 model with DPO for a few steps, with the "
        "reference model updated to the policy's BEMA weights.",
    )
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps (default 8)")
    parser.add_argument(
        "--ref-update-freq", type=int, default=2,
        help="update the reference every N steps (default 2)",
    )
    parser.add_argument("--seed", type=int, default=0, help="model and data seed (default 0)")
    parser.add_argument(
        "--output-dir", default=None,
        help="where the trainer writes (default: a temporary folder, removed afterwards)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit status.

    Args:
        argv: the demo's arguments (``--help`` lists them).

    Returns:
        0 on success, 2 for bad arguments.
    """
    parser = _parser()
    args = parser.parse_args(list(argv or []))
    if args.steps < 1 or args.ref_update_freq < 1:
        parser.print_usage()
        print("fledge demo bema_for_ref_model: --steps and --ref-update-freq must be >= 1")
        return 2
    # transformers' and TRL's deprecation notices about their own calls are noise here.
    with quiet_third_party_warnings():
        if args.output_dir is None:
            with tempfile.TemporaryDirectory(prefix="fledge-bema-demo-") as folder:
                return _run(args, folder)
        return _run(args, args.output_dir)


def _run(args: argparse.Namespace, output_dir: str) -> int:
    import torch
    from transformers.utils import logging as hf_logging
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer

    from .api import BEMACallback, DPOTrainer

    hf_logging.set_verbosity_error()
    tokenizer = tiny_tokenizer(args.seed)
    model = tiny_model(args.seed, tokenizer=tokenizer)
    ref_model = tiny_model(args.seed, tokenizer=tokenizer)
    start = {n: p.detach().clone() for n, p in ref_model.named_parameters()}
    callback = BEMACallback(
        update_freq=1,
        update_ref_model=True,
        ref_model_update_freq=args.ref_update_freq,
    )
    config = DPOConfig(
        output_dir=output_dir,
        max_steps=args.steps,
        per_device_train_batch_size=4,
        learning_rate=5e-3,
        seed=args.seed,
        bf16=False,
        use_cpu=True,
        save_strategy="no",
        report_to="none",
        logging_strategy="no",
        disable_tqdm=args.no_progress,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=ref_model,
        args=config,
        train_dataset=make_dataset("standard_preference"),
        processing_class=tokenizer,
        callbacks=[callback],
    )
    print(
        f"DPO on the tiny Qwen2 model ({sum(p.numel() for p in model.parameters()):,} "
        f"parameters) for {args.steps} steps; reference <- BEMA weights every "
        f"{args.ref_update_freq} steps"
    )
    trainer.train()

    def distance(params: dict[str, torch.Tensor], base: dict[str, torch.Tensor]) -> float:
        return sum(float((params[n].detach() - base[n]).float().pow(2).sum()) for n in base) ** 0.5

    ref_now = dict(ref_model.named_parameters())
    norm = sum(float(t.float().pow(2).sum()) for t in start.values()) ** 0.5
    ref_moved = distance(ref_now, start)
    policy_moved = distance(dict(model.named_parameters()), start)
    gap = distance(dict(model.named_parameters()), {n: t.detach() for n, t in ref_now.items()})
    print(
        f"reference moved {ref_moved:.4f} from its start (L2; {ref_moved / norm:.2%} of its norm)"
    )
    print(f"policy moved    {policy_moved:.4f}; policy-reference distance now {gap:.4f}")
    print(
        f"BEMA model saved to {output_dir}/bema"
        if args.output_dir
        else "BEMA model saved to a temporary folder (pass --output-dir to keep it)"
    )
    return 0 if ref_moved > 0 else 1
