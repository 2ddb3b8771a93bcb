"""Sharded parameters (FSDP2 ``DTensor``), processes and ranks, as BEMA needs to see them.

BEMA is elementwise, so it runs on each rank's local shard of each parameter and never needs
another rank's data: θ₀ and the EMA hold the local shard only, and the BEMA weights go into
the matching local shard of the reference model. This module is the one place that knows
about ``DTensor``, FSDP2 modules and ``torch.distributed``; the rest of the feature works on
plain local tensors.

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


def local(tensor: Tensor) -> Tensor:
    """The part of ``tensor`` this rank holds: its local shard, or the tensor itself.

    The result shares storage with the parameter: writing into it writes the parameter.
    """
    if is_sharded(tensor):
        with torch.no_grad():  # without grad, to_local() is a view of the local shard
            return tensor.to_local()
    return tensor


def layout(tensor: Tensor) -> tuple[Any, tuple[Any, ...]] | None:
    """``(mesh, placements)`` of a ``DTensor``; ``None`` for a plain tensor."""
    if is_sharded(tensor):
        return tensor.device_mesh, tuple(tensor.placements)
    return None


def describe(tensor: Tensor) -> str:
    """The layout in words, for error messages."""
    found = layout(tensor)
    if found is None:
        return "a plain (unsharded) tensor"
    mesh, placements = found
    return f"a DTensor with placements {list(placements)} on a mesh of shape {tuple(mesh.shape)}"


def same_layout(a: Tensor, b: Tensor) -> bool:
    """Whether ``a`` and ``b`` are split the same way, so their local shards correspond."""
    la, lb = layout(a), layout(b)
    if la is None or lb is None:
        return la is lb
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


def full(tensor: Tensor) -> Tensor:
    """The whole tensor, gathered from every rank for a ``DTensor`` (a collective call)."""
    if is_sharded(tensor):
        with torch.no_grad():
            return tensor.full_tensor()
    return tensor


def rebuild(like: Tensor, shard: Tensor) -> Tensor:
    """A ``DTensor`` laid out like ``like`` holding ``shard`` as its local part."""
    if not is_sharded(like):
        return shard
    return DTensor.from_local(
        shard, like.device_mesh, like.placements, shape=like.shape, stride=like.stride()
    )


def check_supported(tensors: list[tuple[tuple[str, ...], Tensor]]) -> None:
    """Refuse parameters whose local part BEMA cannot see.

    DeepSpeed ZeRO-3 swaps each parameter's data for an empty tensor and keeps this rank's
    partition in ``param.ds_tensor``: BEMA would average nothing, silently.

    Raises:
        ValueError: naming the first such parameter and what to use instead.
    """
    for names, param in tensors:
        if hasattr(param, "ds_id") and hasattr(param, "ds_tensor"):
            raise ValueError(
                f"BEMACallback: parameter {names[0]!r} is partitioned by DeepSpeed ZeRO-3, "
                "which BEMA does not support (its data is empty on every rank outside a "
                "forward); use FSDP2 (fsdp_version=2) to shard, or DeepSpeed ZeRO stage 1 "
                "or 2, which keep the parameters whole on every rank"
            )


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (``(0, 1)`` without distributed)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1
