"""The replay buffer: the highest-scoring groups seen so far, held on the CPU.

A stored group is a mapping of field name to tensor, every tensor trimmed to the group's
real lengths (see :func:`._batch.extract_group`) and copied to the CPU, so the buffer's memory
is bounded by its capacity and never holds a view into a training batch or GPU memory. The
fields of one group are packed into a single byte tensor: one allocation per group, so the
resident memory stays within a few percent of the groups' real size.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

__all__ = ["ReplayBuffer"]

_STATE_VERSION = 1

class _Packed:
    """One group's tensors in one CPU byte tensor; fields are rebuilt as views on demand."""

    __slots__ = ("data", "segments")

    def __init__(self, group: Mapping[str, torch.Tensor]) -> None:
        # Fields are laid out by dtype, widest elements first, so that each dtype's run of
        # fields starts at a multiple of its element size and is viewed with one call.
        by_dtype: dict[torch.dtype, list[tuple[str, torch.Tensor]]] = {}
        for name, tensor in group.items():
            by_dtype.setdefault(tensor.dtype, []).append((name, tensor.detach()))
        order = sorted(by_dtype, key=lambda dtype: (-by_dtype[dtype][0][1].element_size(),
                                                    str(dtype)))
        # (dtype, first byte, byte length, [(field, shape, first element within the run)])
        self.segments: list[tuple[torch.dtype, int, int, list[tuple[str, torch.Size, int]]]] = []
        offset = 0
        for dtype in order:
            fields, numel = [], 0
            for name, tensor in by_dtype[dtype]:
                fields.append((name, tensor.shape, numel))
                numel += tensor.numel()
            length = numel * by_dtype[dtype][0][1].element_size()
            self.segments.append((dtype, offset, length, fields))
            offset += length
        self.data = torch.empty(offset, dtype=torch.uint8)
        views = self.unpack()
        for name, tensor in group.items():
            views[name].copy_(tensor.detach())

    def unpack(self) -> dict[str, torch.Tensor]:
        out = {}
        for dtype, offset, length, fields in self.segments:
            run = self.data[offset:offset + length].view(dtype)
            base = run.storage_offset()  # as_strided counts from the start of the storage
            for name, shape, start in fields:
                out[name] = run.as_strided(shape, _contiguous_strides(shape), base + start)
        return out


def _contiguous_strides(shape: torch.Size) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _check_score(score: object) -> float:
    try:
        value = float(score)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"ReplayBuffer: a score must be a number, got {score!r}") from None
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(
            f"ReplayBuffer: a score must be a finite number > 0 (groups are sampled in proportion "
            f"to it, and a group without reward spread has nothing to teach), got {score!r}"
        )
    return value


class ReplayBuffer:
    """Keeps the ``capacity`` highest-scoring groups and samples them in proportion to score.

    Groups are ranked by ``(score, age)``: on equal scores the group stored first ranks
    higher, so a newcomer must score strictly more than the weakest stored group to evict
    it. The ranking is a total order (every group gets a unique sequence number), so ties
    never compare the groups themselves, and the kept set is the top ``capacity`` of all
    groups ever offered whatever the order they came in.

    Args:
        capacity: how many groups to keep; ``0`` keeps none.

    Example:
        >>> import torch
        >>> buffer = ReplayBuffer(capacity=2)
        >>> for score in (1.0, 3.0, 2.0):
        ...     _ = buffer.add(score, {"advantages": torch.zeros(4)})
        >>> sorted(buffer.scores)
        [2.0, 3.0]
    """

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValueError(
                f"ReplayBuffer: capacity must be an integer >= 0 (0 turns replay off), "
                f"got {capacity!r}"
            )
        self._capacity = capacity
        # A min-heap of (score, -sequence, group): the weakest group sits at index 0. The
        # unique sequence number breaks score ties, so the groups are never compared.
        self._heap: list[tuple[float, int, _Packed]] = []
        self._next_sequence = 0

    @property
    def capacity(self) -> int:
        """The most groups the buffer keeps."""
        return self._capacity

    def __len__(self) -> int:
        return len(self._heap)

    def __repr__(self) -> str:
        return f"ReplayBuffer(capacity={self._capacity}, size={len(self)})"

    @property
    def scores(self) -> list[float]:
        """The stored groups' scores, in storage order (the order :meth:`sample` draws from)."""
        return [item[0] for item in self._heap]

    @property
    def ids(self) -> list[int]:
        """The stored groups' ids, in storage order: each group's position among all the
        groups ever offered (0 for the first), unique and unchanged while it is stored."""
        return [-item[1] for item in self._heap]

    @property
    def groups(self) -> list[dict[str, torch.Tensor]]:
        """The stored groups, in storage order (views: do not modify them)."""
        return [item[2].unpack() for item in self._heap]

    def group(self, index: int) -> dict[str, torch.Tensor]:
        """The stored group at ``index`` of :attr:`groups` (views: do not modify them)."""
        return self._heap[index][2].unpack()

    def mean_score(self) -> float:
        """The mean score of the stored groups; ``0.0`` when the buffer is empty."""
        return sum(self.scores) / len(self._heap) if self._heap else 0.0

    def _admits_key(self, key: tuple[float, int], heap_keys: list[tuple[float, int]]) -> bool:
        """Whether a group ranked ``key`` enters a heap whose keys are ``heap_keys``."""
        if self._capacity == 0:
            return False
        return len(heap_keys) < self._capacity or key > heap_keys[0]

    def admits(self, scores: Sequence[float]) -> list[bool]:
        """Which of these groups would still be stored after offering them all, in order.

        Nothing is stored. The trainer asks first so that it computes the log-probabilities a
        stored group needs only for the groups that will be kept.

        Args:
            scores: the scores of the groups about to be offered (each > 0).

        Returns:
            One flag per score: ``True`` when :meth:`add` -ing all of them in this order
            leaves that group in the buffer.
        """
        checked = [_check_score(score) for score in scores]
        keys = [(score, -(self._next_sequence + i)) for i, score in enumerate(checked)]
        heap_keys = [(item[0], item[1]) for item in self._heap]  # already a heap
        floor = heap_keys[0] if len(heap_keys) >= self._capacity and heap_keys else None
        for key in keys:
            if floor is not None and key <= floor:
                continue  # a full buffer only ever raises its floor: this one cannot get in
            if not self._admits_key(key, heap_keys):
                continue
            if len(heap_keys) < self._capacity:
                heapq.heappush(heap_keys, key)
            else:
                heapq.heapreplace(heap_keys, key)
        kept = set(heap_keys)
        return [key in kept for key in keys]

    def add(self, score: float, group: Mapping[str, torch.Tensor]) -> bool:
        """Offer one group; store a CPU copy of it if it ranks among the best ``capacity``.

        Args:
            score: the group's score (finite, > 0).
            group: field name to tensor, each tensor's first dimension being the group's
                completions; already trimmed to the group's real lengths.

        Returns:
            ``True`` if the group was stored (possibly evicting the weakest one).
        """
        value = _check_score(score)
        if not isinstance(group, Mapping) or not group:
            raise TypeError(
                f"ReplayBuffer.add: group must be a non-empty mapping of field name to tensor, "
                f"got {type(group).__name__}"
            )
        key = (value, -self._next_sequence)
        self._next_sequence += 1
        if self._capacity == 0:
            return False
        if len(self._heap) >= self._capacity and key <= self._heap[0][:2]:
            return False
        for name, tensor in group.items():
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"ReplayBuffer.add: field {name!r} must be a tensor, "
                                f"got {type(tensor).__name__}")
        # A copy, never a view: a slice of a batch would keep the whole batch alive.
        item = (value, key[1], _Packed(group))
        if len(self._heap) < self._capacity:
            heapq.heappush(self._heap, item)
        else:
            heapq.heapreplace(self._heap, item)
        return True

    def sample(self, num_samples: int, generator: torch.Generator | None = None, *,
               allow_repeats: bool = False) -> list[int]:
        """Draw stored groups, each with probability proportional to its score.

        When at least ``num_samples`` groups are stored, the groups drawn are distinct.
        When fewer are, ``allow_repeats`` decides: draw all ``num_samples`` with replacement
        (a group may come back several times, as TRL's version did), or return every stored
        group once, in a random order.

        Args:
            num_samples: how many groups are wanted.
            generator: the random generator to draw with (CPU); the global one if ``None``.
            allow_repeats: with fewer stored groups than wanted, draw with replacement so
                that exactly ``num_samples`` indices come back.

        Returns:
            Indices into :attr:`groups`, in the order drawn; empty when the buffer is.
        """
        if num_samples < 0:
            raise ValueError(f"ReplayBuffer.sample: num_samples must be >= 0, got {num_samples}")
        if num_samples == 0 or not self._heap:
            return []
        weights = torch.tensor(self.scores, dtype=torch.float64)
        if num_samples > len(self._heap) and allow_repeats:
            return torch.multinomial(weights, num_samples, replacement=True,
                                     generator=generator).tolist()
        count = min(num_samples, len(self._heap))
        return torch.multinomial(weights, count, replacement=False, generator=generator).tolist()

    def nbytes(self) -> int:
        """Bytes held by the stored tensors (each storage counted once)."""
        return sum(item[2].data.untyped_storage().nbytes() for item in self._heap)

    def state_dict(self) -> dict[str, Any]:
        """The buffer's state, made of tensors, numbers and lists (``torch.save`` -able)."""
        return {
            "version": _STATE_VERSION,
            "capacity": self._capacity,
            "next_sequence": self._next_sequence,
            "scores": [item[0] for item in self._heap],
            "sequences": [item[1] for item in self._heap],
            # Clones: torch.save refuses views of one storage under different dtypes.
            "groups": [{name: tensor.clone() for name, tensor in item[2].unpack().items()}
                       for item in self._heap],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`.

        A buffer restored into a smaller capacity keeps the best groups that fit.
        """
        if not isinstance(state, Mapping) or state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"ReplayBuffer.load_state_dict: expected a state of version {_STATE_VERSION} "
                f"from ReplayBuffer.state_dict(), got "
                f"{state.get('version') if isinstance(state, Mapping) else type(state).__name__!r}"
            )
        items = list(zip(state["scores"], state["sequences"], state["groups"], strict=True))
        items = [(float(s), int(q), _Packed(g)) for s, q, g in items]
        if len(items) > self._capacity:
            items = heapq.nlargest(self._capacity, items, key=lambda item: item[:2])
        heapq.heapify(items)
        self._heap = items
        self._next_sequence = int(state["next_sequence"])
