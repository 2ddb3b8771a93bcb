"""``fledge demo grpo_with_replay_buffer``: a short GRPO run on the tiny local model.

Half of the prompts get a reward that ties (every completion scores 0), so their groups
carry no learning signal; the demo shows how many of them the buffer replaced. Its lines:

* ``trained N step(s) in T s; mean GRPO loss ...``: the run itself.
* ``groups seen ...``: the prompt groups the trainer scored, how many tied (every
  completion the same reward, so no learning signal), and how many of those the buffer
  replaced with a remembered high-signal group.
* ``buffer ...``: how full the replay buffer ended, and the mean score (reward spread) of
  the groups it holds.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence

from .._demo_output import quiet_trainer_logs, run_summary
from .._demo_warnings import quiet_third_party_warnings


def tie_half_reward(prompts: list[str], completions: list[str], **kwargs: object) -> list[float]:
    """0 for every completion of an even-length prompt (a tie); otherwise the number of
    distinct characters in the completion, which differs between completions."""
    return [
        0.0 if len(prompt) % 2 == 0 else float(len(set(completion)))
        for prompt, completion in zip(prompts, completions, strict=True)
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fledge demo grpo_with_replay_buffer",
        description="Train the tiny local model with GRPO and a replay buffer for a few steps.",
    )
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps (default 8)")
    parser.add_argument("--buffer-size", type=int, default=8,
                        help="groups the replay buffer keeps (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--output-dir", default=None,
                        help="where the trainer writes (default: a temporary folder)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit status.

    Args:
        argv: command-line arguments (see ``--help``).
    """
    args = _parser().parse_args(list(argv or []))
    if args.steps < 1:
        _parser().error(f"--steps must be at least 1, got {args.steps}")
    if args.buffer_size < 0:
        _parser().error(f"--buffer-size must be at least 0, got {args.buffer_size}")

    import transformers
    from fledge.experimental.grpo_with_replay_buffer import (
        GRPOWithReplayBufferConfig,
        GRPOWithReplayBufferTrainer,
    )

    from fledge.testing.training import make_dataset, tiny_model, tiny_tokenizer

    transformers.logging.set_verbosity_error()
    tokenizer = tiny_tokenizer(args.seed)
    with tempfile.TemporaryDirectory(prefix="fledge-replay-demo-") as scratch:
        with quiet_third_party_warnings():  # transformers' and TRL's notices are noise here
            config = GRPOWithReplayBufferConfig(
                output_dir=args.output_dir or scratch,
                learning_rate=1e-3,
                per_device_train_batch_size=8,
                num_generations=4,
                max_completion_length=8,
                replay_buffer_size=args.buffer_size,
                max_steps=args.steps,
                logging_strategy="no",
                save_strategy="no",
                report_to="none",
                bf16=False,
                seed=args.seed,
            )
            trainer = GRPOWithReplayBufferTrainer(
                model=tiny_model(args.seed, tokenizer=tokenizer),
                reward_funcs=[tie_half_reward],
                args=config,
                train_dataset=make_dataset("standard_prompt_only"),
                processing_class=tokenizer,
            )
            quiet_trainer_logs(trainer)
            output = trainer.train()
    print(run_summary(output, "GRPO loss"))
    stats = trainer.replay_stats
    buffer = trainer.replay_buffer
    print(
        f"groups seen: {stats['groups']}, tied (zero reward variance): {stats['tied']}, "
        f"replayed from the buffer: {stats['replayed']}"
    )
    print(f"buffer: {len(buffer)} of {buffer.capacity} groups, mean score "
          f"{buffer.mean_score():.3f}")
    return 0
