"""Normalisation of free text to taxonomy concepts with rapidfuzz, and semantically where an index is given.

Skills, certificates, occupations and job titles arrive as codes, ESCO URIs, Dutch or English labels,
synonyms, typos and titles like ``Timmerman (m/v) 36 uur``. :class:`Normaliser` maps each to a concept
code with a confidence in 0..1. A term with no match above the threshold is kept as free text
(``code=None``): the features still compare it fuzzily. For a kind with a
:class:`~matching.semantic.SemanticIndex`, the semantic ranking and the fuzzy one are fused
(docs/NORMALISATION.md).

Every distinct text is resolved once per normaliser while it is among the ``CACHE_SIZE`` most recently
used (a dataset repeats the same labels many times; a server's memory stays bounded): first a code, an
ESCO URI or an exact (cleaned) label, then the fuzzy scorers; against a large taxonomy (the full ESCO)
the scorers compare a text with a shortlist of likely labels only. A text the fuzzy scorers leave as
free text is compared by meaning where the kind has a semantic index (typos and spellings stay cheap;
only the rest pays for the model).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy import sparse

from matching.lexicon import Lexicon
from matching.semantic import SemanticIndex, fuse
from matching.taxonomy import Kind, Taxonomy, label_index
from matching.text import clean_label, clean_title

DEFAULT_THRESHOLD = 0.86
#: With a semantic index: how many concepts it proposes for the fuzzy scorers to re-rank, and the
#: weight of a candidate's fuzzy score (0..1) added to its cosine similarity (:func:`matching.semantic.fuse`).
#: Chosen on the even-numbered skill validation spans (docs/NORMALISATION.md): 0.10 to 0.12 ranked
#: best there, the cosine alone or reciprocal rank fusion of the two rankings lower.
FUSION_DEPTH = 50
FUZZY_WEIGHT = 0.1
#: With a semantic index, the least confidence (the cosine similarity of the text and the best
#: concept's nearest text) at which a text is taken as that concept: 92% of the kept even-numbered
#: skill validation spans were right at 0.91 (43% of them kept; multilingual-e5-small's cosines of
#: unrelated texts are rarely below 0.8, so the scale is narrow).
SEMANTIC_THRESHOLD = 0.91
#: A Dutch text's candidates are ranked by their cosine plus this weight times log(1 + the number of
#: occupations that list the skill, optional ones counted half): the model places Dutch text less surely
#: than English, and a skill many occupations ask for is the likelier reading of a short Dutch task.
#: Chosen on the development half of the Dutch test set (0.003 ranked alike, 0.006 and 0.01 lower;
#: docs/NORMALISATION.md).
OCCUPATION_PRIOR = 0.004
OPTIONAL_WEIGHT = 0.5
#: With a static stage (:attr:`SemanticIndex.static`), :meth:`Normaliser.tops` ranks an English text by
#: its static vector alone when a label of one of its ``FUSION_DEPTH`` static candidates has at least
#: this fuzzy score against it (0..1), and by the model otherwise. Chosen on the even-numbered skill
#: validation spans: at 0.70 about 70% of them were ranked statically, with nearly the model's
#: acc@1 and acc@5 (docs/NORMALISATION.md).
STATIC_FUZZY_GATE = 0.70

#: Titles carry extra words ("Allround timmerman bij groeiend bedrijf"), so occupations use WRatio's
#: partial matching; skills and certificates are short phrases, where partial matching lets a short
#: label match inside an unrelated one, so they compare whole token sets.
#: A label is scored by the best of its kind's scorers.
SCORERS = {
    "occupation": (fuzz.WRatio,),
    "skill": (fuzz.token_sort_ratio, fuzz.ratio),
    "certificate": (fuzz.token_sort_ratio, fuzz.ratio),
}


#: A kind with more labels than this (the full ESCO taxonomy: some 53,000 occupation and 98,000 skill
#: labels against the built-in taxonomy's hundreds) scores a text only against a shortlist of labels:
#: those sharing the most character trigrams with it (:class:`_Shortlist`).
SHORTLIST_FROM = 5_000
#: Labels on a text's shortlist: half by trigram cosine, half by the share of a label's trigrams the
#: text holds (a short label inside a long title).
SHORTLIST_SIZE = 128
_SHORTLIST_CHUNK = 128
COMMON_TRIGRAM = 0.1  # a trigram in more than this share of the labels does not search  # texts per sparse product


def _cdist(queries: list[str], labels: list[str], kind: Kind, workers: int = -1) -> np.ndarray:
    scores = [process.cdist(queries, labels, scorer=s, workers=workers, dtype=np.uint8) for s in SCORERS[kind]]
    return np.asarray(np.maximum.reduce(scores))


@lru_cache(maxsize=2**17)
def _word_trigrams(word: str) -> tuple[str, ...]:
    """A word's character trigrams with a space on either side (``" ab"``, ``"ab "`` for ``ab``)."""
    padded = f" {word} "
    return tuple(padded[i : i + 3] for i in range(len(padded) - 2))


class _Trigrams:
    """TF-IDF of character trigrams within words, fitted on the labels; each distinct word is cut up
    once (labels share most of their words)."""

    def __init__(self, labels: list[str]) -> None:
        self.ids: dict[str, int] = {}
        counts = self._counts(labels, grow=True)
        self.df = np.bincount(counts.indices, minlength=len(self.ids))
        self.idf = (np.log((1.0 + len(labels)) / (1.0 + self.df)) + 1.0).astype(np.float32)
        self.labels = counts

    def _counts(self, texts: list[str], *, grow: bool = False) -> sparse.csr_matrix:
        """Texts × trigrams, how often each text holds each (as the sum of its words' counts)."""
        split = [t.split() for t in texts]
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(w) for w in split])
        word_ids, words = pd.factorize(np.fromiter(chain.from_iterable(split), dtype=object, count=int(indptr[-1])))
        by_word = sparse.csr_matrix(
            (np.ones(len(word_ids), dtype=np.float32), word_ids, indptr), shape=(len(texts), len(words))
        )
        w_indptr, w_indices = [0], []
        for word in words:
            for gram in _word_trigrams(str(word)):
                j = self.ids.setdefault(gram, len(self.ids)) if grow else self.ids.get(gram)
                if j is not None:
                    w_indices.append(j)
            w_indptr.append(len(w_indices))
        grams = sparse.csr_matrix(
            (np.ones(len(w_indices), dtype=np.float32), w_indices, w_indptr), shape=(len(words), len(self.ids))
        )
        m = (by_word @ grams).tocsr()
        m.sum_duplicates()
        return m

    def weighted(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Counts weighted by idf, rows of unit length."""
        m = counts.multiply(self.idf[np.newaxis, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)).dot(m), dtype=np.float32)


class _Shortlist:
    """The labels most likely to score best against a text, found by sparse products of trigrams.

    The kind's scorers then compare the text with its shortlist only, the labels in their index
    order, so a tie goes to the first label as over all labels: whenever the best label is on the
    shortlist, the match is the one a comparison with every label finds. (The confidence of a text
    that matches nothing is the best score on its shortlist, which may lie below the best over all.)
    """

    def __init__(self, labels: list[str]) -> None:
        self.trigrams = _Trigrams(labels)
        counts = self.trigrams.labels
        present = counts.copy()
        present.data[:] = 1.0
        size = np.maximum(np.asarray(present.sum(axis=1)).ravel(), 1.0)
        # the labels a trigram in most labels brings adds nothing to a shortlist but time: searched
        # by the rarer trigrams only (a text with none compares with every label)
        common = self.trigrams.df > COMMON_TRIGRAM * len(labels)
        keep = sparse.diags((~common).astype(np.float32))
        self.cosine = (self.trigrams.weighted(counts) @ keep).T.tocsr()
        self.contained = sparse.csr_matrix((sparse.diags(1.0 / size) @ present @ keep).T, dtype=np.float32)

    def rows(self, queries: list[str]) -> list[np.ndarray]:
        """Per text, the label rows of its shortlist, ascending (labels sharing no trigram never)."""
        out: list[np.ndarray] = []
        for lo in range(0, len(queries), _SHORTLIST_CHUNK):
            counts = self.trigrams._counts(queries[lo : lo + _SHORTLIST_CHUNK])
            present = counts.copy()
            present.data[:] = 1.0
            by_cosine = (self.trigrams.weighted(counts) @ self.cosine).tocsr()
            by_share = (present @ self.contained).tocsr()
            for i in range(counts.shape[0]):
                out.append(np.union1d(_top(by_cosine, i), _top(by_share, i)))
        return out


def _top(m: sparse.csr_matrix, row: int) -> np.ndarray:
    """The columns of the ``SHORTLIST_SIZE // 2`` largest stored values of a row (all when fewer)."""
    lo, hi = m.indptr[row], m.indptr[row + 1]
    columns, values = m.indices[lo:hi], m.data[lo:hi]
    half = SHORTLIST_SIZE // 2
    if len(values) <= half:
        return np.asarray(columns, dtype=np.int64)
    return np.asarray(columns[np.argpartition(-values, half - 1)[:half]], dtype=np.int64)


def _best(queries: list[str], labels: list[str], kind: Kind, shortlist: _Shortlist | None) -> list[tuple[int, float]]:
    """Per text, the row of its best label and that label's score (0..100): over every label, or
    over the text's shortlist when there is one."""
    if shortlist is None:
        scores = _cdist(queries, labels, kind)
        best = scores.argmax(axis=1)
        return [(int(j), float(row[j])) for j, row in zip(best, scores, strict=True)]
    out = []
    for query, found in zip(queries, shortlist.rows(queries), strict=True):
        rows = found if len(found) else np.arange(len(labels))  # no trigram in common: every label
        scores = _cdist([query], [labels[j] for j in rows], kind, workers=1)[0]
        j = int(scores.argmax())
        out.append((int(rows[j]), float(scores[j])))
    return out


@dataclass(frozen=True, slots=True)
class Match:
    """The concept a text was normalised to, or ``code=None`` when nothing fits well enough."""

    text: str
    code: str | None
    confidence: float


@dataclass(frozen=True)
class _Index:
    """A taxonomy's cleaned labels per kind, with their codes, as a look-up and as shortlists."""

    labels: dict[Kind, tuple[list[str], np.ndarray]]
    exact: dict[Kind, dict[str, str]]
    shortlists: dict[Kind, _Shortlist]
    #: per skill, how many occupations list it (optional ones counted ``OPTIONAL_WEIGHT``)
    listed: dict[str, float]


def _listed(taxonomy: Taxonomy) -> dict[str, float]:
    listed: dict[str, float] = {}
    for profiles, weight in ((taxonomy.essential, 1.0), (taxonomy.optional, OPTIONAL_WEIGHT)):
        for skill in chain.from_iterable(profiles.values()):
            listed[skill] = listed.get(skill, 0.0) + weight
    return listed


def _build_index(taxonomy: Taxonomy) -> _Index:
    labels: dict[Kind, tuple[list[str], np.ndarray]] = {}
    exact: dict[Kind, dict[str, str]] = {}
    shortlists: dict[Kind, _Shortlist] = {}
    for kind in ("occupation", "skill", "certificate"):
        cleaned, codes = label_index(taxonomy, kind)
        labels[kind] = (cleaned, np.array(codes, dtype=object))
        exact[kind] = dict(zip(cleaned, codes, strict=True))
        if len(cleaned) > SHORTLIST_FROM:
            shortlists[kind] = _Shortlist(cleaned)
    return _Index(labels, exact, shortlists, _listed(taxonomy))


_INDEXES: dict[tuple[int, int], tuple[weakref.ref[Taxonomy], _Index]] = {}
_INDEXES_LOCK = threading.Lock()


def _index_of(taxonomy: Taxonomy) -> _Index:
    """The label index of ``taxonomy``, built once per taxonomy object while it lives: every
    normaliser of it (a server prepares each region with the same taxonomy) shares it read-only."""
    key = (id(taxonomy), SHORTLIST_FROM)
    with _INDEXES_LOCK:
        hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is taxonomy:
        return hit[1]
    index = _build_index(taxonomy)
    with _INDEXES_LOCK:
        _INDEXES[key] = (weakref.ref(taxonomy, lambda _, k=key: _INDEXES.pop(k, None)), index)  # type: ignore[misc]
    return index


#: Distinct texts (of every kind together) whose matches a normaliser keeps, the least recently used
#: forgotten first: at most some 40 MB (about 300 bytes a text of 30 characters). A synthetic dataset
#: of 100,000 candidates and 20,000 vacancies holds 2,000 distinct texts; a server keeps one normaliser
#: for every dataset it prepares.
CACHE_SIZE = 2**17

_Key = tuple[Kind, bool, str]


class _Recent:
    """The matches of the ``size`` texts most recently normalised; shared safely between threads (a
    server prepares its regions side by side with one normaliser)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._matches: OrderedDict[_Key, Match] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> tuple[int, OrderedDict[_Key, Match]]:
        """Pickled (a prepared dataset goes to Dask's workers with its normaliser) without the lock."""
        with self._lock:
            return self.size, self._matches.copy()

    def __setstate__(self, state: tuple[int, OrderedDict[_Key, Match]]) -> None:
        self.size, self._matches = state
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._matches)

    def __contains__(self, key: _Key) -> bool:
        return key in self._matches

    def get(self, kind: Kind, title: bool, texts: Iterable[str]) -> dict[str, Match]:
        """The kept matches of ``texts`` by text, each now the most recently used."""
        found: dict[str, Match] = {}
        matches, touch = self._matches, self._matches.move_to_end
        with self._lock:
            for text in texts:
                key = (kind, title, text)
                match = matches.get(key)
                if match is not None:
                    touch(key)
                    found[text] = match
        return found

    def keep(self, kind: Kind, title: bool, matches: Mapping[str, Match]) -> None:
        """Keep ``matches`` (by text) as the most recently used, forgetting the least recently used beyond ``size``."""
        with self._lock:
            for text, match in matches.items():
                key = (kind, title, text)
                self._matches[key] = match
                self._matches.move_to_end(key)
            while len(self._matches) > self.size:
                self._matches.popitem(last=False)


class Normaliser:
    """Maps free text to taxonomy codes; keeps the matches of the ``cache_size`` texts most recently used."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        semantic: Mapping[Kind, SemanticIndex] | None = None,
        semantic_threshold: float = SEMANTIC_THRESHOLD,
        lexicon: Lexicon | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.taxonomy = taxonomy
        self.threshold = threshold
        index = _index_of(taxonomy)
        self._labels, self._exact, self._shortlists = index.labels, index.exact, index.shortlists
        self._listed = index.listed
        self._priors: dict[Kind, np.ndarray | None] = {}
        self.semantic: dict[Kind, SemanticIndex] = dict(semantic or {})
        self.semantic_threshold = semantic_threshold
        self.lexicon = lexicon if lexicon is not None else Lexicon.builtin()
        self._labels_of: dict[Kind, dict[str, list[str]]] = {}
        self._recent = _Recent(cache_size)

    def _clean(self, text: str, kind: Kind, title: bool) -> str:
        return clean_title(text) if title else clean_label(text)

    def _exact_code(self, text: str, kind: Kind, cleaned: str) -> str | None:
        code = self.taxonomy.resolve(text.strip(), kind)
        return code if code is not None else self._exact[kind].get(cleaned)

    def normalise(self, texts: Iterable[str], kind: Kind, *, title: bool = False) -> list[Match]:
        """Normalise each text; ``title=True`` first strips gender tags, hours and filler words."""
        texts = list(texts)
        known = self._recent.get(kind, title, texts)
        found: dict[str, Match] = {}  # the texts worked out now
        todo: dict[str, str] = {}
        for t in texts:
            if t not in known and t not in found and t not in todo:
                cleaned = self._clean(t, kind, title)
                code = self._exact_code(t, kind, cleaned)
                if code is not None:
                    found[t] = Match(t, code, 1.0)
                elif not cleaned:
                    found[t] = Match(t, None, 0.0)
                else:
                    todo[t] = cleaned
        if todo:
            labels, codes = self._labels[kind]
            queries = list(todo.values())
            unplaced: dict[str, str] = {}  # text -> cleaned: the fuzzy scorers found no label close enough
            if labels:
                best = _best(queries, labels, kind, self._shortlists.get(kind))
                for (text, cleaned), (j, score) in zip(todo.items(), best, strict=True):
                    confidence = score / 100.0
                    if confidence >= self.threshold:
                        found[text] = Match(text, str(codes[j]), confidence)
                    else:
                        found[text] = Match(text, None, confidence)
                        unplaced[text] = cleaned
            else:
                for text, cleaned in todo.items():
                    found[text] = Match(text, None, 0.0)
                    unplaced[text] = cleaned
            if unplaced and kind in self.semantic:
                fused = self._fused(list(unplaced.values()), kind, 1)
                for text, (ranked, confidence) in zip(unplaced, fused, strict=True):
                    code = ranked[0][0] if ranked and confidence >= self.semantic_threshold else None
                    found[text] = Match(text, code, confidence)
        if found:
            self._recent.keep(kind, title, found)
            known.update(found)
        return [known[t] for t in texts]

    def code(self, text: str, kind: Kind, *, title: bool = False) -> str | None:
        return self.normalise([text], kind, title=title)[0].code

    def top(self, text: str, kind: Kind, k: int = 5, *, title: bool = False) -> list[tuple[str, float]]:
        """The ``k`` best distinct concepts for ``text`` with their scores (0..1), best first."""
        return self.tops([text], kind, k, title=title)[0]

    def tops(
        self, texts: Iterable[str], kind: Kind, k: int = 5, *, title: bool = False
    ) -> list[list[tuple[str, float]]]:
        """:meth:`top` of each text; the texts a semantic index compares are embedded in one batch."""
        texts = list(texts)
        cleaned = [self._clean(text, kind, title) for text in texts]
        exact = [self._exact_code(text, kind, c) for text, c in zip(texts, cleaned, strict=True)]
        labels, codes = self._labels[kind]
        outs: list[dict[str, float]] = [{code: 1.0} if code else {} for code in exact]
        if kind in self.semantic:
            distinct = list(dict.fromkeys(c for c in cleaned if c))
            fused = dict(zip(distinct, self._fused(distinct, kind, k, static=True), strict=True))
            for out, c in zip(outs, cleaned, strict=True):
                for code, score in fused[c][0] if c else ():
                    out.setdefault(code, score)
            return [list(out.items())[:k] for out in outs]
        for out, c in zip(outs, cleaned, strict=True):
            if c and labels:
                scores = _cdist([c], labels, kind)[0]
                for j in np.argsort(-scores.astype(np.int16), kind="stable")[: max(50, 10 * k)]:  # uint8 would wrap
                    out.setdefault(str(codes[j]), float(scores[j]) / 100.0)
                    if len(out) >= k:
                        break
        return [sorted(out.items(), key=lambda kv: -kv[1])[:k] for out in outs]

    def _fuzzy_scores(self, query: str, pool: list[str], kind: Kind) -> dict[str, float]:
        """The fuzzy score (0..1) of the best label of each code of ``pool`` against ``query``."""
        labels_of = self._labels_of.get(kind)
        if labels_of is None:
            labels_of = {}
            labels, codes = self._labels[kind]
            for label, code in zip(labels, codes, strict=True):
                labels_of.setdefault(str(code), []).append(label)
            self._labels_of[kind] = labels_of
        labels = [label for code in pool for label in labels_of.get(code, ())]
        if not labels:
            return {}
        owners = [code for code in pool for _ in labels_of.get(code, ())]
        scores = _cdist([query], labels, kind, workers=1)[0]  # a few hundred labels: threads would cost more
        best: dict[str, int] = {}
        for owner, score in zip(owners, scores, strict=True):
            best[owner] = max(best.get(owner, 0), int(score))
        return {code: score / 100.0 for code, score in best.items()}

    def _occupation_prior(self, kind: Kind) -> np.ndarray | None:
        """Per concept of the kind's semantic index, ``OCCUPATION_PRIOR`` x log(1 + the occupations listing
        it); None when no occupation lists any of them (no profiles, or a kind other than skills)."""
        if kind not in self._priors:
            listed = np.array([self._listed.get(code, 0.0) for code in self.semantic[kind].codes])
            self._priors[kind] = OCCUPATION_PRIOR * np.log1p(listed) if listed.any() else None
        return self._priors[kind]

    def _fused(
        self, queries: list[str], kind: Kind, k: int, *, static: bool = False
    ) -> list[tuple[list[tuple[str, float]], float]]:
        """Per cleaned query, the ``k`` best concepts of the semantic and fuzzy scores fused, each with its
        cosine similarity to the query, and the confidence in the best one.

        With ``static`` and a static stage in the index, the English queries it ranks well enough are
        ranked by their static vectors (:meth:`_by_static`), their cosines those of the static vector; the
        others by the model (:meth:`_by_model`). Only the model's cosine is a confidence that
        ``SEMANTIC_THRESHOLD`` was chosen for, so :meth:`normalise` never asks the static stage.
        """
        out: dict[int, tuple[list[tuple[str, float]], float]] = {}
        index = self.semantic[kind]
        if static and index.static is not None:
            out = self._by_static(queries, kind, k)
        rest = [i for i in range(len(queries)) if i not in out]
        out.update(zip(rest, self._by_model([queries[i] for i in rest], kind, k), strict=True))
        return [out[i] for i in range(len(queries))]

    def _by_static(self, queries: list[str], kind: Kind, k: int) -> dict[int, tuple[list[tuple[str, float]], float]]:
        """By query position, the fused ranking of the English queries whose ``FUSION_DEPTH`` nearest
        concepts by static vector include one with a label of a fuzzy score of ``STATIC_FUZZY_GATE`` or
        more; the other queries are left out."""
        index = self.semantic[kind]
        static = index.static
        english = [i for i, query in enumerate(queries) if not self.lexicon.is_dutch(query)]
        if static is None or not english:
            return {}
        found = index.nearest(static.encode([queries[i] for i in english]), FUSION_DEPTH)
        out: dict[int, tuple[list[tuple[str, float]], float]] = {}
        for i, hits in zip(english, found, strict=True):
            fuzzy = self._fuzzy_scores(queries[i], [code for code, _ in hits], kind)
            if hits and max(fuzzy.values(), default=0.0) >= STATIC_FUZZY_GATE:
                ranked = fuse(hits, fuzzy, k, FUZZY_WEIGHT)
                out[i] = (ranked, ranked[0][1])
        return out

    def _by_model(self, queries: list[str], kind: Kind, k: int) -> list[tuple[list[tuple[str, float]], float]]:
        """Per cleaned query, :meth:`_fused`'s answer by the model.

        The semantic index proposes ``FUSION_DEPTH`` concepts; the fuzzy scorers score the same concepts
        by their labels; each is ranked by its cosine plus ``FUZZY_WEIGHT`` times its fuzzy score. Fuzzy
        matching over every label of a large taxonomy would cost ten times as much per text.

        A Dutch text (:meth:`Lexicon.is_dutch`) is compared by meaning alone: a concept scores the mean of
        its cosine to the text and to the text's English gloss (:meth:`Lexicon.gloss`), each by the
        concept's nearest text, and is ranked by that score plus its occupation prior
        (``OCCUPATION_PRIOR``). ESCO's skill labels are English, so characters in common with a Dutch
        text say little, and the model places English text nearer them than Dutch.
        """
        if not queries:
            return []
        index = self.semantic[kind]
        dutch = np.array([self.lexicon.is_dutch(query) for query in queries], dtype=bool)
        glosses = [self.lexicon.gloss(query) for query, is_dutch in zip(queries, dutch, strict=True) if is_dutch]
        vectors = index.encoder.encode(queries + glosses)
        found: list[list[tuple[str, float]]] = [[] for _ in queries]
        english = np.flatnonzero(~dutch)
        for i, hits in zip(english, index.nearest(vectors[english], FUSION_DEPTH), strict=True):
            found[i] = hits
        if dutch.any():
            rows = np.flatnonzero(dutch)
            prior = self._occupation_prior(kind)
            blended = index.nearest_mean(vectors[rows], vectors[len(queries) :], FUSION_DEPTH, prior)
            for i, hits in zip(rows, blended, strict=True):
                found[i] = hits
        out: list[tuple[list[tuple[str, float]], float]] = []
        for query, is_dutch, hits in zip(queries, dutch, found, strict=True):
            if not hits:
                out.append(([], 0.0))
                continue
            if is_dutch:
                ranked = hits[:k]
            else:
                ranked = fuse(hits, self._fuzzy_scores(query, [code for code, _ in hits], kind), k, FUZZY_WEIGHT)
            out.append((ranked, ranked[0][1]))
        return out
