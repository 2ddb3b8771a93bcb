"""``fledge demo bema_for_ref_model``: a few DPO steps on the kit's tiny model.

The reference model follows the policy's BEMA weights; the demo reports how far the
reference moved from where it started, and how far the policy did. Its lines:

* ``DPO on the tiny Qwen2 model ...``: what runs: the steps, and at which of them the
  reference model takes the policy's BEMA weights.
* ``trained N step(s) in T s; mean DPO loss ...``: the run itself (ln 2 = 0.6931 is the loss
  of a policy that prefers neither answer).
* ``reference moved ...``: how far the reference's weights went from where they started
  (L2 distance, and as a share of their norm): nonzero because BEMA wrote into it.
* ``policy moved ...``: the same for the policy, and how far the reference now is from it
  (BEMA's average lags the policy: it is a smoothed copy, not the policy itself).
* ``BEMA model saved to ...``: where the callback saved the averaged weights.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence

from .._demo_output import quiet_trainer_logs, run_summary
from .._demo_warnings import quiet_third_party_warnings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fledge demo bema_for_ref_model",
        description="Train the kit's tiny Qwen2 model with DPO for a few steps, with the "
        "reference model updated to the policy's BEMA weights.",
    )
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps (default 8)")
    parser.add_argument(
        "--ref-update-freq", type=int, default=None,
        help="update the reference every N steps (default 2, or --steps when fewer)",
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
    if args.ref_update_freq is None:  # one update at least, however short the run
        args.ref_update_freq = max(min(2, args.steps), 1)
    problem = _argument_problem(args.steps, args.ref_update_freq)
    if problem:
        parser.print_usage(sys.stderr)
        print(f"fledge demo bema_for_ref_model: {problem}", file=sys.stderr)
        return 2
    # transformers' and TRL's deprecation notices about their own calls are noise here.
    with quiet_third_party_warnings():
        if args.output_dir is None:
            with tempfile.TemporaryDirectory(prefix="fledge-bema-demo-") as folder:
                return _run(args, folder)
        return _run(args, args.output_dir)


def _argument_problem(steps: int, ref_update_freq: int) -> str | None:
    """Why the arguments cannot show BEMA moving the reference, and what to pass; or None."""
    if steps < 1 or ref_update_freq < 1:
        return (f"--steps and --ref-update-freq must be at least 1; got --steps {steps} "
                f"--ref-update-freq {ref_update_freq}")
    if ref_update_freq > steps:
        return (f"--steps {steps} ends before the reference's first update, at step "
                f"{ref_update_freq} (--ref-update-freq {ref_update_freq}), so the demo would "
                f"show nothing: pass --steps {ref_update_freq} or more, or --ref-update-freq "
                f"{steps} or less")
    return None


def _run(args: argparse.Namespace, output_dir: str) -> int:
    import torch
    from transformers.utils import logging as hf_logging
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer

    from .api import BEMACallback, DPOTrainer

    hf_logging.set_verbosity_error()
    if args.no_progress:
        import datasets

        datasets.disable_progress_bars()
        hf_logging.disable_progress_bar()
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
    quiet_trainer_logs(trainer)
    updates = args.steps // args.ref_update_freq
    print(
        f"DPO on the tiny Qwen2 model ({sum(p.numel() for p in model.parameters()):,} "
        f"parameters) for {args.steps} step(s); the reference takes the policy's BEMA "
        f"weights every {args.ref_update_freq} step(s): {updates} time(s)"
    )
    output = trainer.train()
    print(run_summary(output, "DPO loss") + " (ln 2 = 0.6931 would mean no preference "
          "learned yet)")

    def distance(params: dict[str, torch.Tensor], base: dict[str, torch.Tensor]) -> float:
        return sum(float((params[n].detach() - base[n]).float().pow(2).sum()) for n in base) ** 0.5

    ref_now = dict(ref_model.named_parameters())
    norm = sum(float(t.float().pow(2).sum()) for t in start.values()) ** 0.5
    ref_moved = distance(ref_now, start)
    policy_moved = distance(dict(model.named_parameters()), start)
    gap = distance(dict(model.named_parameters()), {n: t.detach() for n, t in ref_now.items()})
    print(f"reference moved {ref_moved:.4f} from its start (L2 distance; {ref_moved / norm:.2%} "
          "of its norm): BEMA's averaged weights were written into it")
    print(f"policy moved    {policy_moved:.4f} from the same start; the reference is {gap:.4f} "
          "from it (BEMA's average lags the policy)")
    print(
        f"BEMA model saved to {output_dir}/bema"
        if args.output_dir
        else "BEMA model saved to a temporary folder (pass --output-dir to keep it)"
    )
    if ref_moved > 0:
        return 0
    print(f"fledge demo bema_for_ref_model: the reference did not move in {args.steps} step(s) "
          f"although it was to be updated {updates} time(s): BEMACallback did not write into "
          "it; run the tests in tests/plugins to find out why", file=sys.stderr)
    return 1
