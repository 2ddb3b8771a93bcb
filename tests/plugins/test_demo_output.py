"""``fledge demo`` prints the demo's progress and result, not third-party deprecation noise
nor the trainer's raw log dicts; arguments that could show nothing are refused with the
reason and what to pass."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

from fledge import FeatureDeprecatedWarning
from fledge_plugins._demo_warnings import quiet_third_party_warnings

DEMOS = {
    "bema_for_ref_model": (["--steps", "2", "--ref-update-freq", "1", "--no-progress"],
                           "reference moved"),
    # One step: the reference's update frequency follows, so the reference still moves.
    "bema_for_ref_model-one-step": (["--steps", "1", "--no-progress"], "reference moved"),
    "grpo_with_replay_buffer": (["--steps", "2"], "replayed from the buffer"),
}


def _warn_from(module: str, category: type[Warning], text: str) -> None:
    """Emit a warning attributed to ``module``, as that package's own code would."""
    code = compile(f"import warnings\nwarnings.warn({text!r}, category)", f"<{module}>", "exec")
    exec(code, {"__name__": module, "category": category})  # noqa: S102


def test_third_party_deprecations_are_ignored_and_the_rest_shows():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_third_party_warnings():
            _warn_from("transformers.modeling_utils", FutureWarning, "gc deprecated")
            _warn_from("trl.trainer.grpo_trainer", DeprecationWarning, "old trl name")
            _warn_from("torch", PendingDeprecationWarning, "soon")
            _warn_from("torch.utils.data.dataloader", UserWarning,
                       "'pin_memory' argument is set as true but no accelerator is found, then "
                       "device pinned memory won't be used.")
            # Not third party: fledge's own deprecations and the user's code still warn.
            _warn_from("fledge._namespace", FeatureDeprecatedWarning, "moved to fledge.x")
            _warn_from("__main__", FutureWarning, "the user's own")
            _warn_from("transformers_extras", FutureWarning, "a prefix is not the package")
            _warn_from("transformers.trainer", UserWarning, "a real problem")
        _warn_from("transformers.modeling_utils", FutureWarning, "after the block")
    assert [str(w.message) for w in seen] == [
        "moved to fledge.x", "the user's own", "a prefix is not the package", "a real problem",
        "after the block"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--steps", "1", "--ref-update-freq", "2"],
     "--steps 1 ends before the reference's first update, at step 2 (--ref-update-freq 2), "
     "so the demo would show nothing: pass --steps 2 or more, or --ref-update-freq 1 or less"),
    (["--steps", "0"], "--steps and --ref-update-freq must be at least 1; got --steps 0"),
    (["--ref-update-freq", "-3"], "must be at least 1; got --steps 8 --ref-update-freq -3"),
])
def test_bema_demo_refuses_runs_that_cannot_show_the_reference_move(argv, message, capsys):
    from fledge_plugins.bema_for_ref_model.demo import main

    assert main(argv) == 2  # refused before anything is imported or trained
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("usage: fledge demo bema_for_ref_model")


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(DEMOS))
def test_the_demo_command_prints_no_deprecation_warnings(case: str, tmp_path) -> None:
    args, expected = DEMOS[case]
    name = case.partition("-")[0]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLEDGE_") and k != "PYTHONWARNINGS"}
    code = "import sys; from fledge.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "demo", name, *args,
                           "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    # The trainer's raw log dict stays out; the demo says what the run did in words.
    assert "train_runtime" not in done.stdout + done.stderr, done.stdout
    assert "{'" not in done.stdout, done.stdout
    assert "trained " in done.stdout and " step(s) in " in done.stdout
    for noise in ("FutureWarning", "DeprecationWarning", "pin_memory"):
        assert noise not in done.stderr, done.stderr
