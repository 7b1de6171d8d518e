"""Semantic retrieval of taxonomy concepts: free text and concept labels compared as sentence embeddings.

A :class:`SemanticIndex` holds one unit vector per embedded text of a kind's concepts (see
:func:`label_texts`: the preferred label and the built-in taxonomy's labels of the same concept) and
answers, for a batch of query vectors, the concepts whose best text is nearest by inner product
(exact, with numpy). The
vectors come from an :class:`Encoder`, a sentence-embedding model that the engine never loads itself:
the ``api`` side loads the optional model, caches the label vectors on disk keyed by
:func:`fingerprint`, and hands both to :class:`matching.normalise.Normaliser`.

:func:`fuse` combines each candidate's cosine similarity with its fuzzy score into one ranking.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Protocol

import numpy as np
from threadpoolctl import ThreadpoolController

from matching.static import StaticEmbedding
from matching.taxonomy import Kind, Taxonomy

#: Fewer query vectors than this are compared on one BLAS thread: a product this small is bound by
#: reading the label vectors, and waking the other threads cost more CPU than it saved.
BLAS_THREADS_FROM = 16


#: With a coarse product (:class:`CoarseProduct`), the concepts a single query re-scores exactly: the
#: coarse top this many. The answer is the same for any number (a query whose exact top k cannot be shown
#: to lie among them is searched exactly); with int8 products against the 13,896 ESCO skills it could be
#: shown for 326 of 366 validation spans' top 50 at 256, 364 at 384 and all at 512.
COARSE_CANDIDATES = 512
#: Groups of query vectors compared exactly at a time: a similarity matrix of 256 x 13,896 ESCO skills
#: is 14 MB, one of every text of a large file would not fit in memory.
EXACT_GROUPS = 256


class CoarseProduct(Protocol):
    """Inner products of query vectors with every label vector of an index, one row per query, each
    within ``error`` of the exact one: cheaper than the exact product (fewer bytes read per label)."""

    @property
    def error(self) -> float: ...

    def __call__(self, queries: np.ndarray) -> np.ndarray: ...


@cache
def _blas() -> ThreadpoolController:
    """The process's BLAS and other thread pools, found once: ``threadpool_limits`` looks them up on every
    call (about 1 ms of CPU, as much as the product of one query with 14,642 label vectors)."""
    return ThreadpoolController()


class Encoder(Protocol):
    """A sentence-embedding model: texts to unit vectors (float32), one row per text.

    ``encode`` embeds the texts looked up, ``encode_labels`` the concept labels they are compared with
    (a model trained with query and passage prefixes embeds the two differently).
    """

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray: ...


def label_texts(taxonomy: Taxonomy, kind: Kind) -> tuple[list[str], list[str]]:
    """The texts embedded for ``kind``: each concept's preferred label, then the labels and synonyms of
    the built-in concept with the same ESCO URI (Dutch and English); a built-in concept (one the
    built-in taxonomy has by the same code) with every label the loaded taxonomy gives it, so the
    built-in taxonomy with ESCO's English labels (``KOPPELAAR_ESCO``) embeds those labels too.

    An ESCO export has far more alternative labels than preferred ones (97,483 against 13,896 skills);
    encoding them all would take minutes, and the preferred label alone already places the concept.
    Returns the texts and, parallel to them, the code of the concept each belongs to; a concept's texts
    are consecutive, in the taxonomy's concept order.
    """
    builtin = _builtin_labels(kind)
    builtin_codes = _builtin_codes(kind)
    texts: list[str] = []
    owners: list[str] = []
    for concept in taxonomy.of_kind(kind):
        own = [concept.label, *builtin.get(concept.uri or concept.code, ()), *builtin.get(concept.code, ())]
        if concept.code in builtin_codes:
            own.extend(concept.labels)
        own = list(dict.fromkeys(label.strip() for label in own if label.strip()))
        texts.extend(own)
        owners.extend([concept.code] * len(own))
    return texts, owners


@cache
def _builtin_codes(kind: Kind) -> frozenset[str]:
    return frozenset(concept.code for concept in Taxonomy.builtin().of_kind(kind))


@cache
def _builtin_labels(kind: Kind) -> dict[str, tuple[str, ...]]:
    """Every label of each built-in concept of ``kind``, by its ESCO URI (or its own code when it has none)."""
    return {concept.uri or concept.code: concept.labels for concept in Taxonomy.builtin().of_kind(kind)}


def fingerprint(taxonomy: Taxonomy, kind: Kind, encoder_name: str) -> str:
    """A key for the cached label vectors: the encoder's name and every embedded text with its concept."""
    texts, owners = label_texts(taxonomy, kind)
    digest = hashlib.sha256(encoder_name.encode())
    for text, owner in zip(texts, owners, strict=True):
        digest.update(owner.encode() + b"\x1f" + text.encode() + b"\x1e")
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class SemanticIndex:
    """Label vectors of one kind's concepts, searched by exact inner product.

    ``vectors`` has one unit row per text of :func:`label_texts`; ``starts`` the first row of each
    concept in ``codes`` (rows of one concept are consecutive). With a ``coarse`` product a few
    queries are searched in two steps, with the same result (:meth:`nearest`). ``static`` embeds a text
    near the encoder's space without running the model (:mod:`matching.static`), for a first stage.
    """

    kind: Kind
    encoder: Encoder
    vectors: np.ndarray
    codes: tuple[str, ...]
    starts: np.ndarray
    coarse: CoarseProduct | None = None
    static: StaticEmbedding | None = None

    @staticmethod
    def build(taxonomy: Taxonomy, kind: Kind, encoder: Encoder, vectors: np.ndarray | None = None) -> SemanticIndex:
        """The index of ``kind``; ``vectors`` are the label vectors when known (e.g. from a cache), else encoded."""
        texts, owners = label_texts(taxonomy, kind)
        if vectors is None:
            vectors = encoder.encode_labels(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} label vectors for {len(texts)} {kind} labels: the cache is stale")
        codes: list[str] = []
        starts: list[int] = []
        for row, owner in enumerate(owners):
            if not codes or codes[-1] != owner:
                codes.append(owner)
                starts.append(row)
        return SemanticIndex(
            kind, encoder, np.ascontiguousarray(vectors, dtype=np.float32), tuple(codes), np.array(starts, np.intp)
        )

    def __len__(self) -> int:
        return len(self.codes)

    def nearest(self, query_vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Per query vector, the ``k`` concepts with the nearest text, with that cosine similarity
        (equal ones in the order of ``codes``)."""
        return self._nearest(np.asarray(query_vectors)[:, np.newaxis, :], k)

    def nearest_mean(
        self, first: np.ndarray, second: np.ndarray, k: int, bias: np.ndarray | None = None
    ) -> list[list[tuple[str, float]]]:
        """Per row, the ``k`` concepts by the mean of their cosine to the row of ``first`` and to the row of
        ``second`` (each by the concept's nearest text), with that mean; with a ``bias`` (one value per
        concept of ``codes``) ranked by the mean plus the concept's bias, still reported with the mean."""
        return self._nearest(np.stack([first, second], axis=1), k, bias)

    def _nearest(self, groups: np.ndarray, k: int, bias: np.ndarray | None = None) -> list[list[tuple[str, float]]]:
        """Per group of query vectors (``groups``: groups x vectors x dimensions), the ``k`` concepts by the
        mean of their cosines to the group's vectors (plus ``bias``, per concept, when given).

        With a ``coarse`` product, fewer than ``BLAS_THREADS_FROM`` query vectors are searched group by
        group in two steps (:meth:`_two_step`): a product this small is bound by reading the label
        vectors, and the coarse one reads fewer bytes. The others are compared with every label vector
        exactly.
        """
        n = len(self.codes)
        if not n or not len(groups):
            return [[] for _ in range(len(groups))]
        groups = np.ascontiguousarray(groups, dtype=np.float32)
        small = groups.shape[0] * groups.shape[1] < BLAS_THREADS_FROM
        if self.coarse is not None and small and n > COARSE_CANDIDATES >= k:
            with _blas().limit(limits=1, user_api="blas"):
                found = [self._two_step(self.coarse, group, k, bias) for group in groups]
            if all(hits is not None for hits in found):
                return [hits for hits in found if hits is not None]
            exact = self.best(self._mean_similarities(groups), k, bias)
            return [hits if hits is not None else exact[i] for i, hits in enumerate(found)]
        return [
            hits
            for lo in range(0, len(groups), EXACT_GROUPS)
            for hits in self.best(self._mean_similarities(groups[lo : lo + EXACT_GROUPS]), k, bias)
        ]

    def _mean_similarities(self, groups: np.ndarray) -> np.ndarray:
        """Groups x concepts: the mean of each concept's cosine similarities to a group's vectors."""
        count, size, dimensions = groups.shape
        similarities = self.similarities(groups.reshape(count * size, dimensions))
        return similarities.reshape(count, size, -1).mean(axis=1) if size > 1 else similarities

    def _two_step(
        self, coarse_product: CoarseProduct, group: np.ndarray, k: int, bias: np.ndarray | None = None
    ) -> list[tuple[str, float]] | None:
        """The ``k`` nearest concepts of one group of query vectors (by the mean of their cosines, plus
        ``bias``): the ``COARSE_CANDIDATES`` best by the coarse product, re-scored exactly. ``None`` when
        that cannot be shown to be the exact answer: when a concept left out could, within the coarse
        product's error, score above the ``k``-th candidate's exact score (the bias is the same in both)."""
        n, starts = len(self.codes), self.starts
        coarse = coarse_product(group)
        if len(self.vectors) > n:
            coarse = np.maximum.reduceat(coarse, starts, axis=1)
        coarse = coarse.mean(axis=0) if len(group) > 1 else coarse[0]
        if bias is not None:
            coarse = coarse + bias
        candidates = np.argpartition(coarse, n - COARSE_CANDIDATES)[n - COARSE_CANDIDATES :]
        lengths = self._lengths[candidates]
        firsts = np.cumsum(lengths) - lengths  # each candidate's first row among the rows gathered
        rows = np.arange(int(lengths.sum())) - np.repeat(firsts - starts[candidates], lengths)
        gathered = self.vectors[rows]
        if len(group) > 1:
            cosines = np.maximum.reduceat(gathered @ group.T, firsts, axis=0).mean(axis=1)
        else:
            cosines = np.maximum.reduceat(gathered @ group[0], firsts)
        ranking = cosines if bias is None else cosines + bias[candidates]
        best = np.lexsort((candidates, -ranking))[:k]
        if coarse[candidates].min() + coarse_product.error >= ranking[best[-1]]:
            return None
        return [
            (self.codes[j], cosine) for j, cosine in zip(candidates[best].tolist(), cosines[best].tolist(), strict=True)
        ]

    @cached_property
    def _lengths(self) -> np.ndarray:
        """How many texts each concept has."""
        return np.diff(self.starts, append=len(self.vectors))

    def similarities(self, query_vectors: np.ndarray) -> np.ndarray:
        """Queries x concepts: each concept's cosine similarity to a query by its nearest text."""
        n = len(self.codes)
        if not n or not len(query_vectors):
            return np.zeros((len(query_vectors), n), dtype=np.float32)
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if len(queries) < BLAS_THREADS_FROM:
            with _blas().limit(limits=1, user_api="blas"):
                sims = queries @ self.vectors.T
        else:
            sims = queries @ self.vectors.T
        if len(self.vectors) > n:  # some concepts have several texts: each scores its best
            sims = np.maximum.reduceat(sims, self.starts, axis=1)
        return np.asarray(sims)

    def best(self, similarities: np.ndarray, k: int, bias: np.ndarray | None = None) -> list[list[tuple[str, float]]]:
        """Per row of ``similarities`` (queries x concepts), the ``k`` concepts scoring highest, highest first
        (equal ones in the order of ``codes``), each with its similarity; with a ``bias`` (per concept)
        ranked by the similarity plus the bias."""
        n = len(self.codes)
        if not n or not len(similarities):
            return [[] for _ in range(len(similarities))]
        k = min(k, n)
        ranking = similarities if bias is None else similarities + bias
        top = np.argpartition(ranking, n - k, axis=1)[:, n - k :]
        order = np.lexsort((top, -np.take_along_axis(ranking, top, axis=1)), axis=1)
        best = np.take_along_axis(top, order, axis=1)
        columns = best.tolist()
        cosines = np.take_along_axis(similarities, best, axis=1).tolist()
        codes = self.codes
        return [
            [(codes[j], cosine) for j, cosine in zip(row, values, strict=True)]
            for row, values in zip(columns, cosines, strict=True)
        ]

    def search(self, texts: Sequence[str], k: int) -> list[list[tuple[str, float]]]:
        """Per text, the ``k`` nearest concepts with their cosine similarity, nearest first."""
        if not texts:
            return []
        return self.nearest(self.encoder.encode(texts), k)


def fuse(
    cosines: Sequence[tuple[str, float]], fuzzy: Mapping[str, float], k: int, fuzzy_weight: float
) -> list[tuple[str, float]]:
    """The ``k`` best codes of ``cosines`` ordered by cosine + ``fuzzy_weight`` x fuzzy score, each with its cosine.

    ``cosines`` are the semantic candidates with their cosine similarity to the text; ``fuzzy`` the fuzzy
    score (0..1) of a candidate's best label (absent: 0). Scores are added, not ranks: a model's cosines
    sit in a narrow band, and a fuzzy score moves a candidate only past those whose cosine is close.
    Ties keep the order of ``cosines``.
    """
    order = sorted(range(len(cosines)), key=lambda i: -(cosines[i][1] + fuzzy_weight * fuzzy.get(cosines[i][0], 0.0)))
    return [cosines[i] for i in order[:k]]
