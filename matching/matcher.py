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

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.bound import Bound
from matching.eligibility import Screen, screen
from matching.explain import explain
from matching.features import INDEX, pair_features, with_training_sides
from matching.history import carry_tables, labelled_history
from matching.kernels import ScreenArrays, pair_features_grouped, screen_pairs, take_over
from matching.prepare import Prepared
from matching.scorers import RULE_WEIGHT, LearnedScorer, RuleScorer, Scorer
from matching.shortlists import Shortlists, id_rank
from matching.shortlists import build as build_shortlists
from matching.shortlists import updated as updated_shortlists
from models.dataset import Dataset
from models.errors import KoppelaarError

RESULT_COLUMNS = ["rank", "candidate_id", "vacancy_id", "score", "confidence", "explanation", "reasons"]


@dataclass
class Scored:
    """Scores of screened pairs: eligible ones scored, the rest zero."""

    screen: Screen
    features: np.ndarray  # rows of the eligible pairs
    score: np.ndarray  # per screened pair (0 when not eligible)
    confidence: np.ndarray


@dataclass
class _Eligible:
    """Eligible pairs with their feature rows, scores and confidence, row for row."""

    pairs: Screen
    x: np.ndarray
    score: np.ndarray
    confidence: np.ndarray


@dataclass(frozen=True)
class Suggestions:
    """Suggestions best first, column by column: the pairs' ids, scores (rounded to 4 decimals),
    confidences (to 2) and explanations. An answer over HTTP is built from these values as they
    are; :meth:`frame` is the table of :data:`RESULT_COLUMNS` the command line writes."""

    candidate_ids: np.ndarray
    vacancy_ids: np.ndarray
    scores: np.ndarray
    confidences: np.ndarray
    explanations: list[str]
    reasons: list[str]

    def __len__(self) -> int:
        return len(self.candidate_ids)

    def subset(self, keep: np.ndarray) -> Suggestions:
        """The suggestions where ``keep`` (a boolean per suggestion) holds, in their order."""
        rows = np.flatnonzero(keep)
        return Suggestions(
            self.candidate_ids[rows],
            self.vacancy_ids[rows],
            self.scores[rows],
            self.confidences[rows],
            [self.explanations[i] for i in rows.tolist()],
            [self.reasons[i] for i in rows.tolist()],
        )

    def frame(self) -> pd.DataFrame:
        """The suggestions as a table of :data:`RESULT_COLUMNS`, ranked from 1."""
        if not len(self):
            return pd.DataFrame(columns=RESULT_COLUMNS)
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(self) + 1),
                "candidate_id": self.candidate_ids,
                "vacancy_id": self.vacancy_ids,
                "score": self.scores,
                "confidence": self.confidences,
                "explanation": self.explanations,
                "reasons": self.reasons,
            }
        )


class UnknownIdError(KoppelaarError):
    """A candidate or vacancy id that is not in the dataset."""


class Matcher:
    """Suggestions and pair scores over one prepared dataset."""

    def __init__(self, prepared: Prepared, scorer: Scorer | None = None, *, min_retention: float | None = None) -> None:
        self.p = prepared
        self.scorer: Scorer = scorer or RuleScorer()
        self.min_retention = check_min_retention(self.scorer, min_retention)  # suggestions below it: none
        self.shortlists: Shortlists | None = None  # see rank_everything
        self._ranks: dict[str, np.ndarray] = {}

    # -- scoring ------------------------------------------------------------------------------
    def score_features(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self.scorer, RuleScorer):
            return self.scorer.score_and_confidence(x)
        return self.scorer.score(x), np.nan_to_num(x[:, INDEX["profile_completeness"]])

    def score_bound(self) -> Bound | None:
        """An upper bound on the scorer's score from cheap features, or ``None`` when the scorer
        offers none (:mod:`matching.bound`)."""
        make = getattr(self.scorer, "score_bound", None)
        bound = make() if make is not None else None
        return bound if isinstance(bound, Bound) else None

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
    def rank_everything(self) -> Shortlists:
        """Rank every eligible pair once and answer suggestions from the shortlists from then on
        (see :mod:`matching.shortlists`); for a server answering many questions over the same data."""
        ranks = (self._id_rank("candidate"), self._id_rank("vacancy"))
        self.shortlists = build_shortlists(self.p, lambda x: self.score_features(x)[0], ranks=ranks)
        return self.shortlists

    def updated(self, ds: Dataset, *, candidates: Collection[str], vacancies: Collection[str]) -> Matcher:
        """A matcher over ``ds``, where only the rows of ``candidates`` and ``vacancies`` (ids changed,
        added or gone) differ from this one's: those rows are prepared (:meth:`Prepared.updated`) and,
        when this matcher has shortlists, their pairs ranked (:func:`matching.shortlists.updated`);
        everything else is kept. Its answers are those of ``Matcher(Prepared(ds, ..., fitted=self.p))``."""
        update = self.p.updated(ds, candidates=candidates, vacancies=vacancies)
        # the side features too are fitted at the full preparation
        carry_tables(self.p, update.prepared, (update.candidate_rows, update.vacancy_rows))
        take_over(self.p, update.prepared, update.changed_candidates)
        out = Matcher(update.prepared, self.scorer, min_retention=self.min_retention)
        for kind, ids, held in (
            ("candidate", out.p.candidate_ids, self.p.candidate_ids),
            ("vacancy", out.p.vacancy_ids, self.p.vacancy_ids),
        ):
            if kind in self._ranks and (ids is held or np.array_equal(ids, held)):  # the same ids in the same rows
                out._ranks[kind] = self._ranks[kind]
        lists = self.shortlists
        if lists is not None:
            ranks = (out._id_rank("candidate"), out._id_rank("vacancy"))
            out.shortlists = updated_shortlists(lists, update, lambda x: out.score_features(x)[0], ranks=ranks)
        return out

    def suggest_for_vacancy(self, vacancy_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` eligible candidates for a vacancy, best first, with explanations."""
        return self.suggestions_for_vacancy(vacancy_id, k).frame()

    def suggest_for_candidate(self, candidate_id: str, k: int = 10) -> pd.DataFrame:
        """The top ``k`` vacancies with an open place where a candidate is eligible."""
        return self.suggestions_for_candidate(candidate_id, k).frame()

    def suggestions_for_vacancy(self, vacancy_id: str, k: int = 10) -> Suggestions:
        """:meth:`suggest_for_vacancy` as :class:`Suggestions`."""
        v = int(self._rows([vacancy_id], "vacancy")[0])
        hit = self.shortlists.by_vacancy.take(v, k) if self.shortlists is not None else None
        if hit is not None:
            ci = hit[0].astype(np.int64)
            return self._listed(self._scored(np.array([v]), np.array([0, len(ci)]), ci, hit[1]), np.arange(len(ci)))
        # the others are out of travel distance for certain; and only candidates who consented and
        # are available can be eligible: screen just those
        ci = self.p.candidates_in_reach(v, matchable=True)
        ci = ci if self.p.v_additional[v] else ci[:0]
        return self._best(self._scored(np.array([v]), np.array([0, len(ci)]), ci), k, by_candidate=True)

    def suggestions_for_candidate(self, candidate_id: str, k: int = 10) -> Suggestions:
        """:meth:`suggest_for_candidate` as :class:`Suggestions`."""
        c = int(self._rows([candidate_id], "candidate")[0])
        hit = self.shortlists.by_candidate.take(c, k) if self.shortlists is not None else None
        if hit is not None:
            vi = hit[0].astype(np.int64)
            e = self._scored(vi, np.arange(len(vi) + 1), np.full(len(vi), c), hit[1])
            return self._listed(e, np.arange(len(vi)))
        # a place that is not additional is never eligible, nor is anything for a candidate who did
        # not consent or is not available: screen only what can pass
        vi = self.p.additional_vacancies if self.p.c_matchable[c] else np.zeros(0, dtype=np.int64)
        return self._best(self._scored(vi, np.arange(len(vi) + 1), np.full(len(vi), c)), k, by_candidate=False)

    def _scored(
        self, vacancies: np.ndarray, offsets: np.ndarray, candidates: np.ndarray, known: np.ndarray | None = None
    ) -> _Eligible:
        """The eligible pairs of ``candidates[offsets[j]:offsets[j + 1]]`` × ``vacancies[j]``, described
        and scored by the compiled kernels, in the order given. ``known``: the learned scores of these
        pairs, all eligible, from a shortlist (the same numbers: not worked out again)."""
        vacancies = np.asarray(vacancies, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.int64)
        candidates = np.asarray(candidates, dtype=np.int64)
        s = screen_pairs(self.p, vacancies, offsets, candidates)
        ok = np.flatnonzero(s.reasons == 0)
        per_vacancy = np.repeat(np.arange(len(vacancies)), np.diff(offsets))[ok]
        e_off = np.concatenate([[0], np.cumsum(np.bincount(per_vacancy, minlength=len(vacancies)))])
        pairs = Screen(
            candidates[ok],
            vacancies[per_vacancy],
            s.reasons[ok],
            s.km[ok],
            s.hard_missing[ok],
            s.soft_gaps[ok],
            s.licences_missing[ok],
        )
        arrays = ScreenArrays(pairs.reasons, pairs.km, pairs.hard_missing, pairs.soft_gaps, pairs.licences_missing)
        x_grouped, order = pair_features_grouped(self.p, vacancies, e_off, pairs.ci, arrays)
        x = np.empty_like(x_grouped)
        x[order] = x_grouped  # back in pair order
        if known is not None and len(known) == len(x) and not isinstance(self.scorer, RuleScorer):
            score, confidence = known, np.nan_to_num(x[:, INDEX["profile_completeness"]])
        else:
            score, confidence = self.score_features(x) if len(x) else (np.zeros(0), np.zeros(0))
        if self.min_retention is not None:
            keep = np.flatnonzero(score >= self.min_retention)
            return _Eligible(pairs.subset(keep), x[keep], score[keep], confidence[keep])
        return _Eligible(pairs, x, score, confidence)

    def _best(self, e: _Eligible, k: int, *, by_candidate: bool) -> Suggestions:
        """The top ``k`` of ``e``: best first, equal scores by id, so the same input gives the same list
        (the pairs tied with the k-th all compete, not whichever ``argpartition`` happened to keep)."""
        n = len(e.score)
        take = min(k, n)
        if take < n:
            kth = np.partition(-e.score, take - 1)[take - 1]
            top = np.flatnonzero(-e.score <= kth)
        else:
            top = np.arange(n)
        rank = self._id_rank("candidate") if by_candidate else self._id_rank("vacancy")
        ids = rank[e.pairs.ci[top]] if by_candidate else rank[e.pairs.vi[top]]
        return self._listed(e, top[np.lexsort((ids, -e.score[top]))][:take])

    def _id_rank(self, kind: str) -> np.ndarray:
        """Each row's position in id order (made once per matcher)."""
        if kind not in self._ranks:
            self._ranks[kind] = id_rank(self.p.candidate_ids if kind == "candidate" else self.p.vacancy_ids)
        return self._ranks[kind]

    def _listed(self, e: _Eligible, top: np.ndarray) -> Suggestions:
        """Pairs ``top`` of ``e``, in that order, explained."""
        chosen = e.pairs.subset(top)
        x = e.x[top]
        notes = explain(self.p, chosen, x, self.scorer.contributions(x)) if len(top) else []
        return Suggestions(
            self.p.candidate_ids[chosen.ci],
            self.p.vacancy_ids[chosen.vi],
            np.round(e.score[top], 4),
            np.round(e.confidence[top], 2),
            [n.text for n in notes],
            [n.code_text for n in notes],
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


def check_min_retention(scorer: Scorer | None, min_retention: float | None) -> float | None:
    """A minimum predicted retention (0..1), refused with the rule score: that is no probability."""
    if min_retention is None:
        return None
    if not 0.0 < min_retention < 1.0:
        raise KoppelaarError(f"the minimum predicted retention {min_retention} is not a probability between 0 and 1")
    if not isinstance(scorer, LearnedScorer):
        raise KoppelaarError(
            f"a minimum predicted retention ({min_retention:.2f}) needs a retention model from `koppelaar train` "
            "(--model or KOPPELAAR_MODEL): the rule score is no probability; give a model or unset "
            "KOPPELAAR_MIN_RETENTION"
        )
    return float(min_retention)


def training_pairs(p: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate rows, vacancy rows, retained_6m) of every placement whose 6-month outcome is known."""
    h = labelled_history(p)
    return h.candidate, h.vacancy, h.retained


def training_features(p: Prepared) -> np.ndarray:
    """The features of every labelled placement (rows as :func:`training_pairs`), each side's read as of
    the placement's start: what was known when it was made."""
    ci, vi, _ = training_pairs(p)
    return with_training_sides(p, pair_features(p, screen(p, ci, vi)))


def train(p: Prepared, *, seed: int = 0, rule_weight: float = RULE_WEIGHT) -> LearnedScorer:
    """Fit the learned scorer on the dataset's placement history (see :meth:`LearnedScorer.fit`), the
    rule score weighing ``rule_weight`` beside the learned family."""
    h = labelled_history(p)
    scorer = LearnedScorer(seed=seed, rule_weight=rule_weight)
    return scorer.fit(training_features(p), h.retained, start=h.start, groups=h.candidate)
