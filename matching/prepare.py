"""One-time preparation of a dataset for matching: every candidate and vacancy as arrays.

Normalisation, postcode look-ups, TF-IDF and the skill-similarity matrix are computed once here; a
suggestion or a batch then works on these arrays with vectorised operations only. Unknown values stay
NaN (or an explicit "unknown" flag) so features and explanations can say what is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy import sparse
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from matching import rulebook as rb
from matching.geo import LOC_REGION, LOC_UNKNOWN, PostcodeTable, resolve_points
from matching.normalise import Match, Normaliser
from matching.records import Records, build_records
from matching.taxonomy import Taxonomy
from matching.text import clean_label, clean_title
from models.dataset import Dataset
from models.enums import DrivingLicence, PlacementType, TargetGroup
from models.rules import matchable
from models.schema import default
from models.valuation import counted_target_groups

GROUPS: tuple[str, ...] = tuple(g.value for g in TargetGroup)
TYPES: tuple[str, ...] = tuple(t.value for t in PlacementType)
LICENCES: tuple[str, ...] = tuple(lic.value for lic in DrivingLicence)
#: A licence implies the ones it builds on (CE → C → B, BE → B, D → B).
LICENCE_IMPLIES: dict[str, tuple[str, ...]] = {"BE": ("B",), "C": ("B",), "CE": ("C", "B", "BE"), "D": ("B",)}

#: What an empty cell means, as the data format says (models/schema.py)
DEFAULT_HOURS = (float(default("candidates", "hours_min")), float(default("candidates", "hours_max")))
DEFAULT_MAX_TRAVEL_KM = float(default("candidates", "max_travel_km"))
DEFAULT_PLACEMENT_TYPE = str(default("vacancies", "placement_type"))
RELATED_SKILL_CREDIT = 0.3  # a related skill (same occupation profile) counts for this much
REACH_CLASSES_KM = np.array([5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 75.0, 100.0, np.inf])
_LON_MARGIN = 1e-9  # degrees: a union of boxes is a superset whatever the rounding of lon ± dlon
TEXT_DIMENSIONS = 64  # latent dimensions of the profile and vacancy texts
TEXT_SAMPLE = 20_000  # texts the latent directions are fitted on
FREE_TERM_CREDIT = 0.85  # a free-text skill fuzzily equal to another


@dataclass(frozen=True)
class MatchConfig:
    """Tunable rules of matching, with the defaults the product ships."""

    today: date
    availability_grace_days: int = 31  # a candidate free within a month of the start still fits
    hours_below_min: float = 0.0  # hours a week a place may lie below the candidate's minimum; never above the max
    normalise_threshold: float = 0.86


def _free(text: str) -> str:
    return "txt:" + clean_label(text)


def _canonical(m: sparse.csc_matrix) -> sparse.csc_matrix:
    """Duplicates summed and row indices sorted per column: what a column look-up relies on."""
    m.sum_duplicates()
    return m


def _incidence(rows: list[list[int]], width: int, values: list[list[float]] | None = None) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
    data = (
        np.fromiter((x for r in values for x in r), dtype=np.float64, count=int(indptr[-1]))
        if values is not None
        else np.ones(int(indptr[-1]))
    )
    m = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))
    m.sum_duplicates()
    return m


def _soft_credit(skills: sparse.csr_matrix, similarity: sparse.csr_matrix) -> sparse.csr_matrix:
    """Per candidate and skill, the credit the candidate has for it (0..1): the skills they list, and
    the related or fuzzily equal ones in part (a row depends on its own row alone)."""
    soft = (skills @ similarity).tocsr()
    soft.data = np.minimum(soft.data, 1.0)
    return soft


def _rank(series: pd.Series) -> np.ndarray:
    codes = series.cat.codes.to_numpy().astype(float)
    codes[codes < 0] = np.nan
    return codes


def _codes(series: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Each cell's position in ``names`` as text (-1: none of them), as ``pd.Categorical(...).codes``."""
    position = {name: i for i, name in enumerate(names)}
    return np.fromiter((position.get(x, -1) for x in series.astype(str)), dtype=np.int64, count=len(series))


def _days(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[D]")


def tfidf(max_features: int = 2**16) -> TfidfVectorizer:
    """The text representation: TF-IDF on character 3-4-grams within words."""
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 4),
        sublinear_tf=True,
        min_df=2,
        max_features=max_features,
        dtype=np.float32,
    )


def _counts(groups: list[list[str]], dtype: type) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows × distinct items, how often each row holds each item, and the distinct items."""
    indptr = np.zeros(len(groups) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(g) for g in groups])
    ids, distinct = pd.factorize(np.fromiter(chain.from_iterable(groups), dtype=object, count=int(indptr[-1])))
    m = sparse.csr_matrix((np.ones(len(ids), dtype=dtype), ids, indptr), shape=(len(groups), len(distinct)))
    m.sum_duplicates()
    return m, np.asarray(distinct, dtype=object)


def tfidf_matrix(docs: list[str], max_features: int = 2**16) -> sparse.csr_matrix:
    """``tfidf(max_features).fit(docs).transform(docs)``, without analysing every document in Python.

    Character n-grams within words never cross a word boundary, so a document's n-gram counts are the
    sum of its words' counts: each distinct word is analysed once, by sklearn's own analyser, and the
    counts of all documents are one sparse product. Pruning and weighting then repeat sklearn's steps on
    the same float32 counts, so the result is the same to the bit. Raises ValueError when no n-gram is
    left, as the vectorizer does.
    """
    counts, _, weights = _fit_tfidf(docs, max_features)
    return weights.transform(counts, copy=False)


def _fit_tfidf(docs: list[str], max_features: int) -> tuple[sparse.csr_matrix, np.ndarray, TfidfTransformer]:
    """The documents' n-gram counts over the kept n-grams, those n-grams (by column), and the fitted
    weighting (see :func:`tfidf_matrix`)."""
    vec = tfidf(max_features)
    # char_wb analyses the words between white space of the lower-cased document (its only preprocessing);
    # on a lower-cased word, the analyser without lower-casing gives the same n-grams
    word_counts, words = _counts([doc.lower().split() for doc in docs], vec.dtype)
    analyse = clone(vec).set_params(lowercase=False).build_analyzer()
    gram_counts, grams = _counts([analyse(w) for w in words], vec.dtype)
    if not len(grams):
        raise ValueError("empty vocabulary: the documents hold no words")
    counts = word_counts @ gram_counts  # documents × n-grams, exact: counts stay far below 2**24
    # CountVectorizer._limit_features on the vocabulary in sorted order: document frequency between
    # min_df and max_df, then the max_features most frequent (ties as its unstable argsort orders them)
    order = np.argsort(grams, kind="stable")
    df = np.bincount(counts.indices, minlength=len(grams))[order]
    low, high = (x if isinstance(x, int | np.integer) else x * len(docs) for x in (vec.min_df, vec.max_df))
    keep = np.flatnonzero((df >= low) & (df <= high))
    if vec.max_features is not None and len(keep) > vec.max_features:
        tfs = np.asarray(counts.sum(axis=0)).ravel()[order]  # float32, summed row by row as sklearn does
        keep = np.sort(keep[(-tfs[keep]).argsort()[: vec.max_features]])
    if not len(keep):
        raise ValueError("no terms remain after pruning: no n-gram is in min_df documents")
    counts = counts[:, order[keep]]
    counts.sort_indices()  # as CountVectorizer gives them: the weighting then sums in the same order
    weights = TfidfTransformer(
        norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf, sublinear_tf=vec.sublinear_tf
    )
    return counts, grams[order[keep]], weights.fit(counts)


@cache
def _word_analyser() -> Callable[[str], list[str]]:
    """The n-grams of one lower-cased word, as :func:`tfidf`'s analyser makes them."""
    analyse: Callable[[str], list[str]] = clone(tfidf()).set_params(lowercase=False).build_analyzer()
    return analyse


@dataclass(frozen=True)
class TextSpace:
    """The text representation fitted on a dataset's documents: its n-grams and their weights, and
    (above :data:`TEXT_DIMENSIONS` n-grams and documents) the latent directions they are projected on.

    A document's vector depends on the document and the space alone, so a document added later is
    placed in the same space as those it was fitted on (:meth:`Prepared.updated`)."""

    grams: dict[str, int]  # n-gram -> column
    weights: TfidfTransformer
    svd: TruncatedSVD | None

    @classmethod
    def fit(cls, docs: list[str]) -> TextSpace | None:
        """The space of ``docs``, or ``None`` when they hold no n-gram in two documents."""
        try:
            counts, grams, weights = _fit_tfidf(docs, 2**16)
        except ValueError:  # no text at all (tiny datasets)
            return None
        svd = None
        if min(counts.shape) > TEXT_DIMENSIONS:
            # latent semantic analysis: the TF-IDF space projected on its main directions, fitted on a
            # seeded sample, so a similarity is one short dense dot product instead of a sparse one
            x = weights.transform(counts)
            rng = np.random.default_rng(0)
            sample = x[np.sort(rng.choice(x.shape[0], min(x.shape[0], TEXT_SAMPLE), replace=False))]
            svd = TruncatedSVD(TEXT_DIMENSIONS, algorithm="randomized", n_iter=4, random_state=0).fit(sample)
        return cls({str(g): i for i, g in enumerate(grams)}, weights, svd)

    def vectors(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit-length vectors of ``docs`` in this space (float32), and which have any known n-gram."""
        if not docs:
            width = TEXT_DIMENSIONS if self.svd is not None else len(self.grams)
            return np.zeros((0, width), dtype=np.float32), np.zeros(0, dtype=bool)
        word_counts, words = _counts([doc.lower().split() for doc in docs], np.float32)
        analyse = _word_analyser()
        columns = [sorted(self.grams[g] for g in analyse(w) if g in self.grams) for w in words]
        gram_counts = _incidence(columns, len(self.grams)).astype(np.float32)
        counts = (word_counts @ gram_counts).tocsr()
        counts.sort_indices()
        x = self.weights.transform(counts, copy=False)
        has_text = np.diff(x.indptr) > 0
        if self.svd is not None:
            dense = _latent(x, self.svd.components_) if x.shape[0] else np.zeros((0, TEXT_DIMENSIONS))
        else:  # a few texts or a small vocabulary: the TF-IDF vectors themselves
            dense = x.toarray()
        return (normalize(dense) if len(dense) else dense).astype(np.float32), has_text


def _latent(x: sparse.csr_matrix, components: np.ndarray) -> np.ndarray:
    """``x @ components.T`` (``TruncatedSVD.transform``), reading only the columns of the components
    that ``x``'s n-grams select: the product adds each row's terms in the same order, so the numbers
    are the same to the bit, and a few documents do not copy the whole (latent × n-gram) matrix."""
    used = np.unique(x.indices)
    sub = sparse.csr_matrix((x.data, np.searchsorted(used, x.indices), x.indptr), shape=(x.shape[0], len(used)))
    return np.asarray(sub @ np.ascontiguousarray(components[:, used].T))


def text_vectors(c_docs: list[str], v_docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-length text vectors of candidates and vacancies (dot product = cosine), and which
    candidates have any text."""
    return _text_vectors(TextSpace.fit(c_docs + v_docs), c_docs, v_docs)


def _text_vectors(
    space: TextSpace | None, c_docs: list[str], v_docs: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if space is None:
        return (
            np.zeros((len(c_docs), 1), dtype=np.float32),
            np.zeros((len(v_docs), 1), dtype=np.float32),
            np.zeros(len(c_docs), dtype=bool),
        )
    c_text, has_text = space.vectors(c_docs)
    v_text, _ = space.vectors(v_docs)
    return c_text, v_text, has_text


class Prepared:
    """A dataset turned into arrays for vectorised eligibility, features and scoring."""

    # what a prepared dataset fitted on its rows, and one prepared with ``fitted`` keeps
    taxonomy: Taxonomy
    normaliser: Normaliser
    postcodes: PostcodeTable | None
    skill_key: dict[str, str]  # text -> concept code or free term
    skill_matches: dict[str, Match]  # text -> how it was recognised (code, confidence)
    skill_vocab: dict[str, int]
    similarity: sparse.csr_matrix
    cert_key: dict[str, str]
    cert_vocab: dict[str, int]
    text_ids: dict[str, int]  # candidate occupation texts (title similarity columns)
    label_texts: dict[str, list[int]]
    label_occ: dict[str, int]
    title_ids: dict[str, int]  # cleaned vacancy titles (title similarity rows)
    title_sim: np.ndarray
    region_centres: dict[str, tuple[float, float]]
    text_space: TextSpace | None

    def __init__(
        self,
        ds: Dataset,
        *,
        config: MatchConfig,
        taxonomy: Taxonomy | None = None,
        postcodes: PostcodeTable | None = None,
        fitted: Prepared | None = None,
        normaliser: Normaliser | None = None,
        rows_only: bool = False,
    ) -> None:
        """``fitted``: a prepared dataset whose fitted parts are kept instead of fitted on ``ds``: the
        vocabularies of skills, certificates, occupation texts and titles (what ``ds`` adds is
        appended), the text space and the regions' centres (see :meth:`updated`).
        ``normaliser``: the one to turn texts into concepts (e.g. with a semantic index, shared by every
        dataset prepared, so each distinct text is worked out once); its taxonomy is used. Default: a
        fuzzy one of ``taxonomy`` (the built-in one when unset). ``rows_only``: the arrays of each row
        and the fitted parts only, for :meth:`updated`, which works out what follows from all rows
        together (the inferred skills, the reach index) once the rows are joined."""
        self.ds = ds
        self.config = config
        if fitted is not None:
            self.taxonomy, self.normaliser = fitted.taxonomy, fitted.normaliser
        elif normaliser is not None:
            self.taxonomy, self.normaliser = normaliser.taxonomy, normaliser
        else:
            self.taxonomy = taxonomy or Taxonomy.builtin()
            self.normaliser = Normaliser(self.taxonomy, threshold=config.normalise_threshold)
        self.postcodes = fitted.postcodes if fitted is not None else postcodes
        self._fitted = fitted
        self._rows_only = rows_only
        c, v = ds.candidates, ds.vacancies
        self.n_candidates, self.n_vacancies = len(c), len(v)
        self.candidate_ids = c["candidate_id"].astype(str).to_numpy()
        self.vacancy_ids = v["vacancy_id"].astype(str).to_numpy()
        self.candidate_index = pd.Index(self.candidate_ids)
        self.vacancy_index = pd.Index(self.vacancy_ids)
        self._skills(c, v)
        self._certificates(c, v)
        self._licences(c, v)
        self._occupations(c, v)
        if not rows_only:
            self._inferred_skills()
        self._locations(ds, index=not rows_only)
        self._scalars(ds)
        self._text(c, v)
        self.c_completeness = self._completeness()
        del self._fitted, self._rows_only  # the fitted parts are copied; the prepared dataset they came from may go

    def _no_rows(self, frame: pd.DataFrame, names: tuple[str, ...]) -> bool:
        """For the rows of :meth:`updated` (``rows_only``), a side without a row takes the fitted dataset's
        arrays ``names`` with no rows (the same types and widths) instead of working them out of ``frame``.
        Returns whether it did."""
        base = self._fitted
        if base is None or not self._rows_only or len(frame):
            return False
        for name in names:
            setattr(self, name, getattr(base, name)[:0])
        return True

    def _shared(self, names: tuple[str, ...], inputs: tuple[object, ...], work: Callable[[], None]) -> None:
        """``work()``, which sets the arrays ``names`` out of ``inputs`` and the matching rules alone. For the
        few rows of an update (``rows_only``) they are taken from a prepared dataset of another region that
        worked them out of the very same inputs: every region's matcher prepares a written vacancy's row
        (:func:`_selected` hands each the same table of rows), each process works it out once."""
        if not self._rows_only or len(self.ds.vacancies) > FEW_PLACES:
            work()
            return
        key = (names, self.config, *map(id, inputs))
        with _SHARED_LOCK:
            hit = _SHARED.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], inputs, strict=True)):  # held: ids not reused
            for name, value in zip(names, hit[1], strict=True):
                setattr(self, name, value.copy())
            return
        work()
        with _SHARED_LOCK:
            _SHARED[key] = (inputs, tuple(np.array(getattr(self, name), copy=True) for name in names))
            while len(_SHARED) > _SHARED_KEPT:
                del _SHARED[next(iter(_SHARED))]

    # -- skills ------------------------------------------------------------------------------
    def _skills(self, c: pd.DataFrame, v: pd.DataFrame) -> None:
        texts = list(
            dict.fromkeys(
                t for col in (c["skills"], v["required_skills"], v["optional_skills"]) for items in col for t in items
            )
        )
        base = self._fitted
        key = dict(base.skill_key) if base is not None else {}
        recognised = dict(base.skill_matches) if base is not None else {}
        matches = self.normaliser.normalise([t for t in texts if t not in key], "skill")
        key.update({m.text: (m.code if m.code is not None else _free(m.text)) for m in matches})
        recognised.update({m.text: m for m in matches})
        self.skill_matches = recognised
        vocab: dict[str, int] = dict(base.skill_vocab) if base is not None else {}
        for k in key.values():
            vocab.setdefault(k, len(vocab))
        self.skill_vocab = vocab
        self.skill_names = list(vocab)  # by column
        self.skill_key = key

        def rows(col: pd.Series) -> list[list[int]]:
            return [sorted({vocab[key[t]] for t in items}) for items in col]

        self.c_skills = _incidence(rows(c["skills"]), len(vocab))
        self.v_req = _incidence(rows(v["required_skills"]), len(vocab))
        self.v_opt = _incidence(rows(v["optional_skills"]), len(vocab))
        same = base is not None and len(base.skill_vocab) == len(vocab)
        self.similarity = base.similarity if base is not None and same else self._skill_similarity()
        self.c_soft = _soft_credit(self.c_skills, self.similarity)
        self.c_has_skills = np.diff(self.c_skills.indptr) > 0
        self.v_n_req = np.diff(self.v_req.indptr).astype(float)
        self.v_n_opt = np.diff(self.v_opt.indptr).astype(float)

    def _skill_similarity(self) -> sparse.csr_matrix:
        """K×K credit: 1 for the same skill, partial for related or fuzzily equal ones."""
        vocab = self.skill_vocab
        rows, cols, vals = list(range(len(vocab))), list(range(len(vocab))), [1.0] * len(vocab)
        for code, i in vocab.items():
            for other in self.taxonomy.related.get(code, ()):
                j = vocab.get(other)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(RELATED_SKILL_CREDIT)
        free = [k for k in vocab if k.startswith("txt:")]
        if free:
            names = [k[4:] for k in vocab]
            scores = process.cdist([k[4:] for k in free], names, scorer=fuzz.ratio, workers=-1, dtype=np.uint8)
            for a, row in zip(free, scores, strict=True):
                i = vocab[a]
                for j in map(int, np.flatnonzero(row >= 85)):
                    if i != j:
                        rows += [i, j]
                        cols += [j, i]
                        vals += [FREE_TERM_CREDIT * float(row[j]) / 100.0] * 2
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(vocab), len(vocab)))
        m.sum_duplicates()
        m.data = np.minimum(m.data, 1.0)
        return m

    # -- certificates and licences -------------------------------------------------------------
    def _certificates(self, c: pd.DataFrame, v: pd.DataFrame) -> None:
        texts = list(
            dict.fromkeys(
                t
                for col in (c["certificates"], v["required_certificates"], v["trainable_certificates"])
                for items in col
                for t in items
            )
        )
        base = self._fitted
        key = dict(base.cert_key) if base is not None else {}
        matches = self.normaliser.normalise([t for t in texts if t not in key], "certificate")
        key.update({m.text: (m.code if m.code is not None else _free(m.text)) for m in matches})
        vocab: dict[str, int] = dict(base.cert_vocab) if base is not None else {}
        for k in key.values():
            vocab.setdefault(k, len(vocab))
        self.cert_key = key
        self.cert_vocab = vocab
        self.cert_names = list(vocab)
        self.c_certs = _incidence([sorted({vocab[key[t]] for t in items}) for items in c["certificates"]], len(vocab))
        hard_rows, soft_rows = [], []
        for required, trainable in zip(v["required_certificates"], v["trainable_certificates"], strict=True):
            soft_set = {vocab[key[t]] for t in trainable}
            req = {vocab[key[t]] for t in required}
            hard_rows.append(sorted(req - soft_set))
            soft_rows.append(sorted(req & soft_set))
        self.v_hard = _incidence(hard_rows, len(vocab))
        self.v_soft = _incidence(soft_rows, len(vocab))
        self.v_n_hard = np.diff(self.v_hard.indptr).astype(float)
        self.v_n_soft = np.diff(self.v_soft.indptr).astype(float)

    def _licences(self, c: pd.DataFrame, v: pd.DataFrame) -> None:
        pos = {lic: i for i, lic in enumerate(LICENCES)}
        held = np.zeros((len(c), len(LICENCES)), dtype=bool)
        for i, items in enumerate(c["driving_licences"]):
            for lic in items:
                held[i, pos[lic]] = True
                for implied in LICENCE_IMPLIES.get(lic, ()):
                    held[i, pos[implied]] = True
        need = np.zeros((len(v), len(LICENCES)), dtype=bool)
        for i, items in enumerate(v["required_licences"]):
            for lic in items:
                need[i, pos[lic]] = True
        self.c_licences, self.v_licences = held, need

    # -- occupations and titles -------------------------------------------------------------
    def _occupations(self, c: pd.DataFrame, v: pd.DataFrame) -> None:
        tax = self.taxonomy
        base = self._fitted
        occ_texts = list(dict.fromkeys(e.label for items in c["occupations"] for e in items))
        if base is not None:
            occ_texts = [label for label in occ_texts if label not in base.label_texts]
        cand_matches = {m.text: m for m in self.normaliser.normalise(occ_texts, "occupation", title=True)}
        codes: dict[str, int] = {}
        sectors: dict[str, int] = {}
        for concept in tax.of_kind("occupation"):
            codes.setdefault(concept.code, len(codes))
            if concept.sector:
                sectors.setdefault(concept.sector, len(sectors))
        self.occupation_codes = list(codes)
        sector_of = np.full(len(codes), -1, dtype=np.int64)
        for concept in tax.of_kind("occupation"):
            if concept.sector:
                sector_of[codes[concept.code]] = sectors[concept.sector]
        # candidate occupations (presence, years) and the texts they are known by, for titles; once per
        # distinct label, in order of first appearance, so texts are numbered as a pass over everyone would
        text_ids: dict[str, int] = dict(base.text_ids) if base is not None else {}
        label_texts: dict[str, list[int]] = dict(base.label_texts) if base is not None else {}
        label_occ: dict[str, int] = dict(base.label_occ) if base is not None else {}
        for label in occ_texts:
            m = cand_matches[label]
            known_as = [clean_title(label)]
            if m.code:
                known_as.append(clean_title(tax.label(m.code, "occupation")))
            # a list, not a set: numbering must not depend on the hash seed
            label_texts[label] = [text_ids.setdefault(t, len(text_ids)) for t in known_as if t]
            if m.code is not None and m.code in codes:
                label_occ[label] = codes[m.code]
        occ_rows: list[list[int]] = []
        year_rows: list[list[float]] = []
        text_rows: list[list[int]] = []
        for items in c["occupations"]:
            seen: dict[int, float] = {}
            texts: set[int] = set()
            for e in items:
                texts.update(label_texts[e.label])
                j = label_occ.get(e.label)
                if j is not None:
                    seen[j] = max(seen.get(j, 0.0), e.years or 0.0)
            occ_rows.append(sorted(seen))
            year_rows.append([seen[j] for j in sorted(seen)])
            text_rows.append(sorted(texts))
        self.text_ids, self.label_texts, self.label_occ = text_ids, label_texts, label_occ
        self.c_occ = _incidence(occ_rows, len(codes))
        self.c_occ_years = _incidence(occ_rows, len(codes), year_rows)
        self.c_has_occ = np.diff(self.c_occ.indptr) > 0
        sector_list = sector_of.tolist()
        sector_rows = [sorted({sector_list[j] for j in r if sector_list[j] >= 0}) for r in occ_rows]
        self.c_sectors = _incidence(sector_rows, max(len(sectors), 1))
        self.c_titles = _incidence(text_rows, max(len(text_ids), 1))
        self.c_occ_csc, self.c_occ_years_csc = _canonical(self.c_occ.tocsc()), _canonical(self.c_occ_years.tocsc())
        self.c_sectors_csc = _canonical(self.c_sectors.tocsc())
        # how far each occupation a candidate lists vouches for its skills (the rule book, by years)
        self.c_occ_credit = self.c_occ.astype(np.float64)
        years = np.fromiter(chain.from_iterable(year_rows), dtype=np.float64, count=self.c_occ.nnz)
        self.c_occ_credit.data = np.asarray(rb.ufunc(rb.inferred_credit)(years), dtype=np.float64)
        # the ISCO unit groups of the candidate's occupations (an occupation's near relations)
        isco_groups: dict[str, int] = {}
        isco_of = np.full(len(codes), -1, dtype=np.int64)
        for concept in tax.of_kind("occupation"):
            if concept.isco_group:
                isco_of[codes[concept.code]] = isco_groups.setdefault(concept.isco_group, len(isco_groups))
        isco_list = isco_of.tolist()
        isco_rows = [sorted({isco_list[j] for j in r if isco_list[j] >= 0}) for r in occ_rows]
        self.c_isco = _incidence(isco_rows, max(len(isco_groups), 1))
        self.c_isco_csc = _canonical(self.c_isco.tocsc())
        # vacancy occupation: the occupation column, else the title
        v_occ = np.full(len(v), -1, dtype=np.int64)
        occ_col = [o if isinstance(o, str) else "" for o in v["occupation"]]
        by_col = {
            m.text: m.code for m in self.normaliser.normalise(list(dict.fromkeys(occ_col)), "occupation", title=True)
        }
        titles = v["title"].astype(str).tolist()
        by_title = {
            m.text: m.code for m in self.normaliser.normalise(list(dict.fromkeys(titles)), "occupation", title=True)
        }
        for i, (o, t) in enumerate(zip(occ_col, titles, strict=True)):
            code = (by_col.get(o) if o else None) or by_title.get(t)
            if code is not None and code in codes:
                v_occ[i] = codes[code]
        self.v_occ = v_occ
        self.v_sector = np.where(v_occ >= 0, sector_of[np.maximum(v_occ, 0)], -1)
        self.v_isco = np.where(v_occ >= 0, isco_of[np.maximum(v_occ, 0)], -1)
        # title similarity: every distinct cleaned title against every candidate occupation text
        clean_titles = [clean_title(t) for t in titles]
        title_ids: dict[str, int] = dict(base.title_ids) if base is not None else {}
        self.v_title = np.array([title_ids.setdefault(t, len(title_ids)) for t in clean_titles], dtype=np.int64)
        self.title_ids = title_ids
        self.title_texts = list(title_ids)
        self.title_sim = _title_similarity(
            self.title_texts,
            list(text_ids),
            base.title_sim if base is not None and base.text_ids else None,
        )

    # -- what people can do, from what they did -------------------------------------------------
    def _inferred_skills(self) -> None:
        """Per candidate and skill, the credit the taxonomy's relations give: the essential and the
        optional skills of the candidate's occupations (occupation→skill relations, each occupation
        by :func:`matching.rulebook.inferred_credit` of its years), and the skills related to the
        ones they list or their occupations' essential ones (skill→skill relations). Only the skills
        a dataset names are columns: a vacancy asks for no other."""
        self.skill_relations = self._skill_relations()
        self.c_inferred_essential, self.c_inferred_optional, self.c_related = self._inferred(
            self.c_occ_credit, self.c_skills
        )
        self.c_has_skills_or_occ = self.c_has_skills | self.c_has_occ

    def _skill_relations(self) -> tuple[sparse.csr_matrix, ...]:
        """Occupations × skills essential and optional, occupations × skills related to their essential
        ones, skills × related skills: the relations of :meth:`_inferred_skills` over the skill vocabulary."""
        tax, vocab, codes = self.taxonomy, self.skill_vocab, self.occupation_codes

        def columns(skills: Iterable[str]) -> list[int]:
            return sorted({vocab[s] for s in skills if s in vocab})

        def related(skills: Iterable[str]) -> set[str]:
            return {r for s in skills for r in tax.related.get(s, ())}

        return (
            _incidence([columns(tax.essential.get(code, ())) for code in codes], len(vocab)),
            _incidence([columns(tax.optional.get(code, ())) for code in codes], len(vocab)),
            _incidence([columns(related(tax.essential.get(code, ()))) for code in codes], len(vocab)),
            _incidence([columns(related([k])) for k in vocab], len(vocab)),
        )

    def _inferred(
        self, occ_credit: sparse.csr_matrix, skills: sparse.csr_matrix
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]:
        """The inferred essential, optional and related skills of the candidates whose occupation credit
        and skills these are (a row depends on its own row alone)."""
        essential, optional, near_work, near_skill = self.skill_relations

        def capped(m: sparse.csr_matrix) -> sparse.csr_matrix:
            m = m.tocsr()
            m.sum_duplicates()
            m.data = np.minimum(m.data, 1.0)
            return m

        return (
            capped(occ_credit @ essential),
            capped(occ_credit @ optional),
            capped(skills @ near_skill + occ_credit @ near_work),
        )

    # -- places -------------------------------------------------------------------------------
    def _locations(self, ds: Dataset, *, index: bool = True) -> None:
        base = self._fitted
        self.region_centres = base.region_centres if base is not None else {}
        if not self._no_rows(ds.candidates, ("c_lat", "c_lon", "c_loc", "c_max_km")):
            self._candidate_locations(ds.candidates)
        if not self._no_rows(ds.vacancies, _VACANCY_PLACES):
            self._shared(
                _VACANCY_PLACES,
                (ds.vacancies, ds.contractors, self.postcodes),
                lambda: self._vacancy_locations(ds.vacancies, ds.contractors),
            )
        if index:
            self._index_reach()

    def _candidate_locations(self, c: pd.DataFrame) -> None:
        la, lo, src = resolve_points(c["lat"], c["lon"], c["postcode"], self.postcodes)
        # unknown location but a known region: the centre of that region's known candidates (an estimate)
        region = c["region"].astype(object).where(c["region"].notna(), None).to_numpy()
        known = src != LOC_UNKNOWN
        centres = self.region_centres
        if self._fitted is None and known.any():
            frame = pd.DataFrame({"r": region[known], "la": la[known], "lo": lo[known]}).dropna(subset=["r"])
            centres = {str(r): (float(g.la.mean()), float(g.lo.mean())) for r, g in frame.groupby("r")}
        for i in np.flatnonzero(~known):
            hit = centres.get(region[i]) if region[i] is not None else None
            if hit is not None:
                la[i], lo[i] = hit
                src[i] = LOC_REGION
        self.region_centres = centres
        self.c_lat, self.c_lon, self.c_loc = la, lo, src
        self.c_max_km = c["max_travel_km"].to_numpy(dtype=float, na_value=np.nan)
        self.c_max_km = np.where(np.isnan(self.c_max_km), DEFAULT_MAX_TRAVEL_KM, self.c_max_km)

    def _vacancy_locations(self, v: pd.DataFrame, k: pd.DataFrame) -> None:
        vla, vlo, vsrc = resolve_points(v["lat"], v["lon"], v["postcode"], self.postcodes)
        kla, klo, ksrc = resolve_points(k["lat"], k["lon"], k["postcode"], self.postcodes)
        kpos = pd.Index(k["contractor_id"].astype(str)).get_indexer(pd.Index(v["contractor_id"].astype(str)))
        self.v_contractor = kpos
        use = (vsrc == LOC_UNKNOWN) & (kpos >= 0)
        vla[use], vlo[use], vsrc[use] = kla[kpos[use]], klo[kpos[use]], ksrc[kpos[use]]
        self.v_lat, self.v_lon, self.v_loc = vla, vlo, vsrc

    def _index_reach(self) -> None:
        la = self.c_lat
        # a latitude-sorted index of located candidates, for the spatial pre-filter of suggestions
        # (per class of travel radius, so a candidate willing to travel 10 km is not looked for 60 km away)
        located = np.flatnonzero(~np.isnan(la))
        self._unlocated = np.flatnonzero(np.isnan(la))
        radius_class = np.searchsorted(REACH_CLASSES_KM, self.c_max_km[located], side="left")
        self._reach: list[tuple[float, np.ndarray, np.ndarray]] = []  # (radius, sorted latitudes, rows)
        self.c_reach_class = np.full(self.n_candidates, -1, dtype=np.int64)  # index into _reach, -1: unlocated
        for k in np.unique(radius_class):
            rows = located[radius_class == k]
            rows = rows[np.argsort(la[rows], kind="stable")]
            self.c_reach_class[rows] = len(self._reach)
            self._reach.append((float(self.c_max_km[rows].max()), la[rows], rows))

    # -- plain columns -------------------------------------------------------------------------
    def _scalars(self, ds: Dataset) -> None:
        if not self._no_rows(ds.candidates, _CANDIDATE_SCALARS):
            self._candidate_scalars(ds.candidates, ds.contractors)
        if not self._no_rows(ds.vacancies, _VACANCY_SCALARS):
            self._shared(
                _VACANCY_SCALARS,
                (ds.vacancies, ds.obligations),
                lambda: self._vacancy_scalars(ds.vacancies, ds.obligations),
            )
        self.additional_vacancies = np.flatnonzero(self.v_additional)  # the only ones a candidate can fill

    def _candidate_scalars(self, c: pd.DataFrame, k: pd.DataFrame) -> None:
        self.c_matchable = matchable(c).to_numpy()  # consent given and available: nobody else is eligible
        self.c_consent = c["consent"].fillna(False).astype(bool).to_numpy()
        hmin = c["hours_min"].to_numpy(dtype=float, na_value=np.nan)
        hmax = c["hours_max"].to_numpy(dtype=float, na_value=np.nan)
        self.c_hours_known = ~(np.isnan(hmin) & np.isnan(hmax))
        self.c_hmin = np.where(np.isnan(hmin), DEFAULT_HOURS[0], hmin)
        self.c_hmax = np.where(np.isnan(hmax), DEFAULT_HOURS[1], hmax)
        self.c_lang = _rank(c["language_level"])
        self.c_edu = _rank(c["education_level"])
        self.c_phys = _rank(c["physical_capacity"])
        self.c_available = _days(c["available_from"])
        self.c_group = _codes(c["target_group"], GROUPS)
        contractors = pd.Index(k["contractor_id"].astype(str))
        # every named employer of every candidate looked up at once; an employer named twice counts once
        employers = c["previous_employers"]
        found = contractors.get_indexer(pd.Index(list(chain.from_iterable(employers)), dtype=object))
        owner = np.repeat(np.arange(len(c)), np.fromiter(map(len, employers), dtype=np.int64, count=len(c)))
        known = found >= 0
        previous = sparse.csc_matrix(
            (np.ones(int(known.sum())), (owner[known], found[known])), shape=(len(c), max(len(contractors), 1))
        )
        self.c_previous = _canonical(previous)
        self.c_previous.data[:] = 1.0

    def _vacancy_scalars(self, v: pd.DataFrame, obl: pd.DataFrame) -> None:
        self.v_lang = _rank(v["min_language_level"])
        self.v_edu = _rank(v["min_education_level"])
        self.v_phys = _rank(v["physical_load"])
        self.v_start = _days(v["start_date"])
        self.v_hours = v["hours_per_week"].to_numpy(dtype=float)
        self.v_additional = v["additional"].fillna(False).astype(bool).to_numpy()
        ptype = v["placement_type"].astype(object).where(v["placement_type"].notna(), DEFAULT_PLACEMENT_TYPE)
        self.v_type = _codes(ptype, TYPES)
        # which target groups count for each vacancy (the domain's one rule: models.valuation)
        self.v_allowed_groups = _counted_target_groups(obl, v, on=np.datetime64(self.config.today, "D"))

    # -- free text -----------------------------------------------------------------------------
    def _text(self, c: pd.DataFrame, v: pd.DataFrame) -> None:
        def join(*parts: object) -> str:
            out: list[str] = []
            for p in parts:
                if isinstance(p, tuple):
                    out.extend(str(getattr(x, "label", x)) for x in p)
                elif isinstance(p, str):
                    out.append(p)
            return " ".join(out)

        c_docs = [
            join(p, s, o)
            for p, s, o in zip(c["profile_text"].astype(object), c["skills"], c["occupations"], strict=True)
        ]
        v_docs = [
            join(t, d, r, o, oc)
            for t, d, r, o, oc in zip(
                v["title"].astype(object),
                v["description"].astype(object),
                v["required_skills"],
                v["optional_skills"],
                v["occupation"].astype(object),
                strict=True,
            )
        ]
        base = self._fitted
        self.text_space = base.text_space if base is not None else TextSpace.fit(c_docs + v_docs)
        c_text, v_text, c_has_text = _text_vectors(self.text_space, c_docs, v_docs)
        if not self._no_rows(c, ("c_text", "c_has_text")):
            self.c_text, self.c_has_text = c_text, c_has_text
        if not self._no_rows(v, ("v_text",)):
            self.v_text = v_text

    def _completeness(self) -> np.ndarray:
        """Share of each candidate's key fields that are filled in (the ``profile_completeness`` feature)."""
        parts = [
            self.c_has_skills,
            self.c_has_occ,
            ~np.isnan(self.c_lang),
            ~np.isnan(self.c_edu),
            ~np.isnan(self.c_phys),
            self.c_hours_known,
            self.c_loc <= 1,  # given or from the postcode
        ]
        return np.asarray(np.mean(np.vstack(parts), axis=0), dtype=float)

    # -- updates -------------------------------------------------------------------------------
    def updated(self, ds: Dataset, *, candidates: Collection[str], vacancies: Collection[str]) -> RowUpdate:
        """``ds`` prepared from this prepared dataset: only the rows of ``candidates`` and ``vacancies``
        (ids whose rows changed, were added or are gone) are prepared; every other row is kept.

        ``ds`` holds the same contractors and obligations as :attr:`ds` (a change to those can touch any
        vacancy: prepare the dataset again instead). The fitted parts are kept (see ``fitted``), so the
        result is exactly ``Prepared(ds, config=self.config, fitted=self)``, array for array.
        """
        c_ids, c_old, changed_c, c_part = _selected(
            ds.candidates,
            self.ds.candidates,
            "candidate_id",
            candidates,
            held_ids=self.candidate_ids,
            held_index=self.candidate_index,
            kept=False,  # a region's own: no other matcher holds its candidates' table
        )
        v_ids, v_old, changed_v, v_part = _selected(
            ds.vacancies,
            self.ds.vacancies,
            "vacancy_id",
            vacancies,
            held_ids=self.vacancy_ids,
            held_index=self.vacancy_index,
            kept=True,
        )
        part = Dataset(
            contractors=ds.contractors,
            obligations=ds.obligations,
            vacancies=v_part,
            candidates=c_part,
            placements=ds.placements.iloc[:0],
            contributions=ds.contributions.iloc[:0],
        )
        new = Prepared(part, config=self.config, fitted=self, rows_only=True)
        c_from = np.where(changed_c, self.n_candidates + np.cumsum(changed_c) - 1, c_old)
        v_from = np.where(changed_v, self.n_vacancies + np.cumsum(changed_v) - 1, v_old)
        out = Prepared.__new__(Prepared)
        vars(out).update(
            (name, value)
            for name, value in vars(new).items()
            if name not in (*_CANDIDATE_ROWS, *_VACANCY_ROWS, "records")
        )
        out.ds = ds
        replaced: dict[str, np.ndarray | None] = {}
        for side, names, source, n_old, held, now in (
            ("candidates", _CANDIDATE_ROWS, c_from, self.n_candidates, self.candidate_ids, c_ids),
            ("vacancies", _VACANCY_ROWS, v_from, self.n_vacancies, self.vacancy_ids, v_ids),
        ):
            # rows replaced in place (the same ids in the same rows, the same widths: no vocabulary grew)
            # are copied into the arrays, which are kept as they are when those rows hold the same;
            # otherwise the rows are gathered anew
            rows = _replaced_in_place(source, n_old)
            if rows is not None and not (
                np.array_equal(held[rows], now[rows])
                and all(_same_width(getattr(self, name), getattr(new, name)) for name in names)
            ):
                rows = None
            for name in names:
                old_value, new_value = getattr(self, name), getattr(new, name)
                if rows is None:
                    setattr(out, name, _gather(old_value, new_value, source))
                else:
                    setattr(out, name, _replace_rows(old_value, new_value, rows))
            replaced[side] = rows
        out._rows_changed(self, candidates=replaced["candidates"], vacancies=replaced["vacancies"])
        return RowUpdate(out, _moved(c_old, self.n_candidates), _moved(v_old, self.n_vacancies))

    def _rows_changed(self, before: Prepared, *, candidates: np.ndarray | None, vacancies: np.ndarray | None) -> None:
        """What follows from the row arrays: ids, counts, look-ups, the reach index, column copies.
        ``before``: the prepared dataset these rows were updated from; ``candidates``, ``vacancies``: the
        rows replaced in place (the same ids in the same rows), or ``None`` when rows were added, removed
        or widened."""
        v = self.ds.vacancies
        self.n_vacancies = len(v)
        if vacancies is not None:
            self.vacancy_ids, self.vacancy_index = before.vacancy_ids, before.vacancy_index
        else:
            self.vacancy_ids = v["vacancy_id"].astype(str).to_numpy()
            self.vacancy_index = pd.Index(self.vacancy_ids)
        additional = self.v_additional is before.v_additional
        self.additional_vacancies = before.additional_vacancies if additional else np.flatnonzero(self.v_additional)
        if candidates is not None:
            self._candidate_rows_replaced(before, candidates)
            return
        c = self.ds.candidates
        self.n_candidates = len(c)
        self.candidate_ids = c["candidate_id"].astype(str).to_numpy()
        self.candidate_index = pd.Index(self.candidate_ids)
        self.c_soft = _soft_credit(self.c_skills, self.similarity)
        self.c_occ_csc, self.c_occ_years_csc = _canonical(self.c_occ.tocsc()), _canonical(self.c_occ_years.tocsc())
        self.c_sectors_csc = _canonical(self.c_sectors.tocsc())
        self.c_isco_csc = _canonical(self.c_isco.tocsc())
        self.c_previous = _canonical(self.c_previous.tocsc())
        self._inferred_skills()  # a grown skill vocabulary can credit kept rows too
        self._index_reach()

    def _candidate_rows_replaced(self, before: Prepared, rows: np.ndarray) -> None:
        """What follows from the candidate arrays after ``rows`` were replaced in place: what depends only
        on arrays kept as they are is taken over from ``before``, what a row holds of its own (the credit
        for related skills, the inferred skills) is worked out for ``rows`` and copied in, and the rest
        (column copies, the reach index) is worked out again only when its arrays changed."""

        def same(*names: str) -> bool:
            return all(getattr(self, name) is getattr(before, name) for name in names)

        self.n_candidates = before.n_candidates
        self.candidate_ids, self.candidate_index = before.candidate_ids, before.candidate_index
        self.skill_relations = before.skill_relations
        if same("c_skills", "similarity"):
            self.c_soft = before.c_soft
        else:
            self.c_soft = _replace_rows(before.c_soft, _soft_credit(self.c_skills[rows], self.similarity), rows)
        for name in ("c_occ", "c_occ_years", "c_sectors", "c_isco"):
            held = getattr(before, f"{name}_csc")
            setattr(self, f"{name}_csc", held if same(name) else _canonical(getattr(self, name).tocsc()))
        inferred = ("c_inferred_essential", "c_inferred_optional", "c_related")
        if same("c_occ_credit", "c_skills"):
            for name in inferred:
                setattr(self, name, getattr(before, name))
        else:
            for name, value in zip(inferred, self._inferred(self.c_occ_credit[rows], self.c_skills[rows]), strict=True):
                setattr(self, name, _replace_rows(getattr(before, name), value, rows))
        if same("c_has_skills", "c_has_occ"):
            self.c_has_skills_or_occ = before.c_has_skills_or_occ
        else:
            self.c_has_skills_or_occ = self.c_has_skills | self.c_has_occ
        if same("c_lat", "c_max_km"):
            self._unlocated, self._reach, self.c_reach_class = before._unlocated, before._reach, before.c_reach_class
        else:
            self._index_reach()

    def holds_candidates_of(self, other: Prepared) -> bool:
        """Whether every candidate array of this prepared dataset, and what follows from them, is the very
        array of ``other`` (an update that changed only vacancies takes them over)."""
        return all(
            getattr(self, name) is getattr(other, name)
            for name in (*_CANDIDATE_ROWS, *_FOLLOW_CANDIDATE_ROWS)
            if name != "n_candidates"
        )

    @cached_property
    def records(self) -> Records:
        """The candidate records and vacancy scalars every rule and kernel reads (:mod:`matching.records`)."""
        return build_records(self, self.c_completeness)

    # -- look-ups ----------------------------------------------------------------------------
    def candidate_rows(self, ids: pd.Series | list[str]) -> np.ndarray:
        return np.asarray(self.candidate_index.get_indexer(pd.Index(ids).astype(str)))

    def vacancy_rows(self, ids: pd.Series | list[str]) -> np.ndarray:
        return np.asarray(self.vacancy_index.get_indexer(pd.Index(ids).astype(str)))

    def candidates_in_reach(self, v: int, *, matchable: bool = False) -> np.ndarray:
        """Candidate rows that could be within travel distance of vacancy ``v`` (sorted; only those who
        consented and are available when ``matchable``).

        Candidates are indexed by latitude per class of travel radius (:data:`REACH_CLASSES_KM`).
        A located candidate outside the box of their class's largest radius around the vacancy is
        farther than their own maximum, so they can never be eligible; candidates without a location
        are always kept. Without a location for the vacancy, every candidate is kept.
        """
        lat, lon = self.v_lat[v], self.v_lon[v]
        if np.isnan(lat) or np.isnan(lon):
            every = np.arange(self.n_candidates)
            return every[self.c_matchable] if matchable else every
        parts = [self._unlocated]
        for radius, lats, rows in self._reach:
            lo, hi, dlon = reach_box(lat, radius)
            band = rows[int(np.searchsorted(lats, lo, side="left")) : int(np.searchsorted(lats, hi))]
            keep = np.abs(self.c_lon[band] - lon) <= dlon
            parts.append(band[keep & self.c_matchable[band]] if matchable else band[keep])
        found = np.concatenate(parts)
        if matchable:
            found = found[self.c_matchable[found]] if len(self._unlocated) else found
        return np.sort(found)

    def reach_boxes(self, vacancies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The boxes of :meth:`candidates_in_reach` for ``vacancies`` at once: per vacancy and class of
        travel radius (``c_reach_class``) the latitudes ``lo <= lat < hi`` and the longitudes within
        ``dlon`` of the vacancy's (``boxes[k, class] = (lo, hi, dlon)``), worked out exactly as there;
        and the matchable candidates that may lie in any of them (ascending), a superset.

        A candidate ``c`` is in reach of vacancy ``k`` exactly when it is unlocated, the vacancy is
        unlocated, or ``lo <= c_lat < hi`` and ``|c_lon - v_lon| <= dlon`` for its class."""
        vacancies = np.asarray(vacancies, dtype=np.int64)
        boxes = np.zeros((len(vacancies), len(self._reach), 3))
        lats, lons = self.v_lat[vacancies], self.v_lon[vacancies]
        located = np.flatnonzero(~(np.isnan(lats) | np.isnan(lons)))
        for cls, (radius, _, _) in enumerate(self._reach):
            for k in located.tolist():
                boxes[k, cls] = reach_box(float(lats[k]), radius)
        if not len(vacancies):
            return boxes, np.zeros(0, dtype=np.int64)
        if len(located) < len(vacancies):  # an unlocated vacancy has every candidate in reach
            return boxes, np.flatnonzero(self.c_matchable)
        parts = [self._unlocated]
        for cls, (_, c_lats, rows) in enumerate(self._reach):
            box = boxes[:, cls]
            band = rows[
                int(np.searchsorted(c_lats, box[:, 0].min(), side="left")) : int(
                    np.searchsorted(c_lats, box[:, 1].max())
                )
            ]
            west, east = (lons - box[:, 2]).min() - _LON_MARGIN, (lons + box[:, 2]).max() + _LON_MARGIN
            c_lon = self.c_lon[band]
            parts.append(band[(c_lon >= west) & (c_lon <= east)])
        found = np.sort(np.concatenate(parts))
        return boxes, found[self.c_matchable[found]]

    def location_known(self) -> np.ndarray:
        return np.asarray(self.c_loc != LOC_UNKNOWN)


#: The arrays of :meth:`Prepared._vacancy_locations`.
_VACANCY_PLACES: tuple[str, ...] = ("v_lat", "v_lon", "v_loc", "v_contractor")
#: The arrays of :meth:`Prepared._scalars`, by side.
_CANDIDATE_SCALARS: tuple[str, ...] = (
    "c_matchable",
    "c_consent",
    "c_hours_known",
    "c_hmin",
    "c_hmax",
    "c_lang",
    "c_edu",
    "c_phys",
    "c_available",
    "c_group",
    "c_previous",
)
_VACANCY_SCALARS: tuple[str, ...] = (
    "v_lang",
    "v_edu",
    "v_phys",
    "v_start",
    "v_hours",
    "v_additional",
    "v_type",
    "v_allowed_groups",
)


#: The arrays with a row per candidate and per vacancy, which :meth:`Prepared.updated` takes row by row
#: from the prepared dataset or from the rows prepared anew (everything else follows from them).
_CANDIDATE_ROWS: tuple[str, ...] = (
    "c_skills",
    "c_has_skills",
    "c_certs",
    "c_licences",
    "c_occ",
    "c_occ_years",
    "c_occ_credit",
    "c_has_occ",
    "c_isco",
    "c_sectors",
    "c_titles",
    "c_lat",
    "c_lon",
    "c_loc",
    "c_max_km",
    *_CANDIDATE_SCALARS,
    "c_text",
    "c_has_text",
    "c_completeness",
)
_VACANCY_ROWS: tuple[str, ...] = (
    "v_req",
    "v_opt",
    "v_n_req",
    "v_n_opt",
    "v_hard",
    "v_soft",
    "v_n_hard",
    "v_n_soft",
    "v_licences",
    "v_occ",
    "v_sector",
    "v_isco",
    "v_title",
    "v_contractor",
    "v_lat",
    "v_lon",
    "v_loc",
    *_VACANCY_SCALARS,
    "v_text",
)


#: What :meth:`Prepared._rows_changed` works out of the candidate arrays.
_FOLLOW_CANDIDATE_ROWS: tuple[str, ...] = (
    "n_candidates",
    "candidate_ids",
    "candidate_index",
    "c_soft",
    "c_occ_csc",
    "c_occ_years_csc",
    "c_sectors_csc",
    "c_isco_csc",
    "c_previous",
    "c_inferred_essential",
    "c_inferred_optional",
    "c_related",
    "c_has_skills_or_occ",
    "_unlocated",
    "_reach",
    "c_reach_class",
)


@dataclass(frozen=True)
class RowUpdate:
    """A prepared dataset after :meth:`Prepared.updated`, and where the kept rows went."""

    prepared: Prepared
    candidate_rows: np.ndarray  # per old candidate row: its new row, -1 when it changed or is gone
    vacancy_rows: np.ndarray  # the same for the vacancies

    @property
    def changed_candidates(self) -> np.ndarray:
        """New candidate rows that were prepared anew (changed or added)."""
        return _fresh(self.candidate_rows, self.prepared.n_candidates)

    @property
    def changed_vacancies(self) -> np.ndarray:
        return _fresh(self.vacancy_rows, self.prepared.n_vacancies)


def _moved(old_of_new: np.ndarray, n_old: int) -> np.ndarray:
    """Per old row, its new row (-1: none), from per new row its old row (-1: prepared anew)."""
    out = np.full(n_old, -1, dtype=np.int64)
    kept = np.flatnonzero(old_of_new >= 0)
    out[old_of_new[kept]] = kept
    return out


def _fresh(new_of_old: np.ndarray, n_new: int) -> np.ndarray:
    taken = np.zeros(n_new, dtype=bool)
    taken[new_of_old[new_of_old >= 0]] = True
    return np.flatnonzero(~taken)


_Selection = tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]
_SELECTIONS: dict[tuple[object, ...], tuple[pd.DataFrame, pd.DataFrame, _Selection]] = {}
_SELECTIONS_KEPT = 2  # each keeps the vacancies' table before and after a write alive: few
_SHARED: dict[tuple[object, ...], tuple[tuple[object, ...], tuple[np.ndarray, ...]]] = {}
_SHARED_KEPT = 16
_SHARED_LOCK = threading.Lock()


def _selected(
    frame: pd.DataFrame,
    held: pd.DataFrame,
    key: str,
    changed: Collection[str],
    *,
    held_ids: np.ndarray,
    held_index: pd.Index,
    kept: bool,
) -> _Selection:
    """For the rows of ``frame`` (the table of an update) against ``held`` (the table prepared before, whose
    ids are ``held_ids``): each row's id, its row in ``held`` (-1: changed or new), whether it is prepared
    anew, and those rows as a table of their own. ``kept``: kept for the last few pairs of tables, for
    tables every region's matcher holds (the vacancies): a vacancy write works it out once per process,
    and each region's update prepares the very same table of rows."""
    if frame is held and not changed:  # the very rows: each keeps its place
        n = len(held_ids)
        return held_ids, np.arange(n), np.zeros(n, dtype=bool), frame.iloc[:0].reset_index(drop=True)
    names = tuple(sorted(map(str, changed)))
    cache_key = (id(frame), id(held), key, names)
    with _SHARED_LOCK:
        hit = _SELECTIONS.get(cache_key) if kept else None
    if hit is not None and hit[0] is frame and hit[1] is held:  # both are held there: their ids are not reused
        return hit[2]
    ids = frame[key].astype(str).to_numpy()
    fresh = pd.Series(ids).isin(set(names)).to_numpy()
    old = np.where(fresh, -1, held_index.get_indexer(pd.Index(ids)))
    fresh = fresh | (old < 0)  # an id the table before did not hold is new
    selection = (ids, old, fresh, frame.iloc[np.flatnonzero(fresh)].reset_index(drop=True))
    if not kept:
        return selection
    with _SHARED_LOCK:
        _SELECTIONS[cache_key] = (frame, held, selection)
        while len(_SELECTIONS) > _SELECTIONS_KEPT:
            del _SELECTIONS[next(iter(_SELECTIONS))]
    return selection


#: Up to this many places, :func:`counted_target_groups` is kept by its input (the rows of an update).
FEW_PLACES = 8
_COUNTED: dict[tuple[object, ...], np.ndarray] = {}
_COUNTED_KEPT = 256
_CONTENT: dict[int, tuple[pd.DataFrame, tuple[object, ...]]] = {}  # by id: the frame itself and its content
_CONTENT_KEPT = 32
_COUNTED_LOCK = threading.Lock()


def _counted_target_groups(obligations: pd.DataFrame, vacancies: pd.DataFrame, *, on: np.datetime64) -> np.ndarray:
    """:func:`models.valuation.counted_target_groups` of :data:`GROUPS` for each of ``vacancies``; for a
    few places (a changed vacancy, prepared for every region's matcher) kept by the content of the
    obligations and the places' obligation and contractor, so that each process works it out once per
    change."""
    named = vacancies["obligation_id"].to_numpy(dtype=object)
    contractor = vacancies["contractor_id"].astype(str).to_numpy(dtype=object)
    if len(named) > FEW_PLACES:
        return _counted(obligations, named, contractor, on)
    ids = tuple((type(x).__name__, str(x)) for x in (*named, *contractor))  # None and NaN stay apart from ids
    key = (_content(obligations), len(named), ids, str(on))
    with _COUNTED_LOCK:
        hit = _COUNTED.get(key)
    if hit is None:
        hit = _counted(obligations, named, contractor, on)
        with _COUNTED_LOCK:
            _COUNTED[key] = hit
            while len(_COUNTED) > _COUNTED_KEPT:
                del _COUNTED[next(iter(_COUNTED))]
    return hit.copy()


def _counted(obligations: pd.DataFrame, named: np.ndarray, contractor: np.ndarray, on: np.datetime64) -> np.ndarray:
    # only a place's named obligation and its contractor's obligations can take it: those are read
    relevant = obligations["obligation_id"].astype(str).isin(pd.Series(named).dropna().astype(str)) | obligations[
        "contractor_id"
    ].astype(str).isin(contractor)
    return counted_target_groups(
        obligations[relevant.to_numpy(dtype=bool)].reset_index(drop=True),
        named=named,
        contractor=contractor,
        on=on,
        groups=GROUPS,
    )


def _content(frame: pd.DataFrame) -> tuple[object, ...]:
    """What ``frame`` holds (its columns and each row's hash), worked out once per frame: the tables of
    a prepared dataset are never changed in place, and an update keeps the obligations' frame."""
    with _COUNTED_LOCK:
        hit = _CONTENT.get(id(frame))
    if hit is not None and hit[0] is frame:  # the frame is held here, so its id is not reused meanwhile
        return hit[1]
    content = (*map(str, frame.columns), *pd.util.hash_pandas_object(frame, index=False).tolist())
    with _COUNTED_LOCK:
        _CONTENT[id(frame)] = (frame, content)
        while len(_CONTENT) > _CONTENT_KEPT:
            del _CONTENT[next(iter(_CONTENT))]
    return content


def _same_width(old: Any, new: Any) -> bool:
    """Whether rows of ``new`` fit beside those of ``old`` as they are (a grown vocabulary widens them)."""
    return bool(getattr(old, "shape", (0,))[1:] == getattr(new, "shape", (0,))[1:])


def _gather(old: Any, new: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` of ``old`` stacked on ``new`` (a sparse matrix is widened to ``new``'s columns
    first: a vocabulary only grows)."""
    if sparse.issparse(old):
        assert sparse.issparse(new)
        width = new.shape[1]
        a = old.tocsr()
        a = sparse.csr_matrix((a.data, a.indices, a.indptr), shape=(a.shape[0], width))
        return sparse.vstack([a, new.tocsr()], format="csr")[rows]
    assert isinstance(old, np.ndarray)
    assert isinstance(new, np.ndarray)
    return np.concatenate([old, new.astype(old.dtype, copy=False)])[rows]


def _replaced_in_place(source: np.ndarray, n_old: int) -> np.ndarray | None:
    """The rows prepared anew when every other row keeps its place (``source``: per new row its old row,
    or ``n_old`` and up for a row prepared anew), or ``None`` when rows were added or removed."""
    if len(source) != n_old:
        return None
    fresh = source >= n_old
    if not (source[~fresh] == np.flatnonzero(~fresh)).all():
        return None
    return np.flatnonzero(fresh)


def _replace_rows(old: Any, new: Any, rows: np.ndarray) -> Any:
    """``old`` with its rows ``rows`` (ascending) replaced by the rows of ``new``, in order: ``old``
    itself when they hold the same already, else a copy (``old`` is never changed: readers in other
    threads may hold it). A sparse matrix keeps its format."""
    if not len(rows):
        return old
    if sparse.issparse(old):
        assert sparse.issparse(new)
        a, b = old.tocsr(), new.tocsr()
        if all(
            np.array_equal(a.indices[a.indptr[r] : a.indptr[r + 1]], b.indices[b.indptr[k] : b.indptr[k + 1]])
            and a.data[a.indptr[r] : a.indptr[r + 1]].tobytes()
            == b.data[b.indptr[k] : b.indptr[k + 1]].astype(a.dtype).tobytes()
            for k, r in enumerate(rows.tolist())
        ):
            return old
        counts = np.diff(a.indptr)
        counts[rows] = np.diff(b.indptr)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(a.indptr.dtype)
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        start = 0  # the first row of ``old`` not taken yet
        for k, r in enumerate(rows.tolist()):
            kept, taken = slice(a.indptr[start], a.indptr[r]), slice(b.indptr[k], b.indptr[k + 1])
            indices += [a.indices[kept], b.indices[taken].astype(a.indices.dtype)]
            data += [a.data[kept], b.data[taken].astype(a.dtype)]
            start = r + 1
        indices.append(a.indices[a.indptr[start] :])
        data.append(a.data[a.indptr[start] :])
        out = sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=a.shape)
        return _canonical(out.tocsc()) if old.format == "csc" else out
    assert isinstance(old, np.ndarray)
    assert isinstance(new, np.ndarray)
    new = new.astype(old.dtype, copy=False)
    if old[rows].tobytes() == new.tobytes():
        return old
    out = old.copy()
    out[rows] = new
    return out


def _title_similarity(titles: list[str], texts: list[str], known: np.ndarray | None) -> np.ndarray:
    """Every cleaned title against every candidate occupation text (rapidfuzz's WRatio, 0..1), as
    float32; ``known``: the block of the first titles and texts, worked out before (each cell is a
    function of its title and text alone, so only the new rows and columns are worked out)."""
    if not texts:
        return np.zeros((len(titles), 1), dtype=np.float32)

    def block(rows: list[str], cols: list[str]) -> np.ndarray:
        if not rows or not cols:
            return np.zeros((len(rows), len(cols)), dtype=np.float32)
        sim = process.cdist(rows, cols, scorer=fuzz.WRatio, workers=-1, dtype=np.uint8)
        return np.asarray(sim.astype(np.float32) / 100.0)

    if known is None:
        return block(titles, texts)
    t0, x0 = known.shape
    if (t0, x0) == (len(titles), len(texts)):
        return known
    top = np.hstack([known, block(titles[:t0], texts[x0:])])
    return np.vstack([top, block(titles[t0:], texts)])


def reach_box(lat: float, radius: float) -> tuple[float, float, float]:
    """The box around a vacancy at latitude ``lat`` holding every point within ``radius`` km:
    latitudes ``lo <= x < hi`` and longitudes within ``dlon`` degrees (scalar arithmetic, so that
    every caller gets the very same floats)."""
    dlat = radius / 111.0 + 1e-6
    dlon = dlat / max(np.cos(np.radians(min(abs(lat) + dlat, 89.0))), 1e-6)
    return lat - dlat, lat + dlat, float(dlon)
