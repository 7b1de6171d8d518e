"""Normalisation of free text to taxonomy concepts with rapidfuzz.

Skills, certificates, occupations and job titles arrive as codes, ESCO URIs, Dutch or English labels,
synonyms, typos and titles like ``Timmerman (m/v) 36 uur``. :class:`Normaliser` maps each to a concept
code with a confidence in 0..1. A term with no match above the threshold is kept as free text
(``code=None``): the features still compare it fuzzily.

Every distinct text is resolved once per normaliser (a dataset repeats the same labels many times).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from matching.taxonomy import Kind, Taxonomy, label_index
from matching.text import clean_label, clean_title

DEFAULT_THRESHOLD = 0.86

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

    def __init__(self, taxonomy: Taxonomy, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.taxonomy = taxonomy
        self.threshold = threshold
        self._labels: dict[Kind, tuple[list[str], np.ndarray]] = {}
        self._exact: dict[Kind, dict[str, str]] = {}
        for kind in ("occupation", "skill", "certificate"):
            labels, codes = label_index(taxonomy, kind)
            self._labels[kind] = (labels, np.array(codes, dtype=object))
            self._exact[kind] = dict(zip(labels, codes, strict=True))
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
        if todo:
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
        if cleaned and labels:
            scores = _cdist([cleaned], labels, kind)[0]
            for j in np.argsort(-scores.astype(np.int16), kind="stable")[: max(50, 10 * k)]:  # uint8 would wrap
                out.setdefault(str(codes[j]), float(scores[j]) / 100.0)
                if len(out) >= k:
                    break
        return sorted(out.items(), key=lambda kv: -kv[1])[:k]
