"""(being written)"""

from __future__ import annotations

__all__ = ["plan_demotion"]


def plan_demotion(repo, config, name, *args, **kwargs):
    raise NotImplementedError("plan_demotion is being written")
