"""A Dutch→English word lexicon: Dutch free text glossed word by word in English, for the semantic index.

The semantic model places English text next to ESCO's English skill labels far better than Dutch text
(acc@5 0.8 against 0.46 on the development spans): ESCO's Dutch skill labels are not available, so a
Dutch text is compared as it is and as its English gloss (``Beheert gegevens`` → ``manage data``).

The lexicon is learned from parallel text (:func:`learn`: IBM Model 1, Dutch words as stems, English words
as written) and shipped as ``builtin/nl_en_words.csv`` (:meth:`Lexicon.builtin`; how it was made:
``python -m api.lexicon_io``). :meth:`Lexicon.is_dutch` tells Dutch text from English by which side of
the lexicon its words belong to.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from matching.text import fold

LEXICON_FILE = "nl_en_words.csv"
_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = "aeiou"
#: The shortest stem a suffix is cut down to (``zet`` keeps its ``t``).
_MIN_STEM = 3
#: A compound's parts are each at least this long (``teelt|plan``).
_MIN_PART = 3
_NULL = ""  # the English "word" a Dutch word with no English counterpart is aligned to


def words(text: str) -> list[str]:
    """The words of ``text``, folded (lower case, no accents), hyphens and digits splitting them."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=2**16)
def dutch_stem(word: str) -> str:
    """A crude Dutch stem that gives a verb's forms and a noun's singular and plural one key.

    One suffix (``-en``, ``-e``, ``-s``) is cut and then a final ``-t``, a doubled final consonant
    undoubled, a long vowel before the final consonant written single, and a final ``v``/``z`` as
    ``f``/``s``: ``beheert`` and ``beheren`` → ``beher``, ``bestelt`` and ``bestellen`` → ``bestel``,
    ``geeft`` and ``geven`` → ``gef``, ``gasten`` and ``gast`` → ``gas``.
    """
    for suffix in ("en", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    if word.endswith("t") and len(word) > _MIN_STEM:
        word = word[:-1]
    if len(word) >= 2 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    long_vowel = len(word) >= 4 and word[-2] == word[-3] and word[-2] in "aeou"
    if long_vowel and word[-1] not in _VOWELS and word[-4] not in _VOWELS:
        word = word[:-2] + word[-1]
    if word.endswith("v"):
        word = word[:-1] + "f"
    elif word.endswith("z"):
        word = word[:-1] + "s"
    return word


def learn(pairs: Iterable[tuple[str, str]], iterations: int = 8) -> dict[str, str]:
    """Each Dutch stem's most likely English word, from ``(dutch, english)`` pairs of parallel text.

    IBM Model 1 with English generating Dutch (each Dutch word aligned to one English word of its pair,
    or to none), fitted by expectation maximisation; a Dutch stem's translation is the English word
    ``e`` with the largest p(stem | e) x count(e), i.e. p(e | stem) up to a constant, among the English
    words (not the empty one, which stands for a Dutch word with no English counterpart).
    """
    data = [([dutch_stem(w) for w in words(nl)], [_NULL, *words(en)]) for nl, en in pairs]
    data = [(nl, en) for nl, en in data if nl and len(en) > 1]
    english_count = Counter(w for _, en in data for w in en)
    p: dict[tuple[str, str], float] = defaultdict(lambda: 1.0)  # p(dutch stem | english word)
    for _ in range(iterations):
        expected: dict[tuple[str, str], float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        for nl, en in data:
            for f in nl:
                norm = sum(p[(e, f)] for e in en)
                for e in en:
                    share = p[(e, f)] / norm
                    expected[(e, f)] += share
                    total[e] += share
        p = defaultdict(float, {(e, f): v / total[e] for (e, f), v in expected.items()})
    best: dict[str, tuple[float, str]] = {}
    for (e, f), v in p.items():
        if e == _NULL:
            continue
        score = v * english_count[e]
        if score > best.get(f, (0.0, ""))[0]:
            best[f] = (score, e)
    return {f: e for f, (_, e) in sorted(best.items())}


class Lexicon:
    """Dutch stems and their English word (:func:`learn`)."""

    def __init__(self, english_of: Mapping[str, str]) -> None:
        self.english_of = dict(english_of)
        self.english_words = frozenset(self.english_of.values())

    @staticmethod
    def builtin() -> Lexicon:
        """The lexicon shipped with this package (cached)."""
        return _builtin()

    @staticmethod
    def from_frame(frame: pd.DataFrame) -> Lexicon:
        """From a table with the columns ``dutch`` (a stem) and ``english``."""
        return Lexicon(dict(zip(frame["dutch"], frame["english"], strict=True)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"dutch": list(self.english_of), "english": list(self.english_of.values())})

    def is_dutch(self, text: str) -> bool:
        """Whether more of the words of ``text`` are Dutch than English: a word counts as Dutch when its
        stem is on the Dutch side of the lexicon and the word itself is no English translation there, as
        English the other way round (a word on both sides or neither counts for neither, and so do the
        parts of compounds, which English words split into as well: ``team|work``)."""
        dutch = english = 0
        for word in words(text):
            on_dutch_side = dutch_stem(word) in self.english_of
            on_english_side = word in self.english_words
            dutch += on_dutch_side and not on_english_side
            english += on_english_side and not on_dutch_side
        return dutch > english

    def gloss(self, text: str) -> str:
        """``text`` word by word in English: each word by its stem's translation, a compound of two known
        parts by both (``teeltplan`` → ``cultivation plan``), any other word as it is."""
        out: list[str] = []
        for word in words(text):
            stem = dutch_stem(word)
            if stem in self.english_of:
                out.append(self.english_of[stem])
            else:
                out.append(self._compound(word) or word)
        return " ".join(out)

    def _compound(self, word: str) -> str | None:
        """The translations of the two parts of a compound, the longest known head first, or None."""
        for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            first = self.english_of.get(dutch_stem(head)) or self.english_of.get(head)
            second = self.english_of.get(dutch_stem(tail))
            if first and second:
                return f"{first} {second}"
        return None


@cache
def _builtin() -> Lexicon:
    text = (resources.files("matching.taxonomy") / "builtin" / LEXICON_FILE).read_text(encoding="utf-8")
    return Lexicon.from_frame(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
