"""Fixtures of the promote tests; the builders live in promote_helpers."""

from promote_helpers import fledge_copy, trl_repo

__all__ = ["fledge_copy", "trl_repo"]
