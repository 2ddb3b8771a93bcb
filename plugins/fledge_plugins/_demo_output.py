"""What a built-in demo prints: its own lines, each saying what it means, not the trainer's dicts.

transformers' ``Trainer`` prints every log it makes as a raw dict (``{'train_runtime':
'1.689', ...}``) through its printer or progress-bar callback, the final one included even
with ``logging_strategy="no"``. A demo keeps the progress bar and drops those dicts; it says
what the run did in its own words (`run_summary`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["quiet_trainer_logs", "run_summary"]


def quiet_trainer_logs(trainer: Any) -> None:
    """Stop ``trainer`` printing its log dicts; its progress bar, if any, stays."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    class BarOnly(ProgressCallback):
        """transformers' progress bar, without the log dicts it writes under it."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            return None

    handler = trainer.callback_handler
    had_bar = any(type(cb) is ProgressCallback for cb in handler.callbacks)
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if had_bar:
        trainer.add_callback(BarOnly)


def run_summary(output: Any, loss_name: str) -> str:
    """``trained N steps in T s; mean <loss_name> L``, from ``trainer.train()``'s result."""
    metrics = getattr(output, "metrics", {}) or {}
    steps = getattr(output, "global_step", None)
    runtime = metrics.get("train_runtime")
    loss = getattr(output, "training_loss", metrics.get("train_loss"))
    parts = [f"trained {steps} step(s)" if steps is not None else "trained"]
    if runtime is not None:
        parts[0] += f" in {float(runtime):.1f} s"
    if loss is not None:
        parts.append(f"mean {loss_name} over the run {float(loss):.4f}")
    return "; ".join(parts)
