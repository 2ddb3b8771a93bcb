"""Which tensors BEMA averages, and where the BEMA weights go (reference model or adapter).

Parameters are matched by name, never by position, so frozen parameters and tied weights
cannot shift the pairing (TRL's callback zips the trainable parameters against all of a model
copy's parameters and breaks on both).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from . import _sharding

#: The adapter TRL's DPOTrainer computes reference log-probabilities with, when present.
REF_ADAPTER = "ref"


def unwrap(model: Any) -> Any:
    """The user's module under DeepSpeed, FSDP (1), DataParallel or DDP wrappers."""
    while True:
        if hasattr(model, "_fsdp_wrapped_module"):
            model = model._fsdp_wrapped_module
        elif isinstance(getattr(model, "module", None), nn.Module):
            model = model.module
        else:
            return model


def is_peft(model: Any) -> bool:
    return hasattr(model, "peft_config") and hasattr(model, "active_adapter")


def trainable(model: nn.Module) -> list[tuple[tuple[str, ...], torch.Tensor]]:
    """Each distinct trainable tensor once, with all of its names (tied weights: several)."""
    by_id: dict[int, tuple[list[str], torch.Tensor]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if param.requires_grad:
            by_id.setdefault(id(param), ([], param))[0].append(name)
    return [(tuple(names), param) for names, param in by_id.values()]


def frozen(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p for n, p in model.named_parameters(remove_duplicate=False) if not p.requires_grad}


def _dedupe(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    seen: set[int] = set()
    return [t for t in tensors if not (id(t) in seen or seen.add(id(t)))]


def model_targets(
    policy: nn.Module, ref: nn.Module, tracked: list[tuple[tuple[str, ...], torch.Tensor]]
) -> tuple[list[list[torch.Tensor]], list[tuple[torch.Tensor, list[torch.Tensor]]]]:
    """The reference model's tensors for each tracked tensor, and for each frozen one."""
    ref_params = dict(ref.named_parameters(remove_duplicate=False))
    targets: list[list[torch.Tensor]] = []
    problems: list[str] = []
    for names, param in tracked:
        found = []
        for name in names:
            dst = ref_params.get(name)
            if dst is None:
                problems.append(f"{name!r} is missing")
            elif _sharding.shape(dst) != _sharding.shape(param):
                problems.append(
                    f"{name!r} has shape {_sharding.shape(dst)}, not {_sharding.shape(param)}"
                )
            elif not _sharding.same_layout(dst, param):
                problems.append(
                    f"{name!r} is {_sharding.describe(dst)} in the reference but "
                    f"{_sharding.describe(param)} in the policy"
                )
            else:
                found.append(dst)
        targets.append(_dedupe(found))
    if problems:
        raise ValueError(
            "BEMACallback: the reference model does not match the policy's trainable "
            f"parameters ({'; '.join(problems[:4])}{'; ...' if len(problems) > 4 else ''}); "
            "pass a reference model of the same architecture as the policy, sharded like the "
            "policy when the policy is sharded (FSDP2: fully_shard both on the same mesh; "
            "DeepSpeed ZeRO-3: both prepared by the same ZeRO-3 config on the same ranks, "
            "as TRL's DPOTrainer does)"
        )
    copies = []
    for name, src in frozen(policy).items():
        dst = ref_params.get(name)
        if (
            dst is not None
            and _sharding.shape(dst) == _sharding.shape(src)
            and dst is not src
            and _sharding.same_layout(dst, src)
        ):
            copies.append((src, [dst]))
    return targets, copies


def _adapter_name(policy: Any) -> str:
    active = policy.active_adapter
    if isinstance(active, (list, tuple)):
        if len(active) != 1:
            raise ValueError(
                f"BEMACallback: the PEFT model has several active adapters {list(active)}; "
                "activate the one being trained only"
            )
        active = active[0]
    if active == REF_ADAPTER:
        raise ValueError(
            f"BEMACallback: the trained adapter is named {REF_ADAPTER!r}, the name TRL's "
            "DPOTrainer reserves for the reference adapter; give the trained adapter another name"
        )
    return active


def _swap_segment(name: str, old: str, new: str) -> str:
    return ".".join(new if part == old else part for part in name.split("."))


def adapter_targets(
    policy: Any,
    tracked: list[tuple[tuple[str, ...], torch.Tensor]],
    holder: Any | None = None,
) -> list[list[torch.Tensor]]:
    """The ``"ref"`` adapter's tensors for each tracked (trained adapter) tensor.

    With ``holder`` None the ``"ref"`` adapter lives in ``policy`` and is created, from the
    trained adapter's config and holding its current weights, when missing; otherwise
    ``holder`` is a separate PEFT reference model whose adapter of the trained adapter's
    name receives the weights.
    """
    active = _adapter_name(policy)
    if holder is None:
        holder, ref_name = policy, REF_ADAPTER
        if REF_ADAPTER not in policy.peft_config:
            if any(_sharding.is_partitioned(param) for _, param in tracked):
                # An adapter added now would hold plain tensors that the ZeRO-3 engine, built
                # already, neither partitions nor gathers.
                raise ValueError(
                    f"BEMACallback: the PEFT policy is partitioned by DeepSpeed ZeRO-3 and has "
                    f"no {REF_ADAPTER!r} adapter to write the BEMA weights into, and one cannot "
                    "be added once the DeepSpeed engine is built; pass the model already "
                    "wrapped (get_peft_model) and ref_model=None, so that TRL's DPOTrainer adds "
                    f"the {REF_ADAPTER!r} adapter before DeepSpeed starts, or add it yourself "
                    f"(model.add_adapter({REF_ADAPTER!r}, config)) before building the trainer"
                )
            policy.add_adapter(REF_ADAPTER, copy.deepcopy(policy.peft_config[active]))
            # PEFT keeps the trained adapter active. The new one starts as the trained one is
            # now, so the reference does not jump when it is created.
            with torch.no_grad():
                params = dict(policy.named_parameters())
                for names, param in tracked:
                    dst = params[_swap_segment(names[0], active, REF_ADAPTER)]
                    _sharding.local(dst).copy_(_sharding.local(param))
    else:
        ref_name = active
    for name, param in holder.named_parameters():
        if f".{ref_name}." in f".{name}." and holder is policy:
            param.requires_grad_(False)
    params = dict(holder.named_parameters(remove_duplicate=False))
    targets = []
    for names, param in tracked:
        if f".{active}." not in f".{names[0]}.":
            raise ValueError(
                f"BEMACallback: trainable parameter {names[0]!r} is not part of the trained "
                f"adapter {active!r}; with PEFT, only adapter weights may be trainable (the "
                "base weights are shared by the policy and the reference)"
            )
        dst_name = _swap_segment(names[0], active, ref_name) if holder is policy else names[0]
        dst = params.get(dst_name)
        if (
            dst is None
            or _sharding.shape(dst) != _sharding.shape(param)
            or not _sharding.same_layout(dst, param)
        ):
            raise ValueError(
                f"BEMACallback: the reference adapter has no parameter {dst_name!r} shaped "
                f"like {names[0]!r}; the {ref_name!r} adapter must have the trained adapter's "
                "config"
            )
        targets.append([dst])
    return targets
