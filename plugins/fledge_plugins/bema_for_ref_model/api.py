"""BEMA for the DPO reference model: the public names.

``from fledge.experimental.bema_for_ref_model import BEMACallback, DPOTrainer``.
"""

from __future__ import annotations

from ._callback import BEMACallback
from ._trainer import DPOTrainer

__all__ = ["BEMACallback", "DPOTrainer"]
