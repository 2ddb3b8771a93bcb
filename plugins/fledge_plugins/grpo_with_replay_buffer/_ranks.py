"""Replay under several processes: who holds which rows, joining a group's parts, agreement.

Under several processes TRL gathers the rewards of the whole generation batch on every rank
(rank ``r`` holds global rows ``r * L`` to ``(r + 1) * L``), so every rank takes the same
replay decision (:func:`._batch.plan_replay`) from the same rewards, buffer and generator.
A group of ``num_generations`` completions may straddle two ranks when ``L`` is not a
multiple of it: each rank then rewrites only the rows it holds, from the same stored group,
and a group entering the buffer is joined from the parts every rank extracted, so that every
rank stores the same whole group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from ._batch import COMPLETION_FIELDS, PROMPT_FIELDS, ReplayPlan, _is_row_level

__all__ = ["HeldRows", "check_supported", "held_rows", "join_parts", "plan_fingerprint"]


def check_supported(distributed_type: str, num_processes: int, capacity: int) -> None:
    """Raise ``NotImplementedError`` for a run that replay cannot serve correctly.

    Args:
        distributed_type: ``accelerator.distributed_type`` (an ``accelerate``
            ``DistributedType``, compared by value).
        num_processes: ``accelerator.num_processes``.
        capacity: the buffer's size (``0`` turns replay off: everything is supported).
    """
    kind = str(getattr(distributed_type, "value", distributed_type))
    if capacity and num_processes > 1 and kind == "XLA":
        # Joining a group whose rows straddle ranks needs accelerate's gather_object, which
        # raises NotImplementedError on XLA.
        raise NotImplementedError(
            f"GRPOWithReplayBufferTrainer: replay under several processes gathers stored groups "
            f"with accelerate.utils.gather_object, which XLA (TPU) runs do not support; this "
            f"run has {num_processes} XLA processes. Train on GPUs or CPUs, or set "
            f"replay_buffer_size=0."
        )


class HeldRows(NamedTuple):
    """The rows of one group that this process holds.

    Attributes:
        local: the first of them, as a row of this process's batch.
        within: the first of them, counted within the group (0 unless it starts on an
            earlier rank).
        count: how many (``num_generations`` unless the group straddles ranks).
    """

    local: int
    within: int
    count: int


def held_rows(
    groups: Iterable[int], group_size: int, offset: int, num_rows: int
) -> dict[int, HeldRows]:
    """Which rows of each global group this process holds.

    Args:
        groups: global group indices.
        group_size: rows per group (``num_generations``).
        offset: the global index of this process's first row (``process_index * num_rows``).
        num_rows: the rows this process holds.

    Returns:
        Group index to :class:`HeldRows`, for the groups this process holds at least one
        row of.
    """
    held = {}
    for group in groups:
        first = max(group * group_size, offset)
        end = min((group + 1) * group_size, offset + num_rows)
        if first < end:
            held[group] = HeldRows(first - offset, first - group * group_size, end - first)
    return held


def join_parts(
    parts: Sequence[Mapping[str, torch.Tensor]],
    pad_token_id: int,
    *,
    sequence_level_ratio: bool = False,
) -> dict[str, torch.Tensor]:
    """One group from the consecutive row blocks that several processes extracted of it.

    Each part was trimmed to its own rows' real lengths (:func:`._batch.extract_group`); the
    joined group is padded to the widest part, prompts on the left and completions on the
    right with the padding TRL uses for each field, which is exactly the trim that
    :func:`._batch.extract_group` gives the whole group.

    Args:
        parts: the blocks, in row order (rank order).
        pad_token_id: the tokenizer's pad token id.
        sequence_level_ratio: ``importance_sampling_ratio`` is one value per row.

    Returns:
        Field name to tensor, on the CPU.
    """
    if not parts:
        raise ValueError("join_parts: no parts to join")
    if len(parts) == 1:
        return dict(parts[0])
    names = list(parts[0])
    if any(set(part) != set(names) for part in parts):
        raise ValueError(f"join_parts: the parts hold different fields: "
                         f"{[sorted(part) for part in parts]}")
    joined = {}
    for name in names:
        blocks = [part[name].cpu() for part in parts]
        if _is_row_level(name, sequence_level_ratio):
            joined[name] = torch.cat(blocks)
            continue
        left = name in PROMPT_FIELDS
        pad = (PROMPT_FIELDS if left else COMPLETION_FIELDS)[name]
        pad = pad_token_id if pad is None else pad
        width = max(block.shape[1] for block in blocks)
        out = torch.full((sum(block.shape[0] for block in blocks), width), pad,
                         dtype=blocks[0].dtype)
        row = 0
        for block in blocks:
            rows = slice(row, row + block.shape[0])
            if left:
                out[rows, width - block.shape[1]:] = block
            else:
                out[rows, : block.shape[1]] = block
            row += block.shape[0]
        joined[name] = out
    return joined


def plan_fingerprint(plan: ReplayPlan, buffer: Any, generator: torch.Generator) -> str:
    """A digest of one replay decision and of the state it was taken from and leaves.

    Covers the plan, the ids and scores of the stored groups (not their contents: every
    rank stores the same gathered groups in the same order, so equal ids mean equal
    contents) and the replay generator's state after the draw. Ranks compare it after each
    decision: any difference means they would train on inconsistent batches.
    """
    digest = hashlib.sha256()
    digest.update(repr((plan, buffer.ids, buffer.scores)).encode())
    digest.update(generator.get_state().numpy().tobytes())
    return digest.hexdigest()
