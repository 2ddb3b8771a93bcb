"""``DPOTrainer``: TRL's stable DPOTrainer, extended only so callbacks reach the reference."""

from __future__ import annotations

from typing import Any

import trl
from transformers.trainer_callback import CallbackHandler
from transformers.trainer_utils import get_last_checkpoint


class _RefModelCallbackHandler(CallbackHandler):
    """Passes the trainer's current ``ref_model`` to every callback event."""

    def __init__(self, handler: CallbackHandler, trainer: trl.DPOTrainer) -> None:
        # Take over the existing handler's state instead of re-running its constructor.
        self.__dict__.update(handler.__dict__)
        self._trainer = trainer

    def call_event(self, event: str, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("ref_model", self._trainer.ref_model)
        return super().call_event(event, args, state, control, **kwargs)


class DPOTrainer(trl.DPOTrainer):
    """``trl.DPOTrainer`` whose callbacks receive ``ref_model=`` in every event.

    That is all it adds (plus telling :class:`BEMACallback` which checkpoint a run resumes
    from); construct and train it exactly as TRL's. The reference passed is the trainer's
    ``ref_model`` at the time of the event: ``None`` for a PEFT policy, whose reference is
    its ``"ref"`` adapter or its base model.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.callback_handler = _RefModelCallbackHandler(self.callback_handler, self)

    def train(
        self, resume_from_checkpoint: str | bool | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        """TRL's ``train``; a resumed run also restores each BEMACallback's state."""
        from ._callback import BEMACallback

        checkpoint = resume_from_checkpoint
        if checkpoint is True:
            checkpoint = get_last_checkpoint(self.args.output_dir)
        if isinstance(checkpoint, str):
            for callback in self.callback_handler.callbacks:
                if isinstance(callback, BEMACallback):
                    callback._resume_dir = checkpoint
        return super().train(resume_from_checkpoint, *args, **kwargs)
