"""Test helper: the eligible pairs of some vacancies, screened vacancy by vacancy (the reference path)."""

from __future__ import annotations

import numpy as np

from matching.kernels import ScreenArrays, screen_pairs
from matching.prepare import Prepared


def eligible_pairs(
    p: Prepared, vacancies: np.ndarray, lists: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, ScreenArrays]:
    """``lists[k]``: the candidates screened for ``vacancies[k]``. Returns the eligible pairs grouped
    by vacancy: where each vacancy's start (offsets), their candidates and their screen arrays."""
    offsets = np.concatenate([[0], np.cumsum([len(ci) for ci in lists])])
    cand = np.concatenate(lists)
    s = screen_pairs(p, vacancies, offsets, cand)
    ok = s.reasons == 0
    counts = np.bincount(np.repeat(np.arange(len(vacancies)), np.diff(offsets))[ok], minlength=len(vacancies))
    e = np.flatnonzero(ok)
    return np.concatenate([[0], np.cumsum(counts)]), cand[e], s.subset(e)
