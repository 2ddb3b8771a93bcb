"""Which process writes which BEMA state file, and what a wrongly laid-out resume says.

The real multi-process runs are in test_bema_distributed.py; these check the decisions and
the error messages on their own, in one process.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from fledge_plugins.bema_for_ref_model import _checkpoint, _sharding


def _state(world_zero: bool, local_zero: bool) -> SimpleNamespace:
    return SimpleNamespace(is_world_process_zero=world_zero, is_local_process_zero=local_zero)


@pytest.mark.parametrize(
    "sharded, each_node, world_zero, local_zero, expected",
    [
        (False, False, True, True, True),     # rank 0 writes the one file
        (False, False, False, True, False),   # another node's local rank 0 does not ...
        (False, True, False, True, True),     # ... unless each node saves (save_on_each_node)
        (False, True, False, False, False),
        (True, False, False, False, True),    # sharded: every rank writes its own shards
    ],
)
def test_who_writes_the_state(sharded, each_node, world_zero, local_zero, expected):
    args = SimpleNamespace(save_on_each_node=each_node)
    assert _checkpoint.writes(args, _state(world_zero, local_zero), sharded) is expected


def test_file_names():
    assert _checkpoint.file_name(False, 3, 4) == "bema_state.safetensors"
    assert _checkpoint.file_name(True, 3, 4) == "bema_state-rank3-of-4.safetensors"


def test_sharded_state_round_trips_and_refuses_another_process_count(tmp_path):
    path = tmp_path / _checkpoint.file_name(True, 1, 4)
    _checkpoint.write(path, {"ema.w": torch.arange(3.0), "theta0.w": torch.zeros(0)},
                      {"rank": "1", "world_size": "4"})
    tensors, metadata = _checkpoint.read(path, sharded=True, rank=1, world=4)
    assert torch.equal(tensors["ema.w"], torch.arange(3.0)) and tensors["theta0.w"].numel() == 0
    assert metadata["world_size"] == "4" and metadata["format"] == _checkpoint.FORMAT
    with pytest.raises(ValueError, match=r"rank 1's shards of a run on 4 processes, but this "
                                         r"run has 2; .* same number of processes"):
        _checkpoint.read(path, sharded=True, rank=1, world=2)


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "bema_state.safetensors"
    save_file({"x": torch.zeros(1)}, str(path))
    with pytest.raises(ValueError, match="not a BEMA state file written by fledge"):
        _checkpoint.read(path, sharded=False, rank=0, world=1)


def test_find_names_the_layout_that_wrote_the_checkpoint(tmp_path):
    # a checkpoint of a sharded run on 2 processes, resumed by a DDP run
    for rank in (0, 1):
        (tmp_path / _checkpoint.file_name(True, rank, 2)).write_bytes(b"")
    with pytest.raises(ValueError, match=r"bema_state-rank0-of-2.safetensors.*this run \(not "
                                         r"sharded\) needs bema_state.safetensors"):
        _checkpoint.find(tmp_path, sharded=False, rank=0, world=1)
    # ... or by a sharded run on 4
    with pytest.raises(ValueError, match=r"sharded over 4 processes\) needs "
                                         r"bema_state-rank3-of-4"):
        _checkpoint.find(tmp_path, sharded=True, rank=3, world=4)
    assert _checkpoint.find(tmp_path, sharded=True, rank=1, world=2).is_file()
    # an empty folder: no error, the caller warns that the average restarts
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not _checkpoint.find(empty, sharded=False, rank=0, world=1).exists()


def test_plain_tensors_are_their_own_local_shard():
    tensor = torch.ones(3)
    assert _sharding.local(tensor) is tensor and _sharding.full(tensor) is tensor
    assert not _sharding.is_sharded(tensor) and _sharding.layout(tensor) is None
    assert _sharding.same_layout(tensor, torch.zeros(3))
    assert _sharding.describe(tensor) == "a plain (unsharded) tensor"
    assert _sharding.rebuild(tensor, tensor) is tensor
    assert _sharding.rank_and_world() == (0, 1)
    _sharding.reshard(torch.nn.Linear(2, 2))  # no FSDP module: nothing to do
