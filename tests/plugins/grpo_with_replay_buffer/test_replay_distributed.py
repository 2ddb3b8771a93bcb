"""Replay under several processes: the pieces on their own, then a real two-process run.

The real runs start ``_replay_dist_worker.py`` on two CPU processes (gloo) through
``accelerate launch --multi_gpu`` and through ``torchrun``, with 10 rows per rank and groups
of 4: global group 2 (rows 8-11) always straddles the two ranks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
import transformers
from packaging.version import Version

from fledge.testing.distributed import LaunchError, launch
from fledge_plugins.grpo_with_replay_buffer._batch import (
    apply_replay,
    extract_group,
    plan_replay,
)
from fledge_plugins.grpo_with_replay_buffer._ranks import (
    HeldRows,
    check_supported,
    held_rows,
    join_parts,
    plan_fingerprint,
)
from fledge_plugins.grpo_with_replay_buffer._trainer import REPLAY_STATE_NAME
from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer

WORKER = Path(__file__).with_name("_replay_dist_worker.py")
G = 4
PAD = 99


def make_batch(prompt_lens, completion_lens, *, base=0):
    """A GRPO batch with every field TRL may send; tokens encode (row, position)."""
    rows, p_width, c_width = len(prompt_lens), max(prompt_lens), max(completion_lens)
    batch = {
        "prompt_ids": torch.full((rows, p_width), PAD),
        "prompt_mask": torch.zeros(rows, p_width, dtype=torch.long),
        "completion_ids": torch.full((rows, c_width), PAD),
        "completion_mask": torch.zeros(rows, c_width, dtype=torch.long),
        "old_per_token_logps": torch.zeros(rows, c_width),
        "tool_mask": torch.ones(rows, c_width, dtype=torch.long),
        "advantages": torch.arange(rows, dtype=torch.float32) + base,
    }
    for r, (p, c) in enumerate(zip(prompt_lens, completion_lens, strict=True)):
        batch["prompt_ids"][r, p_width - p:] = base + 100 * r + torch.arange(p)
        batch["prompt_mask"][r, p_width - p:] = 1
        batch["completion_ids"][r, :c] = base + 100 * r + 50 + torch.arange(c)
        batch["completion_mask"][r, :c] = 1
        batch["old_per_token_logps"][r, :c] = -(r + 1) / 10
    batch["num_items_in_batch"] = batch["completion_mask"].sum()
    return batch


def split(batch, at):
    """The two ranks' batches, each padded to its own rows only, as TRL pads per rank."""
    halves = []
    for rows in (slice(0, at), slice(at, None)):
        half = {k: v[rows] for k, v in batch.items() if k != "num_items_in_batch"}
        prompt_start = int(half["prompt_mask"].bool().any(0).nonzero()[0])
        completion_end = int(half["completion_mask"].bool().any(0).nonzero()[-1]) + 1
        for k in half:
            if k.startswith("prompt"):
                half[k] = half[k][:, prompt_start:]
            elif k != "advantages":
                half[k] = half[k][:, :completion_end]
        half["num_items_in_batch"] = half["completion_mask"].sum()
        halves.append(half)
    return halves


# -- the pieces ---------------------------------------------------------------------------


def test_held_rows_maps_global_groups_to_each_ranks_rows():
    # 2 ranks x 10 rows, groups of 4: group 2 is rows 8-9 on rank 0 and rows 0-1 on rank 1.
    assert held_rows(range(5), G, 0, 10) == {0: HeldRows(0, 0, 4), 1: HeldRows(4, 0, 4),
                                             2: HeldRows(8, 0, 2)}
    assert held_rows(range(5), G, 10, 10) == {2: HeldRows(0, 2, 2), 3: HeldRows(2, 0, 4),
                                              4: HeldRows(6, 0, 4)}
    assert held_rows([1], G, 0, 40) == {1: HeldRows(4, 0, 4)}


def test_a_group_joined_from_two_ranks_equals_the_group_extracted_whole():
    batch = make_batch([3, 5, 2, 4, 6, 1, 2, 2], [2, 1, 6, 3, 3, 5, 1, 4])
    rank0, rank1 = split(batch, 6)  # group 1 = rows 4-7: two rows on each rank
    parts = [extract_group(rank0, 4, 2), extract_group(rank1, 0, 2)]
    joined = join_parts(parts, PAD)
    whole = extract_group(batch, 4, G)
    assert set(joined) == set(whole)
    for name in whole:
        assert torch.equal(joined[name], whole[name]), name


def test_join_parts_rejects_what_cannot_be_joined():
    batch = make_batch([2] * 4, [2] * 4)
    with pytest.raises(ValueError, match="no parts"):
        join_parts([], PAD)
    part = extract_group(batch, 0, 2)
    with pytest.raises(ValueError, match="different fields"):
        join_parts([part, {k: v for k, v in part.items() if k != "tool_mask"}], PAD)


def test_each_rank_replaying_its_rows_gives_the_one_process_batch():
    """The distributed path, applied on both halves of a batch, rewrites exactly the rows
    the one-process path rewrites, with the same stored rows."""
    batch = make_batch([2, 3, 2, 3, 4, 4, 1, 2, 3, 3, 3, 3], [3, 3, 1, 2, 5, 2, 2, 2, 4, 1, 1, 1])
    stored = [extract_group(make_batch([6, 1, 2, 3], [7, 1, 2, 2], base=5000), 0, G),
              extract_group(make_batch([1, 1, 1, 1], [1, 2, 3, 4], base=9000), 0, G)]
    plan = {1: stored[0], 2: stored[1]}  # group 1 straddles ranks of 6 rows
    whole = apply_replay(batch, [(g * G, group) for g, group in plan.items()],
                         group_size=G, pad_token_id=PAD)
    out = []
    for rank, half in enumerate(split(batch, 6)):
        held = held_rows(plan, G, rank * 6, 6)
        replacements = [(h.local, {k: v[h.within:h.within + h.count]
                                   for k, v in plan[g].items()}) for g, h in held.items()]
        out.append(apply_replay(half, replacements, group_size=G, pad_token_id=PAD))
    distributed = {
        0: extract_group(out[0], 0, G),
        1: join_parts([extract_group(out[0], 4, 2), extract_group(out[1], 0, 2)], PAD),
        2: extract_group(out[1], 2, G),
    }
    for g, two in distributed.items():
        one = extract_group(whole, g * G, G)
        assert all(torch.equal(one[k], two[k]) for k in one), g


def test_apply_replay_checks_partial_replacements():
    batch = make_batch([2] * 8, [2] * 8)
    group = extract_group(batch, 0, G)
    two = {k: v[:2] for k, v in group.items()}
    with pytest.raises(ValueError, match="same rows"):
        apply_replay(batch, [(0, group), (3, two)], group_size=G, pad_token_id=PAD)
    with pytest.raises(ValueError, match="1 to group_size=2 rows, got 4"):
        apply_replay(batch, [(0, group)], group_size=2, pad_token_id=PAD)
    with pytest.raises(IndexError, match="rows 7:9 are outside"):
        apply_replay(batch, [(7, two)], group_size=G, pad_token_id=PAD)


def test_the_fingerprint_changes_with_the_plan_the_buffer_and_the_generator():
    buffer = ReplayBuffer(2)
    rewards = torch.tensor([0.0, 1, 0, 1, 2, 2, 2, 2]).unsqueeze(1)
    generator = torch.Generator().manual_seed(0)
    plan = plan_replay(rewards, [1.0], G, buffer, generator)
    first = plan_fingerprint(plan, buffer, generator)
    assert first == plan_fingerprint(plan, buffer, torch.Generator().manual_seed(0))
    assert first != plan_fingerprint(plan, buffer, torch.Generator().manual_seed(1))
    other = dataclasses.replace(plan, admitted=())
    assert first != plan_fingerprint(other, buffer, generator)
    buffer.add(1.0, {"advantages": torch.zeros(G)})
    assert first != plan_fingerprint(plan, buffer, generator)


def test_multi_process_xla_is_refused_with_the_reason():
    with pytest.raises(NotImplementedError, match="XLA .TPU. runs do not support"):
        check_supported("XLA", 8, 64)
    check_supported("XLA", 8, 0)  # replay off: plain GRPO
    check_supported("MULTI_CPU", 2, 64)
    check_supported("MULTI_GPU", 8, 64)


# -- a real two-process run -------------------------------------------------------------


def simulate(records, buffer, generator):
    """The one-process decision over the same global batches: plan_replay on the gathered
    rewards, with a buffer that tracks ids and scores (contents do not enter the decision)."""
    for record in records:
        rewards = torch.tensor(record["rewards"]).unsqueeze(1)
        plan = plan_replay(rewards, [1.0], G, buffer, generator)
        expected = record["plan"]
        assert list(plan.tied) == expected["tied"]
        assert list(plan.replaced) == expected["replaced"]
        assert list(plan.drawn) == expected["drawn"]
        assert [buffer.ids[i] for i in plan.drawn] == expected["drawn_ids"]
        assert list(plan.admitted) == expected["admitted"]
        for g in plan.admitted:
            buffer.add(plan.scores[g], {"advantages": torch.zeros(G)})
        assert buffer.ids == record["buffer_after"]["ids"], record["step"]
        assert buffer.scores == record["buffer_after"]["scores"]


def check_run(results, rows_per_rank):
    """Assertions that hold for every two-process run of the worker.

    Returns:
        How many replayed and how many stored groups straddled the two ranks, and how many
        batches replayed one stored group in place of several tied groups.
    """
    assert [r["rank"] for r in results] == [r["env_rank"] for r in results] == [0, 1]
    for result in results:
        assert result["distributed_type"] == "MULTI_CPU"
        assert result["num_processes"] == 2 and result["backend"] == "gloo"
    first, second = results
    shared = ("rewards", "plan", "drawn_rows", "admitted_ids", "admitted_rows", "buffer_after")
    assert len(first["records"]) == len(second["records"]) > 0
    for a, b in zip(first["records"], second["records"], strict=True):
        # One global decision, the same buffer (ids, scores and contents) on both ranks.
        assert {k: a[k] for k in shared} == {k: b[k] for k in shared}
    assert first["metrics"] == second["metrics"] and first["stats"] == second["stats"]
    assert first["final_buffer"] == second["final_buffer"]

    straddling = {g for g in range(2 * rows_per_rank // G)
                  if g * G < rows_per_rank < (g + 1) * G}
    replayed_straddling = admitted_straddling = repeated = 0
    for a, b in zip(first["records"], second["records"], strict=True):
        plan = a["plan"]
        before, after_tok = a["before"] + b["before"], a["after_tok"] + b["after_tok"]
        drawn = dict(zip(plan["replaced"], plan["drawn_ids"], strict=True))
        repeated += len(set(plan["drawn_ids"])) < len(plan["drawn_ids"])
        for g in range(plan["num_groups"]):
            rows = slice(g * G, (g + 1) * G)
            if g in drawn:
                # Whole: all four rows, on both ranks, are the rows of one stored group,
                # with the log-probs it was sampled with.
                after_full = a["after_full"] + b["after_full"]
                assert after_full[rows] == a["drawn_rows"][str(drawn[g])], (a["step"], g)
                replayed_straddling += g in straddling
            else:
                assert after_tok[rows] == before[rows], (a["step"], g)
        for g, new_id in zip(plan["admitted"], a["admitted_ids"], strict=True):
            # Stored whole, from both ranks' rows, in order.
            assert a["admitted_rows"][str(new_id)] == before[g * G:(g + 1) * G]
            admitted_straddling += g in straddling
        for record in (a, b):
            if record["fresh_logps_error"] is not None:  # fresh rows: current policy's logps
                assert record["fresh_logps_error"] < 1e-5
            if record["stored_before"]:
                # Once the buffer holds a group, every tied group is replaced (with
                # replacement if need be), so no rank sends a zero-advantage row to the loss.
                assert plan["replaced"] == plan["tied"], record["step"]
                assert record["zero_advantage_rows"] == 0, record["step"]

    # The logged metrics are the global ones (one log per step, after the step's batch; a
    # resumed run's history also holds the logs from before its checkpoint).
    logs = {entry["step"]: entry for entry in first["metrics"]}
    for record in first["records"]:
        logged = logs[record["step"] + 1]
        plan, buffer = record["plan"], record["buffer_after"]
        assert logged["replay_buffer/frac_replayed"] == pytest.approx(
            len(plan["replaced"]) / plan["num_groups"])
        assert logged["replay_buffer/size"] == len(buffer["ids"])
        assert logged["replay_buffer/mean_score"] == pytest.approx(
            sum(buffer["scores"]) / len(buffer["scores"]))
    return replayed_straddling, admitted_straddling, repeated


def common_args(out: Path, model: Path) -> list[str]:
    return ["--model", str(model), "--out", str(out), "--steps", "6", "--save-steps", "3",
            "--per-device", "10"]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, tiny_model_path):
    """Six steps on two processes through ``accelerate launch``, saving at step 3."""
    out = tmp_path_factory.mktemp("replay-dist") / "out"
    results = launch(WORKER, *common_args(out, tiny_model_path), nproc=2,
                     launcher="accelerate", timeout=240)
    return out, results


@pytest.mark.slow
def test_two_processes_decide_once_and_replay_whole_groups(first_run):
    _, first = first_run
    replayed, admitted, repeated = check_run(first, rows_per_rank=10)
    # Seeded, so this run does both: a group split over the ranks is replaced, and one is
    # stored (gathered whole from both ranks).
    assert replayed > 0 and admitted > 0
    # The same decisions a single process takes from the same global batches.
    simulate(first[0]["records"], ReplayBuffer(4), torch.Generator().manual_seed(0))


@pytest.mark.slow
def test_two_processes_with_a_short_buffer_replace_every_tied_group(tmp_path, tiny_model_path):
    """A buffer of one group: one stored group stands in for several tied groups of a batch,
    drawn with replacement by the same seeded draw on both ranks."""
    results = launch(WORKER, "--model", str(tiny_model_path), "--out", str(tmp_path / "out"),
                     "--steps", "4", "--per-device", "10", "--buffer-size", "1", nproc=2,
                     launcher="torchrun", timeout=240)
    _, _, repeated = check_run(results, rows_per_rank=10)
    assert repeated > 0
    simulate(results[0]["records"], ReplayBuffer(1), torch.Generator().manual_seed(0))


@pytest.mark.slow
@pytest.mark.xfail(
    Version(transformers.__version__) < Version("5"), raises=LaunchError, strict=True,
    reason="transformers 4.x resumes a multi-process run with torch.load(optimizer.pt, "
    "map_location=args.device), an indexed CPU device here that torch rejects (\"don't know "
    "how to restore data location ... cpu:0\"); the Trainer fails before replay is involved",
)
def test_two_processes_resume_restores_the_buffer_on_every_rank(first_run, tiny_model_path):
    out, first = first_run
    checkpoint = out / "checkpoint-3"
    saved = torch.load(checkpoint / REPLAY_STATE_NAME, weights_only=True)
    assert saved["buffer"]["scores"] == first[0]["records"][2]["buffer_after"]["scores"]
    second = launch(WORKER, *common_args(out, tiny_model_path), "--resume", str(checkpoint),
                    nproc=2, launcher="torchrun", timeout=240)
    check_run(second, rows_per_rank=10)
    for result in second:  # every rank restored the one saved state
        assert result["loaded"] == {**first[0]["records"][2]["buffer_after"],
                                    "stats": saved["stats"]}
    assert [r["step"] for r in second[0]["records"]] == [3, 4, 5]
    # Resumed decisions follow from the saved buffer and generator state.
    buffer = ReplayBuffer(4)
    buffer.load_state_dict(saved["buffer"])
    generator = torch.Generator()
    generator.set_state(saved["generator"])
    simulate(second[0]["records"], buffer, generator)
    assert second[0]["stats"]["groups"] == first[0]["stats"]["groups"] == 6 * 5


@pytest.mark.slow
def test_ranks_that_diverge_stop_with_a_clear_error(tmp_path, tiny_model_path):
    with pytest.raises(LaunchError) as raised:
        launch(WORKER, "--model", str(tiny_model_path), "--out", str(tmp_path / "out"),
               "--steps", "2", "--diverge", nproc=2, timeout=240)
    assert set(raised.value.stderr) >= {0, 1}
    for rank in (0, 1):
        assert "the ranks took different replay decisions" in raised.value.stderr[rank]
