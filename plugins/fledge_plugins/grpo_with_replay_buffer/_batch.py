"""The replay decision and the batch transformation, as pure functions on tensors.

The decision (:func:`plan_replay`) reads only the rewards of the whole generation batch, the
buffer and a random generator; applying it (:func:`apply_replay`) rewrites the rows one
process holds. Kept apart so that, under several processes, every rank can take the same
decision from the gathered rewards and apply it to its own slice.

A GRPO batch, as TRL's ``GRPOTrainer._generate_and_score_completions`` returns it, holds
left-padded prompt tensors, right-padded completion tensors, one advantage per row and the
batch's loss-token count. Every field is listed in the tables below; a field this module
does not know raises instead of being replayed wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

__all__ = [
    "COMPLETION_FIELDS",
    "PROMPT_FIELDS",
    "ReplayPlan",
    "apply_replay",
    "extract_group",
    "group_signal",
    "loss_token_count",
    "plan_replay",
]

#: Left-padded prompt-side fields and their padding value (``None``: the pad token id).
PROMPT_FIELDS: dict[str, float | None] = {"prompt_ids": None, "prompt_mask": 0}
#: Right-padded completion-side fields and their padding value, as TRL pads them.
COMPLETION_FIELDS: dict[str, float | None] = {
    "completion_ids": None,
    "completion_mask": 0,
    "old_per_token_logps": 0.0,
    "ref_per_token_logps": 0.0,
    "sampling_per_token_logps": 0.0,
    "tool_mask": 1,  # TRL pads the tool mask with 1: padding is masked by completion_mask
    "importance_sampling_ratio": 1.0,  # exp(0): a padded position needs no correction
}
#: One value per row.
ROW_FIELDS = ("advantages",)
#: Recomputed after replay rather than replayed.
COUNT_FIELD = "num_items_in_batch"
_REQUIRED = ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "advantages")
_MULTIMODAL = (
    "pixel_values", "image_grid_thw", "pixel_attention_mask", "spatial_shapes", "image_sizes",
    "token_type_ids", "mm_token_type_ids", "image_position_ids", "num_images", "num_tiles",
)


def _round_up(length: int, multiple: int | None) -> int:
    if multiple is None or multiple <= 1 or length % multiple == 0:
        return length
    return length + multiple - length % multiple


def _group_std(values: torch.Tensor) -> torch.Tensor:
    """NaN-aware sample standard deviation over the last dim (unbiased, as TRL's ``nanstd``).

    Zero where fewer than two values are present: one scored completion has no spread."""
    present = ~torch.isnan(values)
    count = present.sum(-1)
    mean = torch.nansum(values, -1) / count.clamp(min=1)
    deviation = torch.where(present, values - mean.unsqueeze(-1), torch.zeros_like(values))
    variance = (deviation**2).sum(-1) / (count - 1).clamp(min=1)
    return torch.where(count > 1, variance.sqrt(), torch.zeros_like(variance))


def group_signal(
    rewards_per_func: torch.Tensor,
    reward_weights: torch.Tensor | Sequence[float],
    num_generations: int,
    aggregation: str = "sum_then_normalize",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which groups tie, and each group's score, from the batch's raw rewards.

    A group *ties* when GRPO gives it no contrast between its completions: with
    ``sum_then_normalize`` (TRL's default) when its weighted reward has zero spread, with
    ``normalize_then_sum`` when every reward function has zero spread within it. A
    completion that every reward function left unscored (``NaN``) is ignored, as TRL does.

    The score is the group's total absolute deviation from its mean weighted reward,
    ``sum_i |r_i - mean(r)|``, in reward units. Under TRL's default group scaling this is
    ``sum_i |advantage_i| * std`` (the measure TRL's version used, up to its 1e-4 epsilon);
    unlike that product it does not count the spread twice when ``scale_rewards`` is
    ``"batch"`` or ``"none"``.

    Args:
        rewards_per_func: ``(rows, reward functions)``, the rewards of the whole generation
            batch, rows grouped ``num_generations`` at a time.
        reward_weights: one weight per reward function.
        num_generations: completions per group.
        aggregation: TRL's ``multi_objective_aggregation``.

    Returns:
        ``(tied, scores)``: a bool tensor and a float64 tensor, one entry per group, on CPU.
    """
    rewards = rewards_per_func.detach().to("cpu", torch.float64)
    if rewards.dim() != 2 or rewards.shape[0] % num_generations != 0:
        raise ValueError(
            f"group_signal: rewards_per_func must be (rows, reward functions) with rows a "
            f"multiple of num_generations={num_generations}, got shape {tuple(rewards.shape)}"
        )
    weights = torch.as_tensor(reward_weights, dtype=torch.float64).flatten().cpu()
    if weights.numel() != rewards.shape[1]:
        raise ValueError(
            f"group_signal: {weights.numel()} reward weights for {rewards.shape[1]} reward "
            f"functions; give one weight per function"
        )
    unscorable = torch.isnan(rewards).all(dim=1)
    weighted = (rewards * weights).nansum(dim=1)
    weighted[unscorable] = float("nan")
    grouped = weighted.view(-1, num_generations)
    spread = _group_std(grouped)
    if aggregation == "sum_then_normalize":
        tied = torch.isclose(spread, torch.zeros_like(spread))
    elif aggregation == "normalize_then_sum":
        per_func = _group_std(rewards.view(-1, num_generations, rewards.shape[1]).transpose(1, 2))
        tied = torch.isclose(per_func, torch.zeros_like(per_func)).all(dim=1)
    else:
        raise ValueError(
            f"group_signal: aggregation must be 'sum_then_normalize' or 'normalize_then_sum', "
            f"got {aggregation!r}"
        )
    mean = torch.nanmean(grouped, dim=1, keepdim=True)
    scores = torch.nansum((grouped - mean).abs(), dim=1)
    scores = torch.nan_to_num(scores, nan=0.0)
    scores[tied] = 0.0
    return tied, scores


@dataclass(frozen=True)
class ReplayPlan:
    """What replay does to one generation batch; group indices count over the whole batch.

    Attributes:
        num_groups: groups in the batch.
        scores: each group's score (0 for a tied group).
        tied: the groups that tie, in batch order.
        replaced: the tied groups that get a stored group (the first ``len(drawn)`` tied:
            every tied group once the buffer holds a group, unless repeats are off).
        drawn: buffer indices (into ``ReplayBuffer.groups``) replacing ``replaced``,
            pairwise; an index may occur more than once when fewer groups are stored than
            tie.
        offered: the groups with a positive score, offered to the buffer.
        admitted: the offered groups the buffer keeps.
    """

    num_groups: int
    scores: tuple[float, ...]
    tied: tuple[int, ...]
    replaced: tuple[int, ...]
    drawn: tuple[int, ...]
    offered: tuple[int, ...]
    admitted: tuple[int, ...]


def plan_replay(
    rewards_per_func: torch.Tensor,
    reward_weights: torch.Tensor | Sequence[float],
    num_generations: int,
    buffer: Any,
    generator: torch.Generator | None = None,
    aggregation: str = "sum_then_normalize",
    *,
    allow_repeats: bool = True,
) -> ReplayPlan:
    """Decide which tied groups get which stored groups, and which new groups are kept.

    Stored groups are drawn from the buffer as it was *before* this batch, so a batch never
    replays a copy of one of its own groups. Once the buffer holds a group, every tied
    group is replaced: by distinct stored groups when enough are stored, else drawn with
    replacement, in proportion to score. With ``allow_repeats=False`` each stored group is
    used at most once and the tied groups beyond the buffer's size pass through. A pure
    function of the rewards, the buffer's contents and the generator's state.

    Args:
        rewards_per_func: ``(rows, reward functions)`` rewards of the whole generation batch.
        reward_weights: one weight per reward function.
        num_generations: completions per group.
        buffer: the :class:`ReplayBuffer` (only read).
        generator: the CPU generator the draw uses.
        aggregation: TRL's ``multi_objective_aggregation``.
        allow_repeats: with fewer stored groups than tied ones, draw with replacement
            (``GRPOWithReplayBufferConfig.replay_allow_repeats``).

    Returns:
        The :class:`ReplayPlan`.
    """
    tied_mask, scores = group_signal(rewards_per_func, reward_weights, num_generations, aggregation)
    score_list = scores.tolist()
    tied = tuple(i for i, t in enumerate(tied_mask.tolist()) if t)
    drawn = tuple(buffer.sample(len(tied), generator=generator,
                                allow_repeats=allow_repeats)) if tied else ()
    offered = tuple(i for i, score in enumerate(score_list) if score > 0)
    keep = buffer.admits([score_list[i] for i in offered]) if offered else []
    return ReplayPlan(
        num_groups=len(score_list),
        scores=tuple(score_list),
        tied=tied,
        replaced=tied[: len(drawn)],
        drawn=drawn,
        offered=offered,
        admitted=tuple(g for g, k in zip(offered, keep, strict=True) if k),
    )


def _check_batch(batch: Mapping[str, Any]) -> None:
    missing = [name for name in _REQUIRED if name not in batch]
    if missing:
        raise KeyError(f"replay: the batch lacks {', '.join(map(repr, missing))}; expected a "
                       f"batch as GRPOTrainer._generate_and_score_completions returns it")
    for name in batch:
        if name in _MULTIMODAL:
            raise ValueError(
                f"replay: the batch holds {name!r}; replaying multimodal (image) batches is not "
                f"supported. Set replay_buffer_size=0 to train this model without replay."
            )
        if name not in PROMPT_FIELDS and name not in COMPLETION_FIELDS and name not in ROW_FIELDS \
                and name != COUNT_FIELD:
            raise ValueError(
                f"replay: the batch holds a field {name!r} that replay does not know how to "
                f"re-pad (a newer TRL?); known fields: "
                f"{', '.join([*PROMPT_FIELDS, *COMPLETION_FIELDS, *ROW_FIELDS, COUNT_FIELD])}"
            )


def _is_row_level(name: str, sequence_level_ratio: bool) -> bool:
    return name in ROW_FIELDS or (name == "importance_sampling_ratio" and sequence_level_ratio)


def extract_group(
    batch: Mapping[str, Any], start: int, size: int, *, sequence_level_ratio: bool = False
) -> dict[str, torch.Tensor]:
    """The rows ``start:start+size`` of a batch, trimmed to their real lengths.

    Prompt tensors keep their *last* columns (prompts are left-padded), from the first
    column any row of the group attends to; completion tensors keep their first columns,
    up to the last column any row attends to. The result holds views into the batch;
    :meth:`ReplayBuffer.add` copies them.

    Args:
        batch: the GRPO batch.
        start: first row of the group.
        size: rows in the group (``num_generations``).
        sequence_level_ratio: ``importance_sampling_ratio`` is one value per row (TRL's
            ``sequence_*`` importance-sampling modes) rather than one per token.

    Returns:
        Field name to tensor, for every per-token and per-row field of the batch.
    """
    _check_batch(batch)
    rows = slice(start, start + size)
    prompt_mask = batch["prompt_mask"][rows]
    completion_mask = batch["completion_mask"][rows]
    if prompt_mask.shape[0] != size:
        raise IndexError(f"extract_group: rows {start}:{start + size} are outside the batch of "
                         f"{batch['prompt_mask'].shape[0]} rows")
    attended = prompt_mask.bool().any(dim=0).nonzero()
    prompt_start = int(attended[0]) if len(attended) else prompt_mask.shape[1]
    attended = completion_mask.bool().any(dim=0).nonzero()
    completion_end = int(attended[-1]) + 1 if len(attended) else 0
    group: dict[str, torch.Tensor] = {}
    for name, value in batch.items():
        if name == COUNT_FIELD:
            continue
        if _is_row_level(name, sequence_level_ratio):
            group[name] = value[rows]
        elif name in PROMPT_FIELDS:
            group[name] = value[rows, prompt_start:]
        else:
            group[name] = value[rows, :completion_end]
    return group


def loss_token_count(batch: Mapping[str, Any]) -> torch.Tensor:
    """The tokens the loss counts in this batch: completion mask times tool mask, summed."""
    mask = batch["completion_mask"]
    if batch.get("tool_mask") is not None:
        mask = mask * batch["tool_mask"]
    return mask.sum()


def apply_replay(
    batch: Mapping[str, Any],
    replacements: Sequence[tuple[int, Mapping[str, torch.Tensor]]],
    *,
    group_size: int,
    pad_token_id: int,
    pad_to_multiple_of: int | None = None,
    sequence_level_ratio: bool = False,
    inplace: bool = False,
) -> dict[str, Any]:
    """Overwrite groups of a batch with stored groups, re-padding everything consistently.

    The batch keeps its widths unless a stored group is longer, in which case the whole
    batch is widened (prompt side on the left, completion side on the right, to a multiple
    of ``pad_to_multiple_of``). Each stored group is written back padded on the correct
    side with the padding TRL uses for that field; ``num_items_in_batch`` becomes this
    batch's loss-token count (the trainer sums it over processes). The input dict is never
    modified; its tensors are only with ``inplace=True``.

    Args:
        batch: the GRPO batch.
        replacements: ``(first row, stored rows)`` pairs: a stored group, or the part of one
            that this process holds when a group's rows are split across processes (at
            most ``group_size`` rows, written from the first row on). They must hold exactly
            the batch's per-token and per-row fields.
        group_size: rows per group (``num_generations``): the most one replacement writes.
        pad_token_id: the tokenizer's pad token id.
        pad_to_multiple_of: TRL's ``pad_to_multiple_of``, applied when widening.
        sequence_level_ratio: see :func:`extract_group`.
        inplace: write into the batch's tensors where their widths allow, instead of
            copying them first (the trainer does: the batch is its own, just built).

    Returns:
        A new batch dict.
    """
    _check_batch(batch)
    out = dict(batch)
    if not replacements:
        return out
    num_rows = batch["prompt_ids"].shape[0]
    fields = [name for name in batch if name != COUNT_FIELD]
    spans = []
    for start, group in replacements:
        if set(group) != set(fields):
            raise ValueError(
                f"apply_replay: a stored group holds {sorted(group)} but the batch holds "
                f"{sorted(fields)}; was the buffer filled under another configuration (beta, "
                f"tools, vLLM)? Start from an empty buffer for this configuration."
            )
        count = group["prompt_ids"].shape[0]
        if not 0 < count <= group_size:
            raise ValueError(f"apply_replay: a replacement must hold 1 to group_size="
                             f"{group_size} rows, got {count}")
        if start < 0 or start + count > num_rows:
            raise IndexError(f"apply_replay: rows {start}:{start + count} are outside the "
                             f"batch of {num_rows} rows")
        spans.append((start, count))
    ordered = sorted(spans)
    if any(a + n > b for (a, n), (b, _) in zip(ordered, ordered[1:], strict=False)):
        raise ValueError(f"apply_replay: two replacements target the same rows: "
                         f"{[start for start, _ in spans]}")
    prompt_width = batch["prompt_ids"].shape[1]
    completion_width = batch["completion_ids"].shape[1]
    longest_prompt = max(group["prompt_ids"].shape[1] for _, group in replacements)
    longest_completion = max(group["completion_ids"].shape[1] for _, group in replacements)
    if longest_prompt > prompt_width:
        prompt_width = _round_up(longest_prompt, pad_to_multiple_of)
    if longest_completion > completion_width:
        completion_width = _round_up(longest_completion, pad_to_multiple_of)

    # The replaced rows of a field are assembled in one padded block and written into the
    # batch with one indexed copy of whole rows: contiguous row copies beat scattering
    # single tokens, and the number of operations on the (possibly GPU) batch stays two per
    # field whatever the number of groups.
    device = batch["prompt_ids"].device
    rows = torch.tensor([start + i for start, count in spans for i in range(count)],
                        dtype=torch.long, device=device)
    for name in fields:
        value = batch[name]
        if _is_row_level(name, sequence_level_ratio):
            block = torch.cat([group[name] for _, group in replacements])
            new = value if inplace else value.clone()
            new.index_copy_(0, rows, block.to(new.device, new.dtype))
            out[name] = new
            continue
        left = name in PROMPT_FIELDS
        pad = (PROMPT_FIELDS if left else COMPLETION_FIELDS)[name]
        pad = pad_token_id if pad is None else pad
        width = prompt_width if left else completion_width
        if width == value.shape[1]:
            # One pass over memory (or none), where fill-then-copy would take two.
            new = value if inplace else value.clone()
        else:
            new = value.new_full((num_rows, width), pad)
            if left:
                new[:, width - value.shape[1]:] = value
            else:
                new[:, : value.shape[1]] = value
        block = torch.full((len(rows), width), pad, dtype=value.dtype)
        first = 0
        for (_, count), (_, group) in zip(spans, replacements, strict=True):
            stored = group[name]
            span = slice(first, first + count)
            first += count
            if left:
                block[span, width - stored.shape[1]:] = stored
            else:
                block[span, : stored.shape[1]] = stored
        new.index_copy_(0, rows, block.to(new.device, non_blocking=True))
        out[name] = new
    out[COUNT_FIELD] = loss_token_count(out)
    return out
