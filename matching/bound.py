"""An upper bound on a pair's score from what is cheap to know about it ("bound, then score").

A vacancy keeps only its best candidates (:mod:`matching.blocks`), yet at national scale billions of
pairs are eligible, and working out every pair's features and score only to drop nearly all of them
would dominate the batch. The scorers are additive per feature before a monotone last step:

* the learned scorer's decision is ``intercept + Σ_f g_f(x_f)`` (boosted stumps: a step function per
  feature; the logistic pipeline: imputer, scaler and weights, a linear function per feature and one
  constant for missing), then the calibration curve (non-decreasing, linear between knots) and the cap
  ``base + completeness × (1 − base)``, itself a feature of the candidate alone;
* the rule score is ``Σ_f weight_f × part_f(x_f) − penalty(trainable gaps)``, clipped to 0..1.

So each feature's term can be bounded on its own: exactly where the feature is cheap to know for the
pair (distance, hours, margins, occupation look-ups, everything of the candidate or the vacancy
alone), and by the term's largest value over the feature's possible range otherwise (text and title
similarity over their range, skill coverage over ``[0, share of the vacancy's skills the candidate
has any such credit for]``, a bit test per skill). The sum, with a margin for rounding, goes through the same
monotone last step: an upper bound on the score, ≥ the exact score for every pair (tests hold it).

:class:`Bound` is made once per scorer (its ``score_bound``, reached through
:meth:`matching.matcher.Matcher.score_bound`); a scorer that is not additive gives ``None`` and every
eligible pair is scored.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, NamedTuple

import numba
import numpy as np

from matching import records as rc
from matching import rulebook as rb
from matching.features import FEATURES, INDEX
from matching.history import CANDIDATE_FEATURES, VACANCY_FEATURES, SideTables, tables_of
from matching.kernels import KernelData, ScreenArrays, entry, kernel_data
from matching.prepare import GROUPS, TYPES, Prepared

#: The margin added to a bound's decision value, relative to the magnitudes summed: the exact
#: decision adds the same terms (or smaller ones) in another order and rounding, at most a few
#: ulps (1e-16) per term apart; this is a million times that.
RELATIVE_MARGIN = 1e-10


class Pieces(NamedTuple):
    """Each feature's term as a piecewise linear function: in bin ``b`` (``thresholds[b - 1] < x <=
    thresholds[b]``, as ``searchsorted(side="left")``) it is ``slope · x + const``; ``missing`` for NaN.
    ``const_abs`` and ``missing_abs`` bound the magnitudes of what the exact computation adds up
    (for the rounding margin). Offsets index the flat arrays per feature, in :data:`FEATURES` order."""

    t_off: np.ndarray
    thresholds: np.ndarray
    b_off: np.ndarray
    slope: np.ndarray
    const: np.ndarray
    const_abs: np.ndarray
    missing: np.ndarray
    missing_abs: np.ndarray


def pieces(terms: dict[int, tuple[list[float], list[tuple[float, float, float]], float, float]]) -> Pieces:
    """Pack ``{feature: (thresholds, [(slope, const, const_abs) per bin], missing, missing_abs)}``;
    a feature left out adds nothing."""
    t_off, b_off = [0], [0]
    thresholds: list[float] = []
    bins: list[tuple[float, float, float]] = []
    missing, missing_abs = [], []
    for j in range(len(FEATURES)):
        t, b, m, m_abs = terms.get(j, ([], [(0.0, 0.0, 0.0)], 0.0, 0.0))
        if len(b) != len(t) + 1 or list(t) != sorted(t):
            raise ValueError(f"feature {FEATURES[j]}: {len(t)} sorted thresholds need {len(t) + 1} bins")
        thresholds.extend(t)
        bins.extend(b)
        t_off.append(len(thresholds))
        b_off.append(len(bins))
        missing.append(m)
        missing_abs.append(m_abs)
    arr = np.asarray
    return Pieces(
        arr(t_off, dtype=np.int64),
        arr(thresholds, dtype=np.float64),
        arr(b_off, dtype=np.int64),
        arr([b[0] for b in bins], dtype=np.float64),
        arr([b[1] for b in bins], dtype=np.float64),
        arr([b[2] for b in bins], dtype=np.float64),
        arr(missing, dtype=np.float64),
        arr(missing_abs, dtype=np.float64),
    )


class _Sides(NamedTuple):
    """What a bound reads per candidate and per vacancy of one prepared dataset."""

    rec: np.ndarray  # per candidate, the bound's own values (_R_* columns), beside the candidate records
    masks: np.ndarray  # per candidate, the skills with some credit, those they list themselves, those
    # their occupations imply (essential, optional) and related ones, as bits: words each
    words: int  # words per mask
    slots: int  # occupations, years and sectors packed per candidate in rec (0: too many, read the CSR)
    vac: np.ndarray  # Σ of the vacancy-only terms, and their magnitudes
    vac_abs: np.ndarray
    cov_top: np.ndarray  # the largest coverage terms given how many skills are listed (_coverage_tables)
    cov_mag: np.ndarray


class Bound:
    """An upper bound on a scorer's score of eligible pairs; see the module docstring.

    ``last`` is the monotone last step: ``("calibrated", calibrator, base_rate)`` for the learned
    scorer, ``("clip", None, 0.0)`` for the rule score."""

    def __init__(self, intercept: float, terms: Pieces, last: tuple[str, Any, float]) -> None:
        self.intercept = float(intercept)
        self.terms = terms
        self.kind, self.calibrator, self.base_rate = last
        self.active = np.array(
            [
                terms.t_off[j + 1] > terms.t_off[j]
                or terms.const[terms.b_off[j]] != 0
                or terms.slope[terms.b_off[j]] != 0
                or terms.missing[j] != 0
                for j in range(len(FEATURES))
            ]
        )
        if self.kind == "calibrated":
            self._segments()
        self._sides: weakref.WeakKeyDictionary[Prepared, _Sides] = weakref.WeakKeyDictionary()

    # -- the monotone last step -----------------------------------------------------------------
    def _segments(self) -> None:
        """The calibrator interpolates linearly between its thresholds. Rounded, it is non-decreasing
        within a segment but may end one a last-digit above where the next starts; so the bound takes
        the largest value any earlier segment reaches (its right end, worked out the very same way)."""
        cal = self.calibrator
        x = np.asarray(cal.X_thresholds_, dtype=np.float64)
        y = np.asarray(cal.y_thresholds_, dtype=np.float64)
        if not getattr(cal, "increasing_", True) or (np.diff(y) < 0).any() or (np.diff(x) <= 0).any():
            raise ValueError("the calibrator is not non-decreasing")
        self._cal_x, self._cal_y = x, y
        if len(x) < 2:
            self._before = np.full(1, -np.inf)
            return
        right_ends = np.asarray(cal.predict(x[1:]), dtype=np.float64)  # segment j at x[j + 1]
        self._before = np.concatenate([[-np.inf], np.maximum.accumulate(right_ends)[:-1]])

    def caps(self, completeness: np.ndarray) -> np.ndarray:
        """The learned score's cap, worked out as :meth:`matching.scorers.LearnedScorer.score` does."""
        if self.kind != "calibrated":
            return np.full(len(completeness), np.inf)
        return np.asarray(
            self.base_rate + np.nan_to_num(completeness, nan=0.0) * (1.0 - self.base_rate), dtype=np.float64
        )

    def last_step(self, decision: np.ndarray, completeness: np.ndarray) -> np.ndarray:
        """Score bounds from decision bounds (``completeness``: the candidates' own, for the cap)."""
        out = np.ascontiguousarray(decision, dtype=np.float64).copy()
        self._finish(out, self.caps(np.asarray(completeness, dtype=np.float64)))
        return out

    def _finish(self, out: np.ndarray, caps: np.ndarray) -> None:
        if self.kind == "clip":
            np.clip(out, 0.0, 1.0, out=out)
        else:
            _calibrate(out, caps, self._cal_x, self._cal_y, self._before)

    # -- bounds -------------------------------------------------------------------------------
    def row_bounds(self, x: np.ndarray) -> np.ndarray:
        """Bounds of whole feature rows (every feature known): the score up to the rounding margin and
        the calibrator's last digits. For checking the terms against the scorer itself."""
        x = np.asarray(x, dtype=np.float64)
        total = np.full(len(x), self.intercept)
        size = np.full(len(x), abs(self.intercept))
        val, mag = np.empty(len(x)), np.empty(len(x))
        for j in np.flatnonzero(self.active):
            _terms_of(self.terms, int(j), np.ascontiguousarray(x[:, j]), val, mag)
            total += val
            size += mag
        decision = total + RELATIVE_MARGIN * (1.0 + size)
        return self.last_step(np.where(decision < np.inf, decision, np.inf), x[:, INDEX["profile_completeness"]])

    def pair_bounds(
        self, p: Prepared, vacancies: np.ndarray, offsets: np.ndarray, candidates: np.ndarray, s: ScreenArrays
    ) -> np.ndarray:
        """Upper bounds on the scores of eligible pairs grouped as :func:`matching.kernels.screen_pairs`
        takes them (``s``: its arrays for exactly these pairs)."""
        pair_v = np.repeat(np.asarray(vacancies, dtype=np.int64), np.diff(offsets))
        return self.bounds_of(p, pair_v, candidates, s)

    def bounds_of(self, p: Prepared, vacancies: np.ndarray, candidates: np.ndarray, s: ScreenArrays) -> np.ndarray:
        """Upper bounds on the scores of the eligible pairs (``vacancies[q]``, ``candidates[q]``) in any
        order (fastest candidate by candidate: a candidate's record is then read once)."""
        k = kernel_data(p)
        sides = self.sides(p)
        out = np.empty(len(candidates))
        if len(candidates):
            cand = np.asarray(candidates, dtype=np.int64)
            _pair_decisions(
                np.asarray(vacancies, dtype=np.int64),
                cand,
                (s.km, s.hard_missing, s.soft_gaps, s.licences_missing),
                k.candidates,
                k.vacancies,
                (sides.rec, sides.masks, sides.vac, sides.vac_abs),
                self.terms,
                (self.active, sides.cov_top, sides.cov_mag),
                (self.intercept, RELATIVE_MARGIN, sides.words, sides.slots),
                out,
            )
            self._finish(out, sides.rec[cand, _R_CAP])
        return out

    def sides(self, p: Prepared) -> _Sides:
        """The candidate-only and vacancy-only parts of the bound for ``p`` (made once per dataset)."""
        hit = self._sides.get(p)
        if hit is None:
            hit = self._sides[p] = self._make_sides(kernel_data(p), tables_of(p))
        return hit

    def _make_sides(self, k: KernelData, tables: SideTables) -> _Sides:
        cs, vac = k.candidates.packed, k.vacancies
        n_c = len(cs)
        cand, cand_abs = np.zeros(n_c), np.zeros(n_c)

        def add(j: int, x: np.ndarray, total: np.ndarray, total_abs: np.ndarray) -> None:
            val, mag = np.empty(len(x)), np.empty(len(x))
            _terms_of(self.terms, j, np.ascontiguousarray(x, dtype=np.float64), val, mag)
            total += val
            total_abs += mag

        add(INDEX["profile_completeness"], cs[:, rc.C_COMPLETE], cand, cand_abs)
        group = cs[:, rc.C_GROUP]
        for g, name in enumerate(GROUPS):
            add(INDEX[f"group_{name}"], (group == g).astype(np.float64), cand, cand_abs)
        for col, name in enumerate(CANDIDATE_FEATURES):  # one side's alone: exact
            add(INDEX[name], tables.candidates[:, col], cand, cand_abs)
        # text and title: known only for the pair; missing (NaN) is known from the candidate alone
        title_sim = np.asarray(vac.title_sim, dtype=np.float64)
        text_finite = bool(np.isfinite(k.candidates.text).all() and np.isfinite(vac.text).all())
        present = {
            "text_similarity": (cs[:, rc.C_HAS_TEXT] != 0, 0.0, 1.0, text_finite),  # clipped to 0..1
            "title_similarity": (
                np.diff(k.candidates.title_p) > 0,
                float(title_sim.min()) if title_sim.size else 0.0,
                float(title_sim.max()) if title_sim.size else 0.0,
                bool(np.isfinite(title_sim).all()),
            ),
        }
        for name, (has, lo, hi, finite) in present.items():
            j = INDEX[name]
            top, top_abs = _largest(self.terms, j, lo, hi)
            if not finite:  # a NaN value would score as missing
                top, top_abs = max(top, self.terms.missing[j]), max(top_abs, self.terms.missing_abs[j])
            cand += np.where(has, top, self.terms.missing[j])
            cand_abs += np.where(has, top_abs, self.terms.missing_abs[j])
        n_v = len(vac.licences)
        vac_sum, vac_abs = np.zeros(n_v), np.zeros(n_v)
        add(INDEX["licences_required"], np.bitwise_count(vac.licences).astype(np.float64), vac_sum, vac_abs)
        for t, name in enumerate(TYPES):
            add(INDEX[f"type_{name}"], (vac.type == t).astype(np.float64), vac_sum, vac_abs)
        for col, name in enumerate(VACANCY_FEATURES):
            add(INDEX[name], tables.vacancies[:, col], vac_sum, vac_abs)
        c = k.candidates
        n_skills = k.n_skills
        credits = np.concatenate([c.soft_d, c.skill_d, c.ess_d, c.iopt_d, c.rel_d])
        in_range = bool(len(credits) == 0 or (np.isfinite(credits).all() and credits.min() >= 0 and credits.max() <= 1))
        words = max(1, math.ceil(n_skills / 64))
        masks = np.hstack(
            [
                _masks(c.soft_p, c.soft_i, n_c, words),
                _masks(c.skill_p, c.skill_i, n_c, words),
                _masks(c.ess_p, c.ess_i, n_c, words),
                _masks(c.iopt_p, c.iopt_i, n_c, words),
                _masks(c.rel_p, c.rel_i, n_c, words),
            ]
        )
        csrs = ((c.occ_p, c.occ_i, c.occ_d), (c.years_p, c.years_i, c.years_d), (c.sec_p, c.sec_i, c.sec_d))
        widest = max(int(np.diff(ptr).max(initial=0)) for ptr, _, _ in csrs)
        slots = max(widest, 1) if widest <= _MAX_SLOTS else 0
        rec = np.zeros((n_c, _R_FIXED + 6 * slots))
        rec[:, _R_SIDE] = cand
        rec[:, _R_SIDE_ABS] = cand_abs
        rec[:, _R_CAP] = self.caps(cs[:, rc.C_COMPLETE])
        for m, (ptr, idx, data) in enumerate(csrs if slots else ()):
            ids = np.full((n_c, slots), -1.0)
            vals = np.zeros((n_c, slots))
            rows = np.repeat(np.arange(n_c), np.diff(ptr))
            pos = np.arange(len(idx)) - ptr[rows]
            ids[rows, pos], vals[rows, pos] = idx, data
            rec[:, _R_FIXED + 2 * m * slots : _R_FIXED + (2 * m + 1) * slots] = ids
            rec[:, _R_FIXED + (2 * m + 1) * slots : _R_FIXED + (2 * m + 2) * slots] = vals
        return _Sides(rec, masks, words, slots, vac_sum, vac_abs, *_coverage_tables(self.terms, in_range))


# -- the scorers' terms ------------------------------------------------------------------------------
Terms = dict[int, tuple[list[float], list[tuple[float, float, float]], float, float]]


def additive_terms(model: Any) -> tuple[float, Pieces]:
    """Boosted stumps (:class:`matching.additive.AdditiveBoosting`): their step functions as they are."""
    intercept, terms = stump_terms(model)
    return intercept, pieces(terms)


def stump_terms(model: Any) -> tuple[float, Terms]:
    """Boosted stumps' intercept and step functions, as :data:`Terms`."""
    terms: Terms = {}
    for sh in model.shapes_:
        values = [float(v) for v in sh.values]
        terms[int(sh.feature)] = (
            [float(t) for t in sh.thresholds],
            [(0.0, v, abs(v)) for v in values],
            float(sh.missing),
            abs(float(sh.missing)),
        )
    return float(model.intercept_), terms


def weighted_sum(parts: list[tuple[float, Terms]]) -> Terms:
    """Σ weight × terms, feature by feature: each feature's thresholds merged, each merged bin the
    weighted sum of the bins it lies in (a bin is ``thresholds[b - 1] < x <= thresholds[b]``)."""
    out: Terms = {}
    for j in sorted({j for _, terms in parts for j in terms}):
        merged = sorted({t for _, terms in parts if j in terms for t in terms[j][0]})
        bins = [(0.0, 0.0, 0.0)] * (len(merged) + 1)
        missing = missing_abs = 0.0
        for weight, terms in parts:
            if j not in terms:
                continue
            thresholds, own, m, m_abs = terms[j]
            for k in range(len(bins)):
                b = int(np.searchsorted(thresholds, merged[k], side="left")) if k < len(merged) else len(thresholds)
                slope, const, const_abs = own[b]
                a, c, c_abs = bins[k]
                bins[k] = (a + weight * slope, c + weight * const, c_abs + abs(weight) * const_abs)
            missing += weight * m
            missing_abs += abs(weight) * m_abs
        out[j] = (merged, bins, missing, missing_abs)
    return out


def logistic_terms(imputer: Any, scaler: Any, model: Any) -> tuple[float, Pieces] | None:
    """Imputer (median, with missing indicators) → scaler → logistic regression: per feature a line
    ``coef · (x − mean) / scale`` plus its indicator's weight at 0, and for NaN the median's value
    plus the indicator's weight at 1. ``None`` when the pipeline is laid out otherwise."""
    n = len(FEATURES)
    stats = np.asarray(getattr(imputer, "statistics_", []), dtype=np.float64)
    indicator = getattr(imputer, "indicator_", None)
    flagged = [int(j) for j in indicator.features_] if indicator is not None else []
    coef = np.asarray(model.coef_, dtype=np.float64)
    width = n + len(flagged)
    if len(stats) != n or coef.shape != (1, width) or getattr(scaler, "n_features_in_", width) != width:
        return None
    mean = np.zeros(width) if scaler.mean_ is None else np.asarray(scaler.mean_, dtype=np.float64)
    scale = np.ones(width) if scaler.scale_ is None else np.asarray(scaler.scale_, dtype=np.float64)
    w = coef[0]
    column = {j: n + pos for pos, j in enumerate(flagged)}
    terms: Terms = {}
    for j in range(n):
        a = w[j] / scale[j]
        const = -mean[j] * w[j] / scale[j]
        missing = (stats[j] - mean[j]) / scale[j] * w[j]
        off = on = 0.0
        if j in column:
            col = column[j]
            off, on = (0.0 - mean[col]) / scale[col] * w[col], (1.0 - mean[col]) / scale[col] * w[col]
        terms[j] = (
            [],
            [(float(a), float(const + off), float(abs(const) + abs(off)))],
            float(missing + on),
            float(abs(missing) + abs(on)),
        )
    return float(model.intercept_[0]), pieces(terms)


def clipped_line(alpha: float, beta: float, weight: float) -> tuple[list[float], list[tuple[float, float, float]]]:
    """``weight · clip(alpha · x + beta, 0, 1)`` as pieces (``alpha`` not 0)."""
    at0, at1 = -beta / alpha, (1.0 - beta) / alpha
    line = (weight * alpha, weight * beta, abs(weight * beta))
    w = abs(weight)
    if alpha > 0:
        return [at0, at1], [(0.0, 0.0, 0.0), line, (0.0, weight, w)]
    return [at1, at0], [(0.0, weight, w), line, (0.0, 0.0, 0.0)]


def not_negative(weight: float) -> tuple[list[float], list[tuple[float, float, float]]]:
    """``weight`` where x >= 0, else 0, as pieces (x <= the largest negative float: bin 0)."""
    return [-5e-324], [(0.0, 0.0, 0.0), (0.0, weight, abs(weight))]


def _masks(indptr: np.ndarray, indices: np.ndarray, n_rows: int, n_words: int) -> np.ndarray:
    """Each CSR row's columns as bits of ``n_words`` words."""
    words = np.zeros((n_rows, n_words), dtype=np.uint64)
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    np.bitwise_or.at(words, (rows, indices // 64), np.left_shift(np.uint64(1), (indices % 64).astype(np.uint64)))
    return words


def _largest(terms: Pieces, j: int, lo: float, hi: float) -> tuple[float, float]:
    out = np.zeros(2)
    _largest_into(terms, j, lo, hi, out)
    return float(out[0]), float(out[1])


# -- the compiled parts -----------------------------------------------------------------------------
@numba.njit(cache=True, nogil=True, error_model="numpy")
def _terms_of(terms, j, xs, out, out_abs):  # type: ignore[no-untyped-def]
    """g_j of each of ``xs``, and a bound on the magnitudes the exact computation adds for it."""
    t_off, thresholds, b_off, slope, const, const_abs, missing, missing_abs = terms
    for i in range(len(xs)):
        x = xs[i]
        if np.isnan(x):
            out[i], out_abs[i] = missing[j], missing_abs[j]
            continue
        b = b_off[j] + np.searchsorted(thresholds[t_off[j] : t_off[j + 1]], x)
        a = slope[b]
        if a == 0.0:
            out[i], out_abs[i] = const[b], const_abs[b]
        else:
            out[i], out_abs[i] = a * x + const[b], abs(a) * abs(x) + const_abs[b]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _largest_into(terms, j, lo_x, hi_x, out):  # type: ignore[no-untyped-def]
    """``out``: the largest g_j over lo_x <= x <= hi_x, and the largest magnitude there (may be inf)."""
    t_off, thresholds, b_off, slope, const, const_abs, _missing, _missing_abs = terms
    t0, t1 = t_off[j], t_off[j + 1]
    first = t0
    while first < t1 and thresholds[first] < lo_x:
        first += 1
    last = first
    while last < t1 and thresholds[last] < hi_x:
        last += 1
    best = -np.inf
    mag = 0.0
    for t in range(first, last + 1):
        b = b_off[j] + t - t0
        a = slope[b]
        if a == 0.0:
            value, size = const[b], const_abs[b]
        else:
            left = lo_x if t == first else thresholds[t - 1]  # the bin's open end: a supremum
            right = hi_x if t == last else thresholds[t]
            value = max(a * left + const[b], a * right + const[b])
            size = abs(a) * max(abs(left), abs(right)) + const_abs[b]
        best = max(best, value)
        mag = max(mag, size)
    out[0], out[1] = best, mag


def _coverage_tables(terms: Pieces, in_range: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per coverage feature (:data:`_COVERAGE`), skill count n <= :data:`_MAX_SKILLS` and listed l <= n:
    the largest term over coverage 0..l / n (in_range: every credit is in 0..1), at [f, 0, 0] the
    largest over any value; and the magnitudes."""
    top = np.zeros((len(_COVERAGE), _MAX_SKILLS + 1, _MAX_SKILLS + 1))
    mag = np.zeros_like(top)
    out = np.zeros(2)
    for f, j in enumerate(_COVERAGE):
        _largest_into(terms, j, -np.inf, np.inf, out)
        top[f], mag[f] = out[0], out[1]  # also where n is past the table
        if in_range:
            for n in range(1, _MAX_SKILLS + 1):
                for listed in range(n + 1):
                    _largest_into(terms, j, 0.0, listed / n, out)
                    top[f, n, listed], mag[f, n, listed] = out[0], out[1]
    return top, mag


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _calibrate(out, caps, cx, cy, before):  # type: ignore[no-untyped-def]
    """In place: the calibrated bound of each decision bound, capped. The interpolation is worked out
    as scipy's ``interp1d`` does (clipped to the thresholds, the segment by ``searchsorted``, ``slope ·
    (x − x_lo) + y_lo``), a few last digits up where the segment slopes, and never below what an
    earlier segment reaches (``before``), so rounding can never put the exact score above it."""
    n = len(cx)
    for i in range(len(out)):
        d = out[i]
        if n < 2:
            p = cy[0]
        else:
            x = min(max(d, cx[0]), cx[n - 1])
            j = min(max(np.searchsorted(cx, x), 1), n - 1)
            slope = (cy[j] - cy[j - 1]) / (cx[j] - cx[j - 1])
            p = slope * (x - cx[j - 1]) + cy[j - 1]
            if slope != 0.0:
                p += abs(p) * 1e-14 + 1e-300
            p = max(p, before[j - 1])
        out[i] = min(p, caps[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _pair_decisions(vacancies, candidates, screened, cand, vac, sides, terms, tables, settings, out):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """Per pair, an upper bound on the decision value: the candidate's and the vacancy's own parts,
    the pair's cheap features by the rule book's functions, as :func:`matching.kernels._features`, skill
    coverage at its largest given which skills the candidate lists, plus the rounding margin.

    Written out in one loop, without helper calls, and reading one record per candidate: passing
    the tables to a helper per term, or reading a dozen arrays per pair, cost more than the rest."""
    km, hard_missing, soft_gaps, lic_missing = screened
    cs = cand.packed
    rec, masks, side_v, side_v_abs = sides
    t_off, thresholds, b_off, slope, const, const_abs, missing, missing_abs = terms
    active, cov_top, cov_mag = tables
    intercept, margin, words, slots = settings
    req_p, req_i, opt_p, opt_i, n_req, n_opt = vac.req_p, vac.req_i, vac.opt_p, vac.opt_i, vac.n_req, vac.n_opt
    occ_p, occ_i, occ_d = cand.occ_p, cand.occ_i, cand.occ_d
    years_p, years_i, years_d = cand.years_p, cand.years_i, cand.years_d
    sec_p, sec_i, sec_d = cand.sec_p, cand.sec_i, cand.sec_d
    v_lang, v_edu, v_phys, v_hours, v_start = vac.lang, vac.edu, vac.phys, vac.hours, vac.start
    v_occ, v_sector, v_loc, v_isco = vac.occ, vac.sector, vac.loc, vac.isco
    isco_p, isco_i, isco_d = cand.isco_p, cand.isco_i, cand.isco_d
    occ_on = active[_F_SAME_OCC] or active[_F_YEARS]
    sector_on = active[_F_SECTOR]
    cov_on = False
    for f in range(len(_COVERAGE)):
        cov_on = cov_on or active[_COVERAGE[f]]
    n_pair = len(_PAIR)
    xs = np.empty(n_pair)
    listed = np.zeros(len(_COVERAGE), dtype=np.int64)
    one = np.uint64(1)
    for q in range(len(candidates)):
        v = vacancies[q]
        occ, sector, hours, start = v_occ[v], v_sector[v], v_hours[v], v_start[v]
        nr, no = np.int64(n_req[v]), np.int64(n_opt[v])
        c = candidates[q]
        total = intercept + rec[c, _R_SIDE] + side_v[v]
        size = abs(intercept) + rec[c, _R_SIDE_ABS] + side_v_abs[v]
        if cov_on:  # how many of the required and optional skills the candidate has any credit for
            listed[:] = 0
            for jj in range(req_p[v], req_p[v + 1]):
                s = req_i[jj]
                bit = np.uint64(s & 63)
                listed[0] += np.int64((masks[c, s >> 6] >> bit) & one)
                listed[1] += np.int64((masks[c, words + (s >> 6)] >> bit) & one)
                listed[4] += np.int64((masks[c, 2 * words + (s >> 6)] >> bit) & one)
                listed[5] += np.int64((masks[c, 3 * words + (s >> 6)] >> bit) & one)
                listed[6] += np.int64((masks[c, 4 * words + (s >> 6)] >> bit) & one)
            for jj in range(opt_p[v], opt_p[v + 1]):
                s = opt_i[jj]
                bit = np.uint64(s & 63)
                listed[2] += np.int64((masks[c, s >> 6] >> bit) & one)
                listed[3] += np.int64((masks[c, words + (s >> 6)] >> bit) & one)
            has_skills, has_occ = cs[c, rc.C_HAS_SKILLS] != 0, cs[c, rc.C_HAS_OCC] != 0
            for f in range(len(_COVERAGE)):
                j = _COVERAGE[f]
                n, whole = (no, n_opt[v]) if 2 <= f <= 3 else (nr, n_req[v])
                if not active[j]:
                    continue
                # coverage is known when the candidate has what it is worked out from (rb.coverage)
                has = has_skills if f < 4 else (has_occ if f < 6 else has_skills or has_occ)
                if not has or not whole > 0:
                    total += missing[j]
                    size += missing_abs[j]
                elif n == whole and n <= _MAX_SKILLS and listed[f] <= n:
                    total += cov_top[f, n, listed[f]]
                    size += cov_mag[f, n, listed[f]]
                else:
                    total += cov_top[f, 0, 0]
                    size += cov_mag[f, 0, 0]
        same = years = in_sector = np.nan
        has_occ = cs[c, rc.C_HAS_OCC] != 0
        if occ_on and occ >= 0 and has_occ:
            if slots:
                same = years = 0.0
                for t in range(slots):
                    if rec[c, _R_FIXED + t] == occ:
                        same = rec[c, _R_FIXED + slots + t]
                    if rec[c, _R_FIXED + 2 * slots + t] == occ:
                        years = rec[c, _R_FIXED + 3 * slots + t]
                years = rb.experience_years(years)
            else:
                same = entry(occ_p, occ_i, occ_d, c, occ)
                years = rb.experience_years(entry(years_p, years_i, years_d, c, occ))
        if sector_on and sector >= 0 and has_occ:
            if slots:
                got = 0.0
                for t in range(slots):
                    if rec[c, _R_FIXED + 4 * slots + t] == sector:
                        got = rec[c, _R_FIXED + 5 * slots + t]
            else:
                got = entry(sec_p, sec_i, sec_d, c, sector)
            in_sector = 1.0 if got > 0 else 0.0
        same_group = np.nan
        group = v_isco[v]
        if active[_F_ISCO] and group >= 0 and has_occ:
            same_group = 1.0 if entry(isco_p, isco_i, isco_d, c, group) > 0 else 0.0
        d = km[q]
        xs[14] = same_group
        xs[0] = same
        xs[1] = years
        xs[2] = in_sector
        xs[3] = d
        xs[4] = rb.distance_share(d, cs[c, rc.C_MAX_KM])
        xs[5] = rb.hours_gap(hours, cs[c, rc.C_HMIN], cs[c, rc.C_HMAX])
        xs[6] = rb.margin(cs[c, rc.C_LANG], v_lang[v])
        xs[7] = rb.margin(cs[c, rc.C_EDU], v_edu[v])
        xs[8] = rb.margin(cs[c, rc.C_PHYS], v_phys[v])
        xs[9] = hard_missing[q]
        xs[10] = soft_gaps[q]
        xs[11] = lic_missing[q]
        xs[12] = rb.availability_days(cs[c, rc.C_AVAIL], start)
        xs[13] = rb.location_quality(cs[c, rc.C_LOC], v_loc[v])
        for i in range(n_pair):
            j = _PAIR[i]
            if not active[j]:
                continue
            x = xs[i]
            if np.isnan(x):
                total += missing[j]
                size += missing_abs[j]
                continue
            b = b_off[j]
            for t in range(t_off[j], t_off[j + 1]):  # searchsorted by counting: no branch to mispredict
                b += np.int64(thresholds[t] < x)
            a = slope[b]
            if a == 0.0:
                total += const[b]
                size += const_abs[b]
            else:
                total += a * x + const[b]
                size += abs(a) * abs(x) + const_abs[b]
        bound = total + margin * (1.0 + size)
        out[q] = bound if bound < np.inf else np.inf  # NaN (inf - inf): no bound


_F_COV = INDEX["skill_coverage"]
_F_OPT = INDEX["optional_coverage"]
_F_COV_EXACT = INDEX["skill_coverage_exact"]
_F_OPT_EXACT = INDEX["optional_coverage_exact"]
_F_SAME_OCC = INDEX["same_occupation"]
_F_YEARS = INDEX["occupation_years"]
_F_SECTOR = INDEX["same_sector"]
_F_KM = INDEX["distance_km"]
_F_KM_SHARE = INDEX["distance_share"]
_F_HOURS = INDEX["hours_gap"]
_F_LANG = INDEX["language_margin"]
_F_EDU = INDEX["education_margin"]
_F_PHYS = INDEX["physical_margin"]
_F_HARD = INDEX["hard_certificates_missing"]
_F_GAPS = INDEX["trainable_gaps"]
_F_LIC_MISSING = INDEX["licences_missing"]
_F_AVAIL = INDEX["availability_days"]
_F_LOCATION = INDEX["location_quality"]
_F_INFERRED = INDEX["skill_coverage_inferred_essential"]
_F_INFERRED_OPT = INDEX["skill_coverage_inferred_optional"]
_F_RELATED = INDEX["skill_coverage_related"]
_F_ISCO = INDEX["same_isco_group"]
# as _pair_decisions counts them: the candidate's masks 0, 1, 0, 1, 2, 3, 4 (_Sides.masks)
_COVERAGE = np.array(
    [_F_COV, _F_COV_EXACT, _F_OPT, _F_OPT_EXACT, _F_INFERRED, _F_INFERRED_OPT, _F_RELATED], dtype=np.int64
)
_MAX_SKILLS = 16  # coverage tables up to this many skills a vacancy asks for (past it: the largest term)
# the features _pair_decisions works out exactly, in the order it fills them in
_PAIR = np.array(
    [
        _F_SAME_OCC,
        _F_YEARS,
        _F_SECTOR,
        _F_KM,
        _F_KM_SHARE,
        _F_HOURS,
        _F_LANG,
        _F_EDU,
        _F_PHYS,
        _F_HARD,
        _F_GAPS,
        _F_LIC_MISSING,
        _F_AVAIL,
        _F_LOCATION,
        _F_ISCO,
    ],
    dtype=np.int64,
)
# the columns of a bound's candidate record (_Sides.rec), then 6 × slots: occupation ids and values,
# the same for the years, and for the sectors
_R_SIDE, _R_SIDE_ABS, _R_CAP = range(3)
_R_FIXED = 3
_MAX_SLOTS = 4  # past this many occupations (years, sectors) in one profile, the kernel reads the CSR
