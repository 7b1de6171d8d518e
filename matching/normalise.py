"""Normalisation of free text to taxonomy concepts with rapidfuzz, and semantically where an index is given.

Skills, certificates, occupations and job titles arrive as codes, ESCO URIs, Dutch or English labels,
synonyms, typos and titles like ``Timmerman (m/v) 36 uur``. :class:`Normaliser` maps each to a concept
code with a confidence in 0..1. A term with no match above the threshold is kept as free text
(``code=None``): the features still compare it fuzzily. For a kind with a
:class:`~matching.semantic.SemanticIndex`, the semantic ranking and the fuzzy one are fused
(docs/NORMALISATION.md).

Every distinct text is resolved once per normaliser (a dataset repeats the same labels many times).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from matching.semantic import SemanticIndex, fuse
from matching.taxonomy import Kind, Taxonomy, label_index
from matching.text import clean_label, clean_title

DEFAULT_THRESHOLD = 0.86
#: With a semantic index: how many concepts it proposes for the fuzzy scorers to re-rank, and the
#: weight of the fuzzy ranking in the fusion (the semantic one weighs 1). Chosen on the even-numbered
#: skill validation spans (docs/NORMALISATION.md): fuzzy ranks at equal weight lowered acc@1.
FUSION_DEPTH = 50
FUZZY_WEIGHT = 0.1
#: With a semantic index, the least confidence (the cosine similarity of the text and the best
#: concept's nearest text) at which a text is taken as that concept: 92% of the kept even-numbered
#: skill validation spans were right at 0.85 (a third of them kept).
SEMANTIC_THRESHOLD = 0.85

#: Titles carry extra words ("Allround timmerman bij groeiend bedrijf"), so occupations use WRatio's
#: partial matching; skills and certificates are short phrases, where partial matching lets a short
#: label match inside an unrelated one, so they compare whole token sets.
#: A label is scored by the best of its kind's scorers.
SCORERS = {
    "occupation": (fuzz.WRatio,),
    "skill": (fuzz.token_sort_ratio, fuzz.ratio),
    "certificate": (fuzz.token_sort_ratio, fuzz.ratio),
}


def _cdist(queries: list[str], labels: list[str], kind: Kind) -> np.ndarray:
    scores = [process.cdist(queries, labels, scorer=s, workers=-1, dtype=np.uint8) for s in SCORERS[kind]]
    return np.asarray(np.maximum.reduce(scores))


@dataclass(frozen=True, slots=True)
class Match:
    """The concept a text was normalised to, or ``code=None`` when nothing fits well enough."""

    text: str
    code: str | None
    confidence: float


class Normaliser:
    """Maps free text to taxonomy codes; caches every distinct text it has seen."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        semantic: Mapping[Kind, SemanticIndex] | None = None,
        semantic_threshold: float = SEMANTIC_THRESHOLD,
    ) -> None:
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.semantic: dict[Kind, SemanticIndex] = dict(semantic or {})
        self.semantic_threshold = semantic_threshold
        self._labels: dict[Kind, tuple[list[str], np.ndarray]] = {}
        self._exact: dict[Kind, dict[str, str]] = {}
        for kind in ("occupation", "skill", "certificate"):
            labels, codes = label_index(taxonomy, kind)
            self._labels[kind] = (labels, np.array(codes, dtype=object))
            self._exact[kind] = dict(zip(labels, codes, strict=True))
        self._labels_of: dict[Kind, dict[str, list[str]]] = {}
        self._cache: dict[tuple[Kind, bool, str], Match] = {}

    def _clean(self, text: str, kind: Kind, title: bool) -> str:
        return clean_title(text) if title else clean_label(text)

    def _exact_code(self, text: str, kind: Kind, cleaned: str) -> str | None:
        code = self.taxonomy.resolve(text.strip(), kind)
        return code if code is not None else self._exact[kind].get(cleaned)

    def normalise(self, texts: Iterable[str], kind: Kind, *, title: bool = False) -> list[Match]:
        """Normalise each text; ``title=True`` first strips gender tags, hours and filler words."""
        texts = list(texts)
        todo: dict[str, str] = {}
        for t in texts:
            if (kind, title, t) not in self._cache and t not in todo:
                cleaned = self._clean(t, kind, title)
                code = self._exact_code(t, kind, cleaned)
                if code is not None:
                    self._cache[(kind, title, t)] = Match(t, code, 1.0)
                elif not cleaned:
                    self._cache[(kind, title, t)] = Match(t, None, 0.0)
                else:
                    todo[t] = cleaned
        if todo and kind in self.semantic:
            for text, (ranked, confidence) in zip(todo, self._fused(list(todo.values()), kind, 1), strict=True):
                code = ranked[0][0] if ranked and confidence >= self.semantic_threshold else None
                self._cache[(kind, title, text)] = Match(text, code, confidence)
        elif todo:
            labels, codes = self._labels[kind]
            queries = list(todo.values())
            if labels:
                scores = _cdist(queries, labels, kind)
                best = scores.argmax(axis=1)
                for (text, _), j, row in zip(todo.items(), best, scores, strict=True):
                    confidence = float(row[j]) / 100.0
                    code = str(codes[j]) if confidence >= self.threshold else None
                    self._cache[(kind, title, text)] = Match(text, code, confidence)
            else:
                for text in todo:
                    self._cache[(kind, title, text)] = Match(text, None, 0.0)
        return [self._cache[(kind, title, t)] for t in texts]

    def code(self, text: str, kind: Kind, *, title: bool = False) -> str | None:
        return self.normalise([text], kind, title=title)[0].code

    def top(self, text: str, kind: Kind, k: int = 5, *, title: bool = False) -> list[tuple[str, float]]:
        """The ``k`` best distinct concepts for ``text`` with their scores (0..1), best first."""
        cleaned = self._clean(text, kind, title)
        exact = self._exact_code(text, kind, cleaned)
        labels, codes = self._labels[kind]
        out: dict[str, float] = {exact: 1.0} if exact else {}
        if cleaned and kind in self.semantic:
            for code, score in self._fused([cleaned], kind, k)[0][0]:
                out.setdefault(code, score)
            return list(out.items())[:k]
        if cleaned and labels:
            scores = _cdist([cleaned], labels, kind)[0]
            for j in np.argsort(-scores.astype(np.int16), kind="stable")[: max(50, 10 * k)]:  # uint8 would wrap
                out.setdefault(str(codes[j]), float(scores[j]) / 100.0)
                if len(out) >= k:
                    break
        return sorted(out.items(), key=lambda kv: -kv[1])[:k]

    def _fuzzy_ranking(self, query: str, pool: list[str], kind: Kind) -> list[str]:
        """The codes of ``pool`` ordered by their best label's fuzzy score against ``query``."""
        labels_of = self._labels_of.get(kind)
        if labels_of is None:
            labels_of = {}
            labels, codes = self._labels[kind]
            for label, code in zip(labels, codes, strict=True):
                labels_of.setdefault(str(code), []).append(label)
            self._labels_of[kind] = labels_of
        labels = [label for code in pool for label in labels_of.get(code, ())]
        if not labels:
            return []
        owners = [code for code in pool for _ in labels_of.get(code, ())]
        scores = _cdist([query], labels, kind)[0]
        best: dict[str, int] = {}
        for owner, score in zip(owners, scores, strict=True):
            best[owner] = max(best.get(owner, 0), int(score))
        return sorted(best, key=lambda code: -best[code])

    def _fused(self, queries: list[str], kind: Kind, k: int) -> list[tuple[list[tuple[str, float]], float]]:
        """Per cleaned query, the ``k`` best concepts of the semantic and fuzzy rankings fused, each with its
        cosine similarity to the query, and the confidence in the best one.

        The semantic index proposes ``FUSION_DEPTH`` concepts; the fuzzy scorers rank the same concepts
        by their labels; weighted reciprocal rank fusion orders them. Fuzzy matching over every label of a large
        taxonomy would cost ten times as much per text.
        """
        out: list[tuple[list[tuple[str, float]], float]] = []
        for query, hits in zip(queries, self.semantic[kind].search(queries, FUSION_DEPTH), strict=True):
            if not hits:
                out.append(([], 0.0))
                continue
            cosine = dict(hits)
            semantic = [code for code, _ in hits]
            fused = fuse([semantic, self._fuzzy_ranking(query, semantic, kind)], k, (1.0, FUZZY_WEIGHT))
            ranked = [(code, cosine[code]) for code, _ in fused]
            out.append((ranked, ranked[0][1]))
        return out
