"""Small numpy helpers for per-group work without Python loops."""

from __future__ import annotations

import numpy as np


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal values of an already sorted `groups` array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - run_start


def cumsum_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Inclusive running sum of `values` restarting at each run of `groups` (sorted)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cs = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = np.r_[0, cs[starts[1:] - 1]] if len(starts) > 1 else np.array([0])
    return cs - np.repeat(before, np.diff(np.r_[starts, n]))


def group_sizes(groups: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(groups, minlength=n_groups)
