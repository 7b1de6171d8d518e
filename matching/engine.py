"""The matcher: "who fits this vacancy?", "where does this person fit?" and scores for given pairs.

A :class:`Matcher` holds a prepared dataset and a scorer. Every question follows the same path:
screen the pairs with the hard rules, compute features for the eligible ones only, score them, take
the top k with ``np.argpartition`` and explain just those.

Suggestions screen and describe their pairs with the batch match's compiled kernels
(:mod:`matching.kernels`), so a suggestion's score is the score the batch plan uses for that pair.
Given pairs (:meth:`Matcher.score_pairs`) and training go through the numpy reference
(:func:`matching.eligibility.screen`, :func:`matching.features.pair_features`), which the kernels
are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.eligibility import Screen, screen
from matching.explain import explain
from matching.features import INDEX, pair_features
from matching.kernels import ScreenArrays, pair_features_grouped, screen_pairs
from matching.prepare import Prepared
from matching.scorers import LearnedScorer, RuleScorer, Scorer
from models.errors import KoppelaarError

RESULT_COLUMNS = ["rank", "candidate_id", "vacancy_id", "score", "confidence", "explanation", "reasons"]


@dataclass
class Scored:
    """Scores of screened pairs: eligible ones scored, the rest zero."""

    screen: Screen
    features: np.ndarray  # rows of the eligible pairs
    score: np.ndarray  # per screened pair (0 when not eligible)
    confidence: np.ndarray


class UnknownIdError(KoppelaarError):
    """A candidate or vacancy id that is not in the dataset."""


class Matcher:
    """Suggestions and pair scores over one prepared dataset."""

    def __init__(self, prepared: Prepared, scorer: Scorer | None = None) -> None:
        self.p = prepared
        self.scorer: Scorer = scorer or RuleScorer()

    # -- scoring ------------------------------------------------------------------------------
    def score_features(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self.scorer, RuleScorer):
            return self.scorer.score_and_confidence(x)
        return self.scorer.score(x), np.nan_to_num(x[:, INDEX["profile_completeness"]])

    def score_screen(self, s: Screen) -> Scored:
        """Features and scores of the eligible pairs of ``s``."""
        ok = s.eligible
        x = pair_features(self.p, s if ok.all() else s.subset(ok))
        score = np.zeros(len(s.ci))
        confidence = np.zeros(len(s.ci))
        if len(x):
            score[ok], confidence[ok] = self.score_features(x)
        return Scored(s, x, score, confidence)

    def score_pairs(self, candidate_ids: list[str], vacancy_ids: list[str]) -> pd.DataFrame:
        """Eligibility, score and explanation of each given pair (unknown ids refused)."""
        ci, vi = self._rows(candidate_ids, "candidate"), self._rows(vacancy_ids, "vacancy")
        scored = self.score_screen(screen(self.p, ci, vi))
        contributions = self.scorer.contributions(scored.features) if len(scored.features) else None
        notes = explain(self.p, scored.screen, scored.features, contributions)
        return pd.DataFrame(
            {
                "candidate_id": self.p.candidate_ids[ci],
                "vacancy_id": self.p.vacancy_ids[vi],
                "eligible": scored.screen.eligible,
                "score": np.round(scored.score, 4),
                "confidence": np.round(scored.confidence, 2),
                "explanation": [n.text for n in notes],
                "reasons": [n.code_text for n in notes],
            }
        )

    # -- suggestions ------------------------------------------------------------------------------
    def suggest_for_vacancy(self, vacancy_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` eligible candidates for a vacancy, best first, with explanations."""
        v = int(self._rows([vacancy_id], "vacancy")[0])
        # the others are out of travel distance for certain; and only candidates who consented and
        # are available can be eligible: screen just those
        ci = self.p.candidates_in_reach(v, matchable=True)
        ci = ci if self.p.v_additional[v] else ci[:0]
        return self._best(np.array([v], dtype=np.int64), np.array([0, len(ci)], dtype=np.int64), ci, k)

    def suggest_for_candidate(self, candidate_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` vacancies with an open place where a candidate is eligible."""
        c = int(self._rows([candidate_id], "candidate")[0])
        # a place that is not additional is never eligible, nor is anything for a candidate who did
        # not consent or is not available: screen only what can pass
        vi = self.p.additional_vacancies if self.p.c_matchable[c] else np.zeros(0, dtype=np.int64)
        return self._best(vi, np.arange(len(vi) + 1, dtype=np.int64), np.full(len(vi), c, dtype=np.int64), k)

    def _best(self, vacancies: np.ndarray, offsets: np.ndarray, candidates: np.ndarray, k: int) -> pd.DataFrame:
        """The top ``k`` eligible pairs of ``candidates[offsets[j]:offsets[j + 1]]`` × ``vacancies[j]``."""
        s = screen_pairs(self.p, vacancies, offsets, candidates)
        ok = np.flatnonzero(s.reasons == 0)
        n = len(ok)
        if n == 0:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        per_vacancy = np.repeat(np.arange(len(vacancies)), np.diff(offsets))[ok]
        e_off = np.concatenate([[0], np.cumsum(np.bincount(per_vacancy, minlength=len(vacancies)))])
        eligible = ScreenArrays(s.reasons[ok], s.km[ok], s.hard_missing[ok], s.soft_gaps[ok], s.licences_missing[ok])
        x_grouped, order = pair_features_grouped(self.p, vacancies, e_off, candidates[ok], eligible)
        x = np.empty_like(x_grouped)
        x[order] = x_grouped  # back in pair order
        score, confidence = self.score_features(x)
        ci, vi = candidates[ok], vacancies[per_vacancy]
        take = min(k, n)
        # best first; ties broken by id so the same input always gives the same list
        top = np.argpartition(-score, take - 1)[:take] if take < n else np.arange(n)
        ids = self.p.candidate_ids[ci[top]] if len(vacancies) == 1 else self.p.vacancy_ids[vi[top]]
        top = top[np.lexsort((ids, -score[top]))]
        chosen = Screen(
            ci[top],
            vi[top],
            eligible.reasons[top],
            eligible.km[top],
            eligible.hard_missing[top],
            eligible.soft_gaps[top],
            eligible.licences_missing[top],
        )
        notes = explain(self.p, chosen, x[top], self.scorer.contributions(x[top]))
        return pd.DataFrame(
            {
                "rank": np.arange(1, take + 1),
                "candidate_id": self.p.candidate_ids[chosen.ci],
                "vacancy_id": self.p.vacancy_ids[chosen.vi],
                "score": np.round(score[top], 4),
                "confidence": np.round(confidence[top], 2),
                "explanation": [n.text for n in notes],
                "reasons": [n.code_text for n in notes],
            }
        )

    def _rows(self, ids: list[str], kind: str) -> np.ndarray:
        if len(ids) == 1:  # a suggestion's subject: one hash look-up, cheaper than building an Index
            index = self.p.candidate_index if kind == "candidate" else self.p.vacancy_index
            if index.is_unique and str(ids[0]) in index:
                return np.array([index.get_loc(str(ids[0]))], dtype=np.intp)
        rows = self.p.candidate_rows(ids) if kind == "candidate" else self.p.vacancy_rows(ids)
        if (rows < 0).any():
            missing = [i for i, r in zip(ids, rows, strict=True) if r < 0]
            shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
            raise UnknownIdError(f"{len(missing)} {kind} id(s) not in the dataset: {shown}")
        return rows


def training_pairs(p: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate rows, vacancy rows, retained_6m) of every placement whose 6-month outcome is known."""
    plc = p.ds.placements
    known = plc["retained_6m"].notna().to_numpy()
    ci = p.candidate_rows(plc["candidate_id"][known])
    vi = p.vacancy_rows(plc["vacancy_id"][known])
    y = plc["retained_6m"][known].astype(bool).to_numpy()
    ok = (ci >= 0) & (vi >= 0)
    return ci[ok], vi[ok], y[ok]


def train(p: Prepared, *, seed: int = 0) -> LearnedScorer:
    """Fit the learned scorer on the dataset's placement history."""
    ci, vi, y = training_pairs(p)
    x = pair_features(p, screen(p, ci, vi))
    return LearnedScorer(seed=seed).fit(x, y)
