"""Seeding of drawings: one generator per example, derived from its key."""
from __future__ import annotations

import zlib

import numpy as np


def key_rng(key: str, seed: int = 0) -> np.random.Generator:
    """A generator seeded by an example's key: its drawings do not depend on file order."""
    return np.random.default_rng([seed, zlib.crc32(key.encode())])
