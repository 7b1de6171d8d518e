"""The matcher: "who fits this vacancy?", "where does this person fit?" and scores for given pairs.

A :class:`Matcher` holds a prepared dataset and a scorer. Every question follows the same path:
screen the pairs with the hard rules, compute features for the eligible ones only, score them, take
the top k with ``np.argpartition`` and explain just those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.eligibility import Screen, constant, screen
from matching.explain import explain
from matching.features import INDEX, pair_features
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

    # -- suggestions --------------------------------------------------------------------------
    def suggest_for_vacancy(self, vacancy_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` eligible candidates for a vacancy, best first, with explanations."""
        v = int(self._rows([vacancy_id], "vacancy")[0])
        ci = self.p.candidates_in_reach(v)  # the others are out of travel distance for certain
        # only candidates who consented and are available can be eligible: screen just those
        ci = ci[self.p.c_matchable[ci]] if self.p.v_additional[v] else ci[:0]
        return self._top(screen(self.p, ci, np.full(len(ci), v)), k)

    def suggest_for_candidate(self, candidate_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` vacancies with an open place where a candidate is eligible."""
        c = int(self._rows([candidate_id], "candidate")[0])
        # a place that is not additional is never eligible, nor is anything for a candidate who did
        # not consent or is not available: screen only what can pass
        vi = self.p.additional_vacancies if self.p.c_matchable[c] else np.zeros(0, dtype=np.int64)
        return self._top(screen(self.p, np.full(len(vi), c), vi), k)

    def _top(self, s: Screen, k: int) -> pd.DataFrame:
        eligible = s.subset(s.eligible)
        scored = self.score_screen(eligible)
        n = len(eligible.ci)
        if n == 0:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        take = min(k, n)
        # best first; ties broken by id so the same input always gives the same list
        top = np.argpartition(-scored.score, take - 1)[:take] if take < n else np.arange(n)
        ids = self.p.candidate_ids[eligible.ci[top]] if constant(eligible.vi) else self.p.vacancy_ids[eligible.vi[top]]
        order = np.lexsort((ids, -scored.score[top]))
        top = top[order]
        chosen = eligible.subset(top)
        x = scored.features[top]
        notes = explain(self.p, chosen, x, self.scorer.contributions(x))
        return pd.DataFrame(
            {
                "rank": np.arange(1, take + 1),
                "candidate_id": self.p.candidate_ids[chosen.ci],
                "vacancy_id": self.p.vacancy_ids[chosen.vi],
                "score": np.round(scored.score[top], 4),
                "confidence": np.round(scored.confidence[top], 2),
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
