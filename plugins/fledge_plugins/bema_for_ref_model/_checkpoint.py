"""The BEMA state in a Trainer checkpoint: which process writes which file, and reading it back.

* One process, or replicated parameters (DDP): every rank holds the same θ₀ and EMA, so the
  state is written once, to ``bema_state.safetensors``, by the process that writes the
  checkpoint (rank 0; each node's local rank 0 with ``save_on_each_node``), and every rank
  reads that file on resume.
* Sharded parameters (FSDP2 shards, DeepSpeed ZeRO-3 partitions): each rank holds the
  state of its own part of the model, so each writes ``bema_state-rank<r>-of-<n>.safetensors``
  (the file records the rank and the number of processes) and reads back its own. A resume
  must then use the same number of processes (and the same sharding); another number is
  refused, naming both.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

#: File written into every Trainer checkpoint folder (one process, or DDP).
STATE_FILE = "bema_state.safetensors"
#: The same, per rank, when the parameters are sharded.
SHARD_FILE = "bema_state-rank{rank}-of-{world}.safetensors"
FORMAT = "fledge.bema_for_ref_model/1"
_SHARD_NAME = re.compile(r"bema_state-rank(\d+)-of-(\d+)\.safetensors")


def file_name(sharded: bool, rank: int, world: int) -> str:
    """The state file's name for this process."""
    return SHARD_FILE.format(rank=rank, world=world) if sharded else STATE_FILE


def writes(args: Any, state: Any, sharded: bool) -> bool:
    """Whether this process writes the state file of a checkpoint."""
    if sharded:
        return True
    if getattr(args, "save_on_each_node", False):
        return bool(state.is_local_process_zero)
    return bool(state.is_world_process_zero)


def write(
    path: str | os.PathLike[str], tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> None:
    """Write ``tensors`` (copied to the CPU) and ``metadata`` to ``path`` as safetensors."""
    from safetensors.torch import save_file

    cpu = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    save_file(cpu, str(path), metadata={"format": FORMAT, **metadata})


def read(
    path: str | os.PathLike[str], *, sharded: bool, rank: int, world: int
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a state file, checked against this run's layout.

    Raises:
        ValueError: not a fledge BEMA state file, or written by a run sharded differently.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"BEMACallback: {path} is not a BEMA state file written by fledge "
            f"(format {metadata.get('format')!r}, expected {FORMAT!r})"
        )
    saved_world = metadata.get("world_size")
    if sharded and saved_world is not None and int(saved_world) != world:
        raise ValueError(
            f"BEMACallback: {path} holds rank {metadata.get('rank')}'s shards of a run on "
            f"{saved_world} processes, but this run has {world}; the sharded BEMA state "
            f"can only be restored with the same number of processes"
        )
    return load_file(str(path)), metadata


def find(folder: str | os.PathLike[str], *, sharded: bool, rank: int, world: int) -> Path:
    """The state file this process reads from checkpoint ``folder`` (it may not exist).

    Raises:
        ValueError: the folder holds the state of a run sharded differently (per-rank files
            of another process count, or one replicated file for a sharded run or back).
    """
    folder = Path(folder)
    path = folder / file_name(sharded, rank, world)
    if path.is_file():
        return path
    others = sorted(p.name for p in folder.glob("bema_state*.safetensors"))
    if others:
        layout = f"sharded over {world} processes" if sharded else "not sharded"
        worlds = sorted({int(m.group(2)) for m in map(_SHARD_NAME.fullmatch, others) if m})
        counts = ""
        if len(worlds) == 1 and worlds[0] != world:
            counts = (
                f"; it was saved per rank by a run on {worlds[0]} processes and this run has "
                f"{world}: sharded BEMA state (FSDP2 shards, DeepSpeed ZeRO-3 partitions) "
                f"resumes on the same number of processes only"
            )
        raise ValueError(
            f"BEMACallback: resuming from {folder}, whose BEMA state is in {others[:3]}, but "
            f"this run ({layout}) needs {path.name}{counts}; resume with the sharding and the "
            f"number of processes of the run that wrote the checkpoint"
        )
    return path
