"""The BEMA buffers (θ₀ and the EMA, nothing else) and their multi-tensor updates.

One θ₀ and one EMA buffer per tracked (trainable, de-duplicated) parameter tensor, holding
this rank's local shard of it when the parameter is sharded (an FSDP2 ``DTensor``): BEMA is
elementwise, so each rank averages its own shards and writes the matching shards of the
reference, with no communication. θ₀ keeps the
parameter's dtype (it is an exact snapshot); the EMA is float32 for 16-bit parameters
(an EMA with small βₜ in bfloat16 would round most updates away) and the parameter's dtype
otherwise.

A write of the reference runs over cache-sized segments: the tensors are cut into slices of
at most ``chunk_numel`` elements and small tensors are packed together, and each group of
segments goes through every operation (EMA update, then the BEMA weights into the target)
before the next group is touched. A single slice of a large tensor takes three ``out=``/in-
place calls (``lerp_``, ``sub``, ``add``); a group of packed small tensors, ``torch._foreach_*``
calls. Every buffer is then read from (and written to) main memory once per update, instead
of once per operation. The EMA update alone keeps nothing in cache between operations, so it
is one multi-tensor ``lerp_`` over whole tensors.

With ``fused=True`` a write of the reference is instead one ``torch.compile``-d function over
every tensor whose parameter, EMA, θ₀ and single target are on one device (16-bit weights
with their float32 EMA included): the compiler fuses each tensor's EMA update and BEMA write
into one loop that reads θ, θ₀ and the EMA once and writes the EMA and the target once, with
one call for all of them. Other tensors (buffers on another device than the parameter, as
with the default ``device="cpu"`` for a model on a GPU, or several targets) keep the
segment path.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ._sharding import local

Tensor = torch.Tensor

_LOW_PRECISION = (torch.float16, torch.bfloat16)
# Segment sizes (elements) that keep a group's working slices in cache: 1 MiB a slice on
# the CPU (the four slices of a reference write stay in the shared L3; on benchmarks/
# bench_bema.py, 2-core EPYC with 512 KiB L2 a core, 256K to 1M elements time within noise
# of each other and 64K or fewer lose 10-40% to the per-call overhead), 4 MiB on a GPU
# (whose L2 holds tens of MiB; not measured here).
_CHUNK_NUMEL = {"cpu": 1 << 18, "cuda": 1 << 20}


def ema_dtype(param_dtype: torch.dtype) -> torch.dtype:
    """The EMA buffer's dtype for a parameter of ``param_dtype``."""
    return torch.float32 if param_dtype in _LOW_PRECISION else param_dtype


def _flat(tensor: Tensor) -> Tensor:
    # Non-contiguous tensors stay whole: a flat view of them does not exist.
    return tensor.view(-1) if tensor.is_contiguous() else tensor


def _fused_both(thetas, emas, theta0s, outs, beta, alpha):
    # The eager path's formulas in the EMA's dtype (float32 for 16-bit weights): lerp, then
    # EMA + α·(θ − θ₀), rounded to the target's dtype as it is written.
    for theta, ema, theta0, out in zip(thetas, emas, theta0s, outs, strict=True):
        theta = theta.to(ema.dtype)
        new = ema + beta * (theta - ema)
        ema.copy_(new)
        out.copy_(new + alpha * (theta - theta0.to(ema.dtype)))


def _fused_ema(thetas, emas, beta):
    # The EMA update alone of weights in another dtype than their EMA (16-bit ones): the
    # cast inside the loop, where the eager path would need a float32 copy of each tensor.
    for theta, ema in zip(thetas, emas, strict=True):
        ema.copy_(ema + beta * (theta.to(ema.dtype) - ema))


def _fused_write(thetas, emas, theta0s, outs, alpha):
    for theta, ema, theta0, out in zip(thetas, emas, theta0s, outs, strict=True):
        out.copy_(ema + alpha * (theta.to(ema.dtype) - theta0.to(ema.dtype)))


class _Compiled:
    """The fused kernels of one state, compiled on first use (shapes fixed: one
    compilation a model).

    Each state compiles its own copy of the functions: torch.compile keeps its compiled
    graphs on the function's code object and fails hard (``fullgraph``) after a few shapes,
    so a process that trains several models in turn would otherwise stop at the ninth.
    """

    def __init__(self) -> None:
        self._kernels: dict[str, Any] = {}

    def __call__(self, name: str, *args: Any) -> None:
        kernel = self._kernels.get(name)
        if kernel is None:
            source = {"both": _fused_both, "write": _fused_write, "ema": _fused_ema}[name]
            function = types.FunctionType(source.__code__.replace(), source.__globals__,
                                          source.__name__)
            kernel = self._kernels[name] = torch.compile(function, dynamic=False, fullgraph=True)
        try:
            kernel(*args)
        except Exception as exc:  # the compiler's own failure, named for the user
            raise RuntimeError(
                f"BEMACallback(torch_compile=True): torch.compile could not build or run the "
                f"fused BEMA update ({type(exc).__name__}: {str(exc).strip().splitlines()[0]}); "
                f"on the CPU it needs a C++ compiler, on a GPU Triton. Pass "
                f"torch_compile=False to use the eager update"
            ) from exc


@dataclass
class Tracked:
    """One parameter tensor that BEMA averages, its buffers and where its BEMA goes.

    ``param`` and ``targets`` are the model's tensors (``DTensor`` when sharded); ``theta0``
    and ``ema`` are plain tensors shaped like the local shard.
    """

    names: tuple[str, ...]
    param: Tensor
    theta0: Tensor
    ema: Tensor
    targets: list[Tensor] = field(default_factory=list)


@dataclass
class _Group:
    live: list[Tensor]
    ema: list[Tensor]
    theta0: list[Tensor]
    targets: list[list[Tensor]]
    stage: list[Tensor] | None
    scratch: list[Tensor] | None


class BEMAState:
    """θ₀ and EMA buffers for a list of parameter tensors, updated group by group.

    Args:
        tensors: ``(names, parameter)`` pairs, one per distinct tensor; ``names`` holds
            every name the tensor has in the model (tied weights have several).
        device: where the buffers live; ``None`` keeps each beside its parameter.
        chunk_numel: the segment size; ``None`` picks one for the buffers' device.
        fused: write the reference through the compiled kernels (see the module docstring).
    """

    def __init__(
        self,
        tensors: Sequence[tuple[tuple[str, ...], Tensor]],
        device: str | torch.device | None = "cpu",
        chunk_numel: int | None = None,
        fused: bool = False,
    ) -> None:
        self.device = None if device is None else torch.device(device)
        self.tracked: list[Tracked] = []
        with torch.no_grad():
            for names, param in tensors:
                where = param.device if self.device is None else self.device
                shard = local(param).detach()
                theta0 = torch.empty_like(shard, device=where, requires_grad=False)
                theta0.copy_(shard)
                ema = torch.empty_like(theta0, dtype=ema_dtype(param.dtype))
                ema.copy_(theta0)
                self.tracked.append(Tracked(tuple(names), param, theta0, ema))
        self.chunk_numel = chunk_numel
        self.fused = fused
        self._compiled = _Compiled()  # compiles nothing until a fused write
        self._plain: dict[torch.device, tuple[list[Tensor], ...]] = {}
        self._plain_ema: dict[torch.device, tuple[list[Tensor], list[Tensor]]] = {}
        self.frozen: list[tuple[Tensor, list[Tensor]]] = []
        self._groups: list[_Group] | None = None
        self._ema_lists: list[tuple[list[Tensor], list[Tensor]]] = []
        self._staged_groups: list[_Group] = []
        self._slices: list[tuple[Tensor, Tensor, Tensor, Tensor]] = []
        self._other_groups: list[_Group] = []
        self._pointers: list[int] = []

    # ------------------------------------------------------------------ planning

    def set_targets(
        self,
        targets: Sequence[list[Tensor]],
        frozen: Sequence[tuple[Tensor, list[Tensor]]] = (),
    ) -> None:
        """Say where the BEMA weights of each tracked tensor are written (one list each).

        ``frozen`` pairs a parameter that BEMA does not average (it never changes) with the
        tensors that receive a plain copy of it at each write.
        """
        for tracked, dst in zip(self.tracked, targets, strict=True):
            tracked.targets = list(dst)
        self.frozen = [(src, list(dst)) for src, dst in frozen]
        self._groups = None

    def _plan(self) -> list[_Group]:
        pointers = [local(x).data_ptr() for t in self.tracked for x in (t.param, *t.targets)]
        if self._groups is not None and pointers == self._pointers:
            return self._groups
        # (Re)build: first use, or a tensor got new storage (e.g. a model was moved).
        self._pointers = pointers
        groups: list[_Group] = []
        scratch: dict[tuple[torch.dtype, torch.device, str], Tensor] = {}
        key_of_group: tuple | None = None
        size = 0
        # The EMA update alone keeps nothing in cache between operations (it reads θ and
        # the EMA once and writes the EMA once): one multi-tensor lerp over whole tensors
        # per (dtype, device) does it, and only staged tensors go through segments.
        lerp_lists: dict[tuple, tuple[list[Tensor], list[Tensor]]] = {}
        # fused: θ, EMA, θ₀ and target lists by device (one compiled call each)
        plain: dict[torch.device, tuple[list[Tensor], ...]] = {}
        plain_ema: dict[torch.device, tuple[list[Tensor], list[Tensor]]] = {}
        for tracked in self.tracked:
            chunk = self.chunk_numel or _CHUNK_NUMEL.get(tracked.ema.device.type, 1 << 16)
            live, ema, theta0 = _flat(local(tracked.param).detach()), _flat(tracked.ema), _flat(
                tracked.theta0
            )
            targets = [_flat(local(t)) for t in tracked.targets]
            direct = len(targets) == 1 and (targets[0].dtype, targets[0].device) == (
                ema.dtype,
                ema.device,
            )
            staged = (live.dtype, live.device) != (ema.dtype, ema.device)
            if not staged:
                lists = lerp_lists.setdefault((ema.dtype, ema.device), ([], []))
                lists[0].append(ema)
                lists[1].append(live)
            key = (
                live.dtype, live.device, ema.dtype, ema.device, theta0.dtype,
                tuple((t.dtype, t.device) for t in targets), direct, staged,
            )
            if self.fused and len(targets) == 1 and (
                live.device == ema.device == theta0.device == targets[0].device
            ):
                # Detached: the compiler refuses to write through a view of a parameter
                # made under no_grad (the target's flat view); the storage is the same.
                out = _flat(local(tracked.targets[0]).detach())
                lists = plain.setdefault(ema.device, ([], [], [], []))
                for bucket, tensor in zip(lists, (live, ema, theta0, out), strict=True):
                    bucket.append(tensor)
                if staged:  # not in the multi-tensor lerp: its EMA-only update is fused too
                    pair = plain_ema.setdefault(ema.device, ([], []))
                    pair[0].append(live)
                    pair[1].append(ema)
                continue
            whole = live.dim() != 1  # a non-contiguous tensor: one segment
            bounds = [(0, live.numel())] if whole else [
                (a, min(a + chunk, live.numel())) for a in range(0, live.numel(), chunk)
            ]
            for a, b in bounds:
                n = b - a
                if key != key_of_group or size + n > chunk or not groups:
                    groups.append(_Group([], [], [], [[] for _ in targets], None, None))
                    groups[-1].stage = [] if staged else None
                    groups[-1].scratch = None if direct else []
                    key_of_group, size = key, 0
                g = groups[-1]

                def part(t: Tensor, a: int = a, b: int = b, whole: bool = whole) -> Tensor:
                    return t if whole else t[a:b]

                g.live.append(part(live))
                g.ema.append(part(ema))
                g.theta0.append(part(theta0))
                for j, t in enumerate(targets):
                    g.targets[j].append(part(t))
                size += n
        # Stage and scratch segments are views of one reused buffer per (dtype, device).
        for g in groups:
            for name in ("stage", "scratch"):
                views = getattr(g, name)
                if views is None:
                    continue
                dtype, device = g.ema[0].dtype, g.ema[0].device
                total = sum(e.numel() for e in g.ema)
                buf = scratch.get((dtype, device, name))
                if buf is None or buf.numel() < total:
                    buf = torch.empty(total, dtype=dtype, device=device)
                    scratch[(dtype, device, name)] = buf
                offset = 0
                for e in g.ema:
                    views.append(buf[offset : offset + e.numel()].view_as(e))
                    offset += e.numel()
        self._groups = groups
        self._plain, self._plain_ema = plain, plain_ema
        self._ema_lists = list(lerp_lists.values())
        self._staged_groups = [g for g in groups if g.stage is not None]
        # Single slices written straight into their one target (the common case): their
        # operations are called directly, without the per-group bookkeeping.
        self._slices = [
            (g.ema[0], g.live[0], g.theta0[0], g.targets[0][0])
            for g in groups
            if len(g.live) == 1 and g.stage is None and g.scratch is None
        ]
        self._other_groups = [
            g for g in groups if not (len(g.live) == 1 and g.stage is None and g.scratch is None)
        ]
        return groups

    # ------------------------------------------------------------------ updates

    @torch.no_grad()
    def snapshot(self) -> None:
        """θ₀ ← θ and EMA ← θ (the start of the average)."""
        for tracked in self.tracked:
            tracked.theta0.copy_(local(tracked.param).detach())
            tracked.ema.copy_(tracked.theta0)

    @torch.no_grad()
    def step(self, beta: float | None, alpha: float | None) -> None:
        """One pass over the groups: the EMA update and/or the write of the BEMA weights.

        Args:
            beta: EMA ← (1 − β)·EMA + β·θ when given.
            alpha: when given, every target ← EMA + α·(θ − θ₀) (after the EMA update), and
                the frozen parameters are copied into theirs.
        """
        if beta is None and alpha is None:
            return
        groups = self._plan()
        if alpha is None:
            for ema, live in self._ema_lists:
                torch._foreach_lerp_(ema, live, beta)
            for device, (lives, emas) in self._plain_ema.items():
                self._compiled("ema", lives, emas, _scalar(beta, device))
            groups = self._staged_groups
        else:
            for device, lists in self._plain.items():  # the fused kernels, one call each
                if beta is None:
                    self._compiled("write", *lists, _scalar(alpha, device))
                else:
                    self._compiled("both", *lists, _scalar(beta, device), _scalar(alpha, device))
            # One slice at a time, every operation while it is in cache: θ and the EMA are
            # read once from memory, θ₀ once, the target written once.
            for ema, live, theta0, out in self._slices:
                if beta is not None:
                    ema.lerp_(live, beta)
                torch.sub(live, theta0, out=out)
                torch.add(ema, out, alpha=alpha, out=out)
            groups = self._other_groups
        for g in groups:
            live = g.live
            if g.stage is not None:
                torch._foreach_copy_(g.stage, live)
                live = g.stage
            if beta is not None:
                torch._foreach_lerp_(g.ema, live, beta)
            if alpha is not None:
                out = g.targets[0] if g.scratch is None else g.scratch
                _bema_into(out, g.ema, live, g.theta0, alpha)
                if g.scratch is not None:
                    for target in g.targets:
                        torch._foreach_copy_(target, g.scratch)
        if alpha is not None:
            self._copy_frozen()

    @torch.no_grad()
    def _copy_frozen(self) -> None:
        for src, dsts in self.frozen:
            for dst in dsts:
                local(dst).copy_(local(src).detach())

    @torch.no_grad()
    def bema(self, index: int, alpha: float) -> Tensor:
        """A new tensor holding the BEMA weights of tracked tensor ``index`` (float32 or wider).

        For a sharded parameter: of this rank's local shard.
        """
        tracked = self.tracked[index]
        theta = local(tracked.param).detach().to(tracked.ema.device, tracked.ema.dtype)
        return torch.add(tracked.ema, theta - tracked.theta0, alpha=alpha)

    @torch.no_grad()
    def bema_into_theta0(self, alpha: float) -> None:
        """θ₀ ← BEMA weights, one tensor at a time (θ₀ is no longer needed afterwards)."""
        for index, tracked in enumerate(self.tracked):
            theta, theta0, ema = local(tracked.param).detach(), tracked.theta0, tracked.ema
            if (theta.dtype, theta.device) == (theta0.dtype, theta0.device) == (
                ema.dtype,
                ema.device,
            ) and theta.shape == theta0.shape:
                # In place, with the operations of ``bema`` (the same rounding): no temporary.
                torch.sub(theta, theta0, out=theta0)
                torch.add(ema, theta0, alpha=alpha, out=theta0)
            else:
                theta0.copy_(self.bema(index, alpha))

    # ------------------------------------------------------------------ persistence

    def state_dict(self, with_targets: bool = False) -> dict[str, Tensor]:
        """``theta0.<name>`` and ``ema.<name>`` for each tracked tensor (first name).

        With ``with_targets``, also ``target.<name>``: what was last written into the
        reference (a checkpoint does not hold the reference model, and a resumed run must
        start from the same reference as the uninterrupted one).
        """
        state: dict[str, Tensor] = {}
        for tracked in self.tracked:
            state[f"theta0.{tracked.names[0]}"] = tracked.theta0
            state[f"ema.{tracked.names[0]}"] = tracked.ema
            if with_targets and tracked.targets:
                state[f"target.{tracked.names[0]}"] = local(tracked.targets[0])
        return state

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Tensor], source: str) -> None:
        """Copy saved buffers in; ``source`` names the file in error messages."""
        targets = {k: v for k, v in state.items() if k.startswith("target.")}
        state = {k: v for k, v in state.items() if not k.startswith("target.")}
        expected = set(self.state_dict())
        missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
        if missing or unexpected:
            raise ValueError(
                f"BEMACallback: the saved BEMA state in {source} does not match the model's "
                f"trainable parameters (missing {missing[:3]}, unexpected {unexpected[:3]}); "
                f"resume with the same model and the same parameters trainable"
            )
        for tracked in self.tracked:
            for kind, buf in (("theta0", tracked.theta0), ("ema", tracked.ema)):
                saved = state[f"{kind}.{tracked.names[0]}"]
                if saved.shape != buf.shape:
                    raise ValueError(
                        f"BEMACallback: saved {kind} of {tracked.names[0]!r} in {source} has "
                        f"shape {tuple(saved.shape)}, the model's has {tuple(buf.shape)}"
                    )
                buf.copy_(saved)
            saved = targets.get(f"target.{tracked.names[0]}")
            if saved is not None:
                for target in tracked.targets:
                    local(target).copy_(saved)
        if targets:
            self._copy_frozen()

    def nbytes(self) -> int:
        """Bytes held by the buffers."""
        return sum(
            t.theta0.numel() * t.theta0.element_size() + t.ema.numel() * t.ema.element_size()
            for t in self.tracked
        )


def _scalar(value: float, device: torch.device) -> Tensor:
    # A 0-d tensor, not a float: new coefficients every step without a recompilation.
    return torch.tensor(value, dtype=torch.float64, device=device)


def _bema_into(
    out: list[Tensor], ema: list[Tensor], theta: list[Tensor], theta0: list[Tensor], alpha: float
) -> None:
    """out ← ema + α·(θ − θ₀)."""
    if len(out) == 1:
        # One slice of a large tensor: two fused operations (read 3, write 1).
        torch.sub(theta[0], theta0[0], out=out[0])
        torch.add(ema[0], out[0], alpha=alpha, out=out[0])
    else:
        torch._foreach_copy_(out, ema)
        torch._foreach_add_(out, theta, alpha=alpha)
        torch._foreach_add_(out, theta0, alpha=-alpha)
