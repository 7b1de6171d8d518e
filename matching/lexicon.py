"""A Dutch→English word lexicon: Dutch free text glossed word by word in English, for the semantic index.

The semantic model places English text next to ESCO's English skill labels far better than Dutch text
(acc@5 0.8 against 0.46 on the development spans): ESCO's Dutch skill labels are not available, so a
Dutch text is compared as it is and as its English gloss (``Beheert gegevens`` → ``manage data``).

The lexicon is learned from parallel text (:func:`learn`: IBM Model 1 both ways, Dutch words as stems,
English words as written) and shipped as ``builtin/nl_en_words.csv`` with the English words of that text
in ``builtin/en_words.csv`` (:meth:`Lexicon.builtin`; how they were made: ``python -m api.lexicon_io``).
:meth:`Lexicon.is_dutch` tells Dutch text from English by which side of the lexicon its words belong to.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from itertools import chain

import pandas as pd

from matching.text import fold

LEXICON_FILE = "nl_en_words.csv"
ENGLISH_FILE = "en_words.csv"
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


def _model1(data: list[tuple[list[str], list[str]]], iterations: int) -> dict[tuple[str, str], float]:
    """IBM Model 1: p(source word | target word) keyed ``(target, source)``, fitted by expectation
    maximisation on ``(source words, target words)`` pairs, each source word aligned to one target word
    of its pair (the target words start with :data:`_NULL`, a source word with no counterpart)."""
    p: dict[tuple[str, str], float] = defaultdict(lambda: 1.0)
    for _ in range(iterations):
        expected: dict[tuple[str, str], float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        for source, target in data:
            for f in source:
                norm = sum(p[(e, f)] for e in target)
                for e in target:
                    share = p[(e, f)] / norm
                    expected[(e, f)] += share
                    total[e] += share
        p = defaultdict(float, {(e, f): v / total[e] for (e, f), v in expected.items()})
    return p


def _best_of(scores: Iterable[tuple[str, str, float]]) -> dict[str, str]:
    """Per key, the word with the largest score (``(key, word, score)`` triples; the first on a tie)."""
    best: dict[str, tuple[float, str]] = {}
    for key, word, score in scores:
        if score > best.get(key, (0.0, ""))[0]:
            best[key] = (score, word)
    return {key: word for key, (_, word) in best.items()}


def learn(pairs: Iterable[tuple[str, str]], iterations: int = 8) -> Lexicon:
    """The lexicon of ``(dutch, english)`` pairs of parallel text: each Dutch stem's English words, and
    every English word of the text (:meth:`Lexicon.is_dutch`).

    IBM Model 1 is fitted both ways. A stem's first English word is the one most likely generated from it
    (p(e | stem), Dutch generating English: *verzorgt* → *care*, *bewaakt* → *monitor*); its second, when
    another, the one with the largest p(stem | e) x count(e), English generating Dutch, which leans
    towards rare English words seen with the stem (*training*, *clothing*) but has some right that the
    first gets wrong. Neither is the empty word.
    """
    data = [([dutch_stem(w) for w in words(nl)], [_NULL, *words(en)]) for nl, en in pairs]
    data = [(nl, en) for nl, en in data if nl and len(en) > 1]
    english_count = Counter(w for _, en in data for w in en[1:])
    dutch_to_english = _model1([(en[1:], [_NULL, *nl]) for nl, en in data], iterations)  # p(e | stem)
    english_to_dutch = _model1(data, iterations)  # p(stem | e)
    first = _best_of((f, e, v) for (f, e), v in dutch_to_english.items() if f != _NULL)
    second = _best_of((f, e, v * english_count[e]) for (e, f), v in english_to_dutch.items() if e != _NULL)
    english_of = {
        f: " ".join(dict.fromkeys(w for w in (first.get(f), second.get(f)) if w))
        for f in sorted(first.keys() | second.keys())
    }
    return Lexicon(english_of, english_count)


class Lexicon:
    """Dutch stems and their English words (one or two, a space between), and the English words known
    besides (:func:`learn`: every English word of the parallel text)."""

    def __init__(self, english_of: Mapping[str, str], english_words: Iterable[str] = ()) -> None:
        self.english_of = dict(english_of)
        translations = (word for english in self.english_of.values() for word in english.split())
        self.english_words = frozenset(chain(english_words, translations))

    @staticmethod
    def builtin() -> Lexicon:
        """The lexicon shipped with this package (cached)."""
        return _builtin()

    @staticmethod
    def from_frames(frame: pd.DataFrame, english_words: pd.DataFrame) -> Lexicon:
        """From a table with the columns ``dutch`` (a stem) and ``english``, and one with the column
        ``english`` (the English words known besides)."""
        return Lexicon(dict(zip(frame["dutch"], frame["english"], strict=True)), english_words["english"])

    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The translations and the English words (:meth:`from_frames`)."""
        translations = pd.DataFrame({"dutch": list(self.english_of), "english": list(self.english_of.values())})
        return translations, pd.DataFrame({"english": sorted(self.english_words)})

    def is_dutch(self, text: str) -> bool:
        """Whether more of the words of ``text`` are Dutch than English: a word counts as Dutch when its
        stem is on the Dutch side of the lexicon and the word itself is no English word of it, as
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
        """``text`` word by word in English: each word by its stem's translations, a compound of two known
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
    folder = resources.files("matching.taxonomy") / "builtin"
    translations, english = (
        pd.read_csv(io.StringIO((folder / name).read_text(encoding="utf-8")), dtype=str, keep_default_na=False)
        for name in (LEXICON_FILE, ENGLISH_FILE)
    )
    return Lexicon.from_frames(translations, english)
