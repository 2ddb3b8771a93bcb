"""One rank of a GRPO-with-replay run under DeepSpeed; started by test_replay_zero3.py.

It is ``_replay_dist_worker.py`` (same training, same report) with the config asking for
DeepSpeed from the launcher instead of plain CPU data parallelism: ``use_cpu=False``, which
lets accelerate take the DeepSpeed config ``accelerate launch --config_file`` passes on, and
``ddp_backend="gloo"``, without which accelerate counts one process on a CPU-only machine
(see tests/plugins/bema_for_ref_model/_bema_zero3_worker.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PLAIN = Path(__file__).with_name("_replay_dist_worker.py")


def main() -> None:
    spec = importlib.util.spec_from_file_location("fledge_replay_dist_worker", _PLAIN)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    plain_config = worker.GRPOWithReplayBufferConfig

    def config(**kwargs):
        return plain_config(**{**kwargs, "use_cpu": False, "ddp_backend": "gloo"})

    worker.GRPOWithReplayBufferConfig = config
    worker.main()


if __name__ == "__main__":
    main()
