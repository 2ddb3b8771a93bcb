"""``BEMACallback``: BEMA of the policy weights, optionally written into DPO's reference."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from . import _checkpoint, _sharding, _targets
from ._checkpoint import STATE_FILE  # noqa: F401  (its old home; tests import it here)
from ._schedule import Schedule
from ._state import BEMAState

logger = logging.getLogger(__name__)


class BEMACallback(TrainerCallback):
    r"""BEMA (bias-corrected exponential moving average, arXiv 2508.00180) of the weights.

    The BEMA weights are θ'ₜ = αₜ(θₜ − θ₀) + EMAₜ, with αₜ = (ρ + γt)^(−η),
    EMAₜ = (1 − βₜ)EMAₜ₋₁ + βₜθₜ and βₜ = max((ρ + γt)^(−κ), min_ema_multiplier).
    θ₀ and the EMA restart from the current weights at step ``update_after``; the EMA takes
    in θₜ every ``update_freq`` steps after that. With ``update_ref_model`` the BEMA
    weights are written into DPO's reference model (or, for a PEFT policy, into its
    ``"ref"`` adapter) every ``ref_model_update_freq`` steps from ``ref_model_update_after``
    on. At the end of training the BEMA model is saved to ``<output_dir>/bema``.

    The arguments and their defaults are TRL's (``trl.BEMACallback`` and
    ``trl.experimental.bema_for_ref_model.BEMACallback``), so a run moved from TRL gives the
    same weights. See the feature's docs page for the step conventions, the buffers' dtypes
    and the PEFT behaviour.

    Several processes: with replicated parameters (DDP, DeepSpeed ZeRO-1/2) every rank
    computes the same BEMA weights; with sharded parameters, FSDP2 (``DTensor``) or
    DeepSpeed ZeRO-3 (partitions in ``param.ds_tensor``), θ₀ and the EMA hold each rank's
    own shards or partitions and the BEMA weights go into the reference's matching ones,
    with no communication (ZeRO-3 parameters that stay gathered, the "persistent" small
    ones, are gathered again after each write). Sharded state is checkpointed per rank and
    resumes on the same number of processes only. See the docs' "Distributed training".

    Args:
        update_freq: EMA update every this many steps (φ).
        ema_power: κ, the EMA decay power; 0 makes βₜ = 1 (the EMA is just θₜ).
        bias_power: η, the bias-correction power; 0 keeps αₜ = 1, large values make it
            vanish (plain EMA).
        lag: ρ, the virtual starting age of the schedule.
        update_after: τ, burn-in steps before θ₀ is taken and the EMA starts.
        multiplier: γ, the step multiplier in ρ + γt.
        min_ema_multiplier: lower bound of βₜ.
        device: where θ₀ and the EMA live (``"cpu"`` as in TRL: off the accelerator);
            ``None`` keeps them beside each parameter.
        update_ref_model: write the BEMA weights into the reference model.
        ref_model_update_freq: reference update every this many steps.
        ref_model_update_after: first step at which the reference may be updated.
        step_convention: what ``t`` counts. ``"trl"`` (default): the global step, TRL's
            meaning. ``"paper"``: steps since ``update_after``, as the BEMA authors count.
            They agree when ``update_after`` is 0.
        torch_compile: write the reference through one ``torch.compile``-d kernel that
            fuses the EMA update and the BEMA write of every tensor (one pass over the
            weights instead of three over each cache-sized slice). The first write compiles
            it (tens of seconds on a CPU, which needs a C++ compiler; Triton on a GPU).
            It covers the tensors whose buffers are on the parameter's device (all of them
            on a CPU; on a GPU, with ``device=None``); the others keep the eager update.
            Off by default.

    Raises:
        ValueError: for an invalid argument (named in the message).

    Example:
        >>> from fledge_plugins.bema_for_ref_model.api import BEMACallback
        >>> BEMACallback(update_freq=1, update_ref_model=True).schedule.alpha(1)
        0.619...
    """

    def __init__(
        self,
        update_freq: int = 400,
        ema_power: float = 0.5,
        bias_power: float = 0.2,
        lag: int = 10,
        update_after: int = 0,
        multiplier: float = 1.0,
        min_ema_multiplier: float = 0.0,
        device: str | torch.device | None = "cpu",
        update_ref_model: bool = False,
        ref_model_update_freq: int = 400,
        ref_model_update_after: int = 0,
        *,
        step_convention: str = "trl",
        torch_compile: bool = False,
    ) -> None:
        self.schedule = Schedule(
            update_freq=update_freq,
            ema_power=ema_power,
            bias_power=bias_power,
            lag=lag,
            update_after=update_after,
            multiplier=multiplier,
            min_ema_multiplier=min_ema_multiplier,
            update_ref_model=update_ref_model,
            ref_model_update_freq=ref_model_update_freq,
            ref_model_update_after=ref_model_update_after,
            step_convention=step_convention,
        )
        self.device = None if device is None else torch.device(device)
        if not isinstance(torch_compile, bool):
            raise ValueError(f"torch_compile must be True or False, got {torch_compile!r}")
        self.torch_compile = torch_compile
        self.state: BEMAState | None = None
        self.last_update_step: int | None = None
        self.ref_written = False
        self.sharded = False
        self._policy: Any = None
        self._written: list[Any] = []
        self._resume_dir: str | None = None

    def __getattr__(self, name: str) -> Any:
        # TRL's attribute names (update_freq, lag, ...) read through to the schedule.
        schedule = self.__dict__.get("schedule")
        if schedule is not None and name in schedule.__dataclass_fields__:
            return getattr(schedule, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ events

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if model is None:
            raise ValueError("BEMACallback: the trainer passed no model to on_train_begin")
        policy = _targets.unwrap(model)
        self._check_args(args)
        # FSDP2 registers the sharded parameters only while a module is resharded.
        _sharding.reshard(policy)
        tracked = _targets.trainable(policy)
        if not tracked:
            raise ValueError("BEMACallback: the model has no trainable parameter to average")
        _sharding.check_supported(tracked)
        self.state = BEMAState(tracked, device=self.device, fused=self.torch_compile)
        self.sharded = any(_sharding.is_split(param) for _, param in tracked)
        self.last_update_step = None
        self.ref_written = False
        self._policy = policy
        if self.schedule.update_ref_model:
            self._bind_reference(policy, tracked, kwargs)
        if state.global_step > 0:
            self._restore(args, state)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.state is None:
            return
        step, schedule = state.global_step, self.schedule
        if schedule.is_snapshot_step(step):
            self.state.snapshot()
            self.last_update_step = None
        beta = None
        if schedule.is_update_step(step):
            beta = schedule.beta(step)
            self.last_update_step = step
        alpha = self.current_alpha() if schedule.is_ref_step(step) else None
        if alpha is not None:
            self._reshard_reference()
        self.state.step(beta, alpha)
        if alpha is not None:
            self._refresh_reference()
            self.ref_written = True
            logger.info("BEMACallback: reference model updated with BEMA weights at step %d", step)

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.state is None or not _checkpoint.writes(args, state, self.sharded):
            return
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if self.sharded:
            # Every rank writes its shards; the Trainer's own writer may not have made the
            # folder yet when another rank gets here.
            folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            warnings.warn(
                f"BEMACallback: checkpoint folder {folder} not found; the BEMA state of step "
                f"{state.global_step} was not saved, so resuming from it restarts the average",
                stacklevel=2,
            )
            return
        rank, world = _sharding.rank_and_world()
        name = _checkpoint.file_name(self.sharded, rank, world)
        self.save_state(folder / name, state.global_step)

    def on_train_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if self.state is None:
            return
        # θ₀ is not needed any more: it takes the final BEMA weights, so saving them needs
        # no third copy of the model.
        self.state.bema_into_theta0(self.current_alpha())
        self._final = True
        # Sharded: every rank takes part in gathering the weights; rank 0 writes them.
        if self.sharded or state.is_world_process_zero:
            path = os.path.join(args.output_dir, "bema")
            self.save_bema(path)
            if state.is_world_process_zero:
                logger.info("BEMACallback: saved the BEMA model to %s", path)

    # ------------------------------------------------------------------ public helpers

    def current_alpha(self) -> float:
        """α of the latest EMA update; 0 before the first one (the BEMA weights are θ₀ then)."""
        if self.last_update_step is None:
            return 0.0
        return self.schedule.alpha(self.last_update_step)

    def bema_state_dict(self) -> dict[str, torch.Tensor]:
        """The BEMA weights of the averaged parameters, by name (new tensors, buffer dtype).

        During training: αₖ(θ − θ₀) + EMAₖ with the EMA and α of the latest update k; after
        training: the weights saved to ``<output_dir>/bema``. For a sharded parameter the
        tensor is this rank's local shard (FSDP2), or its ZeRO-3 partition: flat, without
        the padding.
        """
        state = self._require_state()
        result: dict[str, torch.Tensor] = {}
        for index, tracked in enumerate(state.tracked):
            value = (
                tracked.theta0.clone()
                if getattr(self, "_final", False)
                else state.bema(index, self.current_alpha())
            )
            for name in tracked.names:
                result[name] = value
        return result

    def save_bema(self, path: str | os.PathLike[str]) -> None:
        """Save the policy with its BEMA weights (``save_pretrained``; PEFT: the adapter).

        In a distributed run only rank 0 writes. With sharded parameters (FSDP2, ZeRO-3) every
        rank must call it: the weights are gathered one tensor at a time, so rank 0 holds the
        whole model once, as the Trainer's own full-state-dict save does.
        """
        policy = self._policy
        weights = self.bema_state_dict()
        layouts = {n: t.param for t in self._require_state().tracked for n in t.names}
        write = _sharding.rank_and_world()[0] == 0
        # Tied weights are one tensor under several names: gathered once, saved as one (so
        # save_pretrained recognises the tie). Keyed by the model's tensor objects, which
        # are tied alike on every rank, so every rank makes the same collective calls.
        sources = dict(policy.named_parameters(remove_duplicate=False))
        sources.update(policy.named_buffers(remove_duplicate=False))
        done: dict[int, torch.Tensor | None] = {}
        full: dict[str, torch.Tensor] = {}
        peft = _targets.is_peft(policy)
        for name, value in policy.state_dict().items():
            if peft and name not in weights:
                continue  # PEFT saves the adapter only: the base weights are not needed
            key = id(sources.get(name, value))
            if key not in done:
                # Each gather of a DTensor or a ZeRO-3 parameter is a collective: the same
                # order on every rank.
                if name in weights:
                    value = _sharding.full_of(layouts[name], weights[name].to(value.dtype))
                else:
                    source = sources.get(name, value)
                    value = _sharding.full(source if _sharding.is_partitioned(source) else value)
                # Only rank 0 keeps the gathered weights.
                done[key] = (value.detach().cpu() if self.sharded else value) if write else None
            if write:
                full[name] = done[key]
        if not write:
            return
        if peft:
            active = _targets._adapter_name(policy)
            policy.save_pretrained(str(path), selected_adapters=[active], state_dict=full)
        else:
            policy.save_pretrained(str(path), state_dict=full)

    def save_state(self, path: str | os.PathLike[str], global_step: int) -> None:
        """Write θ₀, the EMA and the schedule position to ``path`` (safetensors).

        With sharded parameters the file holds this rank's shards (and says which rank of
        how many wrote it).
        """
        state = self._require_state()
        rank, world = _sharding.rank_and_world()
        metadata = {
            "global_step": str(global_step),
            "last_update_step": "" if self.last_update_step is None else str(self.last_update_step),
            "schedule": json.dumps(self.schedule.to_dict(), sort_keys=True),
        }
        if self.sharded:
            metadata.update(rank=str(rank), world_size=str(world))
        _checkpoint.write(path, state.state_dict(with_targets=self.ref_written), metadata)

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Restore what :meth:`save_state` wrote (after ``on_train_begin`` built the buffers)."""
        state = self._require_state()
        rank, world = _sharding.rank_and_world()
        saved_tensors, metadata = _checkpoint.read(
            path, sharded=self.sharded, rank=rank, world=world
        )
        if not self.schedule.update_ref_model:
            saved_tensors = {k: v for k, v in saved_tensors.items() if not k.startswith("target.")}
        if any(k.startswith("target.") for k in saved_tensors):
            self._reshard_reference()
        state.load_state_dict(saved_tensors, source=str(path))
        if any(k.startswith("target.") for k in saved_tensors):
            self._refresh_reference()
        self.ref_written = any(k.startswith("target.") for k in saved_tensors)
        last = metadata.get("last_update_step", "")
        self.last_update_step = int(last) if last else None
        saved = json.loads(metadata.get("schedule", "{}"))
        if saved and saved != self.schedule.to_dict():
            changed = sorted(k for k in saved if saved[k] != self.schedule.to_dict().get(k))
            warnings.warn(
                f"BEMACallback: resuming with different settings than the checkpoint's "
                f"({', '.join(changed)}); the average continues under the new ones",
                stacklevel=2,
            )

    # ------------------------------------------------------------------ internals

    def _require_state(self) -> BEMAState:
        if self.state is None:
            raise RuntimeError(
                "BEMACallback: no BEMA state yet; it is created when training begins"
            )
        return self.state

    def _check_args(self, args: TrainingArguments) -> None:
        if not self.schedule.update_ref_model:
            return
        if getattr(args, "precompute_ref_log_probs", False):
            raise ValueError(
                "BEMACallback(update_ref_model=True) cannot work with "
                "precompute_ref_log_probs=True: the reference log-probs are computed once "
                "before training, so updating the reference changes nothing; set "
                "precompute_ref_log_probs=False"
            )
        if getattr(args, "sync_ref_model", False):
            raise ValueError(
                "BEMACallback(update_ref_model=True) and sync_ref_model=True both overwrite "
                "the reference model; use one of them"
            )

    def _bind_reference(self, policy: Any, tracked: list, kwargs: dict[str, Any]) -> None:
        assert self.state is not None
        if _targets.is_peft(policy):
            ref = kwargs.get("ref_model")
            holder = None if ref is None else _targets.unwrap(ref)
            if holder is not None and not _targets.is_peft(holder):
                raise ValueError(
                    "BEMACallback: the policy is a PEFT model, so its BEMA weights are adapter "
                    "weights and cannot be written into a plain reference model; pass "
                    "ref_model=None (the reference is then the policy's 'ref' adapter)"
                )
            self._written = [policy if holder is None else holder]
            self._reshard_reference()
            self.state.set_targets(_targets.adapter_targets(policy, tracked, holder))
            return
        if "ref_model" not in kwargs:
            raise ValueError(
                "BEMACallback(update_ref_model=True): the trainer does not pass a reference "
                "model to its callbacks; use the DPOTrainer of this feature "
                "(from fledge.experimental.bema_for_ref_model import DPOTrainer)"
            )
        ref = kwargs["ref_model"]
        if ref is None:
            raise ValueError(
                "BEMACallback(update_ref_model=True): the trainer's ref_model is None and the "
                "policy is not a PEFT model, so there is no reference to update (TRL's callback "
                "would overwrite the policy itself); pass a ref_model to DPOTrainer, or train "
                "a PEFT adapter"
            )
        ref = _targets.unwrap(ref)
        if ref is policy:
            raise ValueError(
                "BEMACallback(update_ref_model=True): the reference model is the policy itself; "
                "pass a separate ref_model"
            )
        self._written = [ref]
        self._reshard_reference()
        targets, frozen = _targets.model_targets(policy, ref, tracked)
        self.state.set_targets(targets, frozen)

    def _reshard_reference(self) -> None:
        # An FSDP2 module left unsharded (the root after a forward, an eval model under
        # no_grad) would ignore what is written into its shards until it reshards.
        for module in self._written:
            _sharding.reshard(module)

    def _refresh_reference(self) -> None:
        # ZeRO-3 parameters held gathered (persistent ones) would not see their new partitions.
        state = self._require_state()
        params = [t for tracked in state.tracked for t in tracked.targets]
        params += [dst for _, dsts in state.frozen for dst in dsts]
        _sharding.refresh(params)

    def _restore(self, args: TrainingArguments, state: TrainerState) -> None:
        folder = self._resume_dir or os.path.join(
            args.output_dir, f"checkpoint-{state.global_step}"
        )
        self._resume_dir = None
        rank, world = _sharding.rank_and_world()
        path = _checkpoint.find(folder, sharded=self.sharded, rank=rank, world=world)
        if not path.is_file():
            warnings.warn(
                f"BEMACallback: resuming at step {state.global_step} but {path} does not exist; "
                "the average restarts from the current weights",
                stacklevel=3,
            )
            return
        self.load_state(path)
        logger.info("BEMACallback: restored the BEMA state from %s", path)
