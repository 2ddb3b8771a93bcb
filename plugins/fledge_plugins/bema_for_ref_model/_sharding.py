"""Sharded parameters (FSDP2 ``DTensor``, DeepSpeed ZeRO-3), processes and ranks, as BEMA
needs to see them.

BEMA is elementwise, so it runs on each rank's local shard of each parameter and never needs
another rank's data: θ₀ and the EMA hold the local shard only, and the BEMA weights go into
the matching local shard of the reference model. This module is the one place that knows
about ``DTensor``, FSDP2 modules, DeepSpeed's partitioned parameters and
``torch.distributed``; the rest of the feature works on plain local tensors.

DeepSpeed ZeRO-3 empties each parameter's ``data`` outside a forward and keeps this rank's
partition in ``param.ds_tensor``: a flat 1-D tensor of ``ceil(ds_numel / n)`` elements, the
``r``-th slice of the flattened parameter, zero-padded at the end on the last rank(s). The
local part of such a parameter is that partition without its padding (a view: writing into
it writes the partition).

Under DDP (and one process) parameters are plain tensors, every rank holds all of them and
every rank computes the same BEMA weights: nothing here changes anything for them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

Tensor = torch.Tensor

try:
    from torch.distributed.tensor import DTensor
except ImportError:  # pragma: no cover - torch < 2.5 keeps it under _tensor
    try:
        from torch.distributed._tensor import DTensor
    except ImportError:  # a torch build without distributed
        DTensor = None  # type: ignore[assignment,misc]

try:
    from torch.distributed.fsdp import FSDPModule
except ImportError:  # pragma: no cover - torch < 2.6 keeps it under _composable
    try:
        from torch.distributed._composable.fsdp import FSDPModule
    except ImportError:
        FSDPModule = None  # type: ignore[assignment,misc]


def is_sharded(tensor: Any) -> bool:
    """Whether ``tensor`` is a ``DTensor`` (FSDP2 and other ``torch.distributed`` layouts)."""
    return DTensor is not None and isinstance(tensor, DTensor)


def is_partitioned(tensor: Any) -> bool:
    """Whether ``tensor`` is a parameter partitioned by DeepSpeed ZeRO-3 (``ds_tensor``)."""
    return hasattr(tensor, "ds_id") and getattr(tensor, "ds_tensor", None) is not None


def is_split(tensor: Any) -> bool:
    """Whether this rank holds only a part of ``tensor`` (FSDP2 or ZeRO-3)."""
    return is_sharded(tensor) or is_partitioned(tensor)


# Process group (by id, the group kept alive with it) -> (rank, ranks): asked for every
# parameter at every update, so asked of torch.distributed once per group.
_GROUP_RANKS: dict[int, tuple[Any, int, int]] = {}


def partition_rank(param: Any) -> tuple[int, int]:
    """``(rank, number of ranks)`` in the process group a ZeRO-3 parameter is partitioned over."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        _GROUP_RANKS.clear()
        return 0, 1
    group = getattr(param, "ds_process_group", None)
    if group is None:
        return dist.get_rank(), dist.get_world_size()
    found = _GROUP_RANKS.get(id(group))
    if found is None or found[0] is not group:
        found = (group, dist.get_rank(group=group), dist.get_world_size(group=group))
        _GROUP_RANKS[id(group)] = found
    return found[1], found[2]


def _partition_span(param: Any) -> tuple[int, int]:
    """``(start, count)``: where this rank's partition starts in the flattened parameter, and
    how many of its elements are the parameter's (the rest is padding)."""
    size = param.ds_tensor.numel()
    rank, _ = partition_rank(param)
    start = rank * size
    return start, max(0, min(size, int(param.ds_numel) - start))


def local(tensor: Tensor) -> Tensor:
    """The part of ``tensor`` this rank holds: its local shard, or the tensor itself.

    For a ZeRO-3 parameter: its partition ``ds_tensor`` without the padding (flat, possibly
    empty on a last rank). The result shares storage with the parameter: writing into it
    writes the parameter.
    """
    if is_sharded(tensor):
        with torch.no_grad():  # without grad, to_local() is a view of the local shard
            return tensor.to_local()
    if is_partitioned(tensor):
        _, count = _partition_span(tensor)
        with torch.no_grad():
            return tensor.ds_tensor.detach().narrow(0, 0, count)
    return tensor


def shape(tensor: Tensor) -> tuple[int, ...]:
    """The whole tensor's shape (a ZeRO-3 parameter's ``shape`` is that of its empty data)."""
    if is_partitioned(tensor):
        return tuple(tensor.ds_shape)
    return tuple(tensor.shape)


def layout(tensor: Tensor) -> tuple[Any, tuple[Any, ...]] | None:
    """``(mesh, placements)`` of a ``DTensor``; ``("zero3", (partition size, numel, rank,
    ranks))`` of a ZeRO-3 parameter; ``None`` for a plain tensor."""
    if is_sharded(tensor):
        return tensor.device_mesh, tuple(tensor.placements)
    if is_partitioned(tensor):
        rank, world = partition_rank(tensor)
        return "zero3", (tensor.ds_tensor.numel(), int(tensor.ds_numel), rank, world)
    return None


def describe(tensor: Tensor) -> str:
    """The layout in words, for error messages."""
    found = layout(tensor)
    if found is None:
        return "a plain (unsharded) tensor"
    mesh, placements = found
    if isinstance(mesh, str):
        size, numel, rank, world = placements
        return (
            f"a DeepSpeed ZeRO-3 parameter of {numel} elements partitioned over {world} "
            f"ranks ({size} a rank)"
        )
    return f"a DTensor with placements {list(placements)} on a mesh of shape {tuple(mesh.shape)}"


def same_layout(a: Tensor, b: Tensor) -> bool:
    """Whether ``a`` and ``b`` are split the same way, so their local shards correspond."""
    la, lb = layout(a), layout(b)
    if la is None or lb is None:
        return la is lb
    if isinstance(la[0], str) != isinstance(lb[0], str):
        return False
    if isinstance(la[0], str):
        return la == lb and shape(a) == shape(b)
    return la[1] == lb[1] and la[0] == lb[0] and local(a).shape == local(b).shape


def reshard(model: nn.Module) -> None:
    """Put every FSDP2 module of ``model`` back in its sharded state.

    FSDP2 frees the gathered (unsharded) parameters after a forward only where it reshards
    after forward, which it does not for the root module, nor in eval under ``no_grad``
    (TRL's reference model). While a module is unsharded, its next forward uses the gathered
    copy as it is, so BEMA weights written into the shards would be ignored. After
    ``reshard()`` the registered parameters are the sharded ``DTensor`` ones again and the
    next forward gathers them afresh.
    """
    if FSDPModule is None:
        return
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.reshard()


def refresh(params: list[Tensor]) -> None:
    """Make the gathered copies of ZeRO-3 parameters see what was written into their partitions.

    ZeRO-3 keeps some parameters gathered all the time (the "persistent" ones, smaller than
    ``stage3_param_persistence_threshold``, and any left gathered): a forward uses their
    ``data`` as it is, so BEMA weights written into their partitions would be ignored. They
    are released and gathered again from the partitions (a collective call over those
    parameters, which every rank makes at the same step); the others are gathered afresh by
    the next forward anyway. Nothing happens for other tensors.
    """
    held, seen = [], set()
    for param in params:
        if is_partitioned(param) and id(param) not in seen:
            seen.add(id(param))
            if getattr(param.ds_status, "name", "") == "AVAILABLE":
                held.append(param)
    if not held:
        return
    held[0].partition(param_list=held)
    persistent = [p for p in held if getattr(p, "ds_persist", False)]
    if persistent:
        persistent[0].all_gather(param_list=persistent)


def _gather_partitions(like: Tensor, part: Tensor) -> Tensor:
    """The whole tensor whose partitions, laid out as ZeRO-3 parameter ``like``'s, each rank
    holds (``part``: this rank's, without padding). A collective call."""
    size = like.ds_tensor.numel()
    rank, world = partition_rank(like)
    padded = torch.zeros(size, dtype=part.dtype, device=part.device)
    padded[: part.numel()].copy_(part.reshape(-1))
    if world > 1:
        pieces = [torch.empty_like(padded) for _ in range(world)]
        torch.distributed.all_gather(pieces, padded, group=like.ds_process_group)
        padded = torch.cat(pieces)
    return padded[: int(like.ds_numel)].view(shape(like))


def full(tensor: Tensor) -> Tensor:
    """The whole tensor, gathered from every rank for a ``DTensor`` or a ZeRO-3 parameter (a
    collective call)."""
    if is_sharded(tensor):
        with torch.no_grad():
            return tensor.full_tensor()
    if is_partitioned(tensor):
        with torch.no_grad():
            return _gather_partitions(tensor, local(tensor))
    return tensor


def full_of(like: Tensor, part: Tensor) -> Tensor:
    """The whole tensor of which ``part`` is this rank's part, split like ``like`` (a
    collective call when ``like`` is split)."""
    if is_partitioned(like):
        with torch.no_grad():
            return _gather_partitions(like, part)
    return full(rebuild(like, part))


def rebuild(like: Tensor, shard: Tensor) -> Tensor:
    """A ``DTensor`` laid out like ``like`` holding ``shard`` as its local part."""
    if not is_sharded(like):
        return shard
    return DTensor.from_local(
        shard, like.device_mesh, like.placements, shape=like.shape, stride=like.stride()
    )


def check_supported(tensors: list[tuple[tuple[str, ...], Tensor]]) -> None:
    """Refuse parameters whose local part BEMA cannot see or write.

    ZeRO-3 parameters are averaged through their partitions (``ds_tensor``), which must be
    in memory: a partition swapped out to NVMe (``offload_param: {device: nvme}``) is not,
    and ZeRO++'s hierarchical partitioning (``zero_hpz_partition_size`` > 1) gathers a
    secondary copy of the partitions that BEMA does not write.

    Raises:
        ValueError: naming the first such parameter and what to use instead.
    """
    for names, param in tensors:
        if hasattr(param, "ds_id") and getattr(param, "ds_tensor", None) is None:
            raise ValueError(
                f"BEMACallback: parameter {names[0]!r} is a DeepSpeed ZeRO-3 parameter "
                "without a partition (ds_tensor is None); BEMA needs the partitioned model "
                "the DeepSpeed engine trains"
            )
        if not is_partitioned(param):
            continue
        location = str(getattr(param.ds_tensor, "final_location", "") or "")
        if "nvme" in location.lower():
            raise ValueError(
                f"BEMACallback: parameter {names[0]!r} is offloaded to NVMe by DeepSpeed "
                "ZeRO-3 (offload_param device 'nvme'), so its partition is not in memory "
                "between forwards for BEMA to average; offload parameters to 'cpu' or 'none'"
            )
        if getattr(param, "ds_secondary_tensor", None) is not None:
            raise ValueError(
                f"BEMACallback: parameter {names[0]!r} has a ZeRO++ secondary partition "
                "(zero_hpz_partition_size > 1), which forwards gather instead of the primary "
                "one BEMA writes; set zero_hpz_partition_size to 1"
            )


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (``(0, 1)`` without distributed)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1
