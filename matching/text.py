"""Text clean-up shared by normalisation, titles and TF-IDF: what a coach's eye skips over."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GENDER = re.compile(r"\(?\b[mvx]\s*/\s*[vmx](\s*/\s*[xdi])?\b\)?", re.IGNORECASE)
_HOURS = re.compile(
    r"\b\d{1,2}(\s*[-–]\s*\d{1,2})?\s*(uur|u|hrs?|hours?)\b(\s*(per|p/?)\s*(week|wk|w))?", re.IGNORECASE
)
_NOISE_WORDS = re.compile(
    r"\b(fulltime|parttime|full-time|part-time|allround|ervaren|junior|senior|leerling|zelfstandig(e)? werkend(e)?|"
    r"gezocht|vacature|per direct|m/v/x|m/v|medewerker|medewerkster|mdw)\b",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w\s:/-]+")
_SPACES = re.compile(r"\s+")
#: Distinct texts remembered per clean-up: a dataset repeats the same labels and titles many times.
_CACHED = 2**16


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse white space (``Coördinator`` → ``coordinator``)."""
    if not text.isascii():  # ASCII has no accents, and decomposing it changes nothing
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text.lower()).strip()


@lru_cache(maxsize=_CACHED)
def clean_label(text: str) -> str:
    """A skill, certificate or occupation label as compared: folded, punctuation dropped."""
    return _SPACES.sub(" ", _NON_WORD.sub(" ", fold(text)).replace("_", " ")).strip()


@lru_cache(maxsize=_CACHED)
def clean_title(text: str) -> str:
    """A vacancy title without gender tags, hours and filler words (``Timmerman (m/v) 36 uur`` → ``timmerman``)."""
    text = _GENDER.sub(" ", text)
    text = _HOURS.sub(" ", text)
    text = _NOISE_WORDS.sub(" ", text)
    return clean_label(text.replace("/", " "))
