"""How the synthetic world writes a concept down, and how its hidden model reads it back.

Real exports are noisy: the same skill appears as a Dutch label, an English one, a synonym,
an ESCO URI or with a typo. The generator draws every label from a *finite* set of surface
forms per concept (typos included, derived deterministically from the label), so the hidden
retention model can map each written form back to its concept exactly, while the matcher
has to earn that mapping through fuzzy normalisation.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

from data.synthetic import vocabulary as vocab


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def typo_variants(label: str) -> tuple[str, ...]:
    """Two deterministic typos of ``label``: a dropped letter and two swapped neighbours."""
    letters = [i for i, ch in enumerate(label) if ch.isalpha()]
    if len(letters) < 5:
        return ()
    h = _crc(label)
    drop = letters[1 + h % (len(letters) - 2)]
    dropped = label[:drop] + label[drop + 1 :]
    swap = letters[1 + (h // 7) % (len(letters) - 2)]
    if swap + 1 < len(label) and label[swap + 1].isalpha() and label[swap] != label[swap + 1]:
        swapped = label[:swap] + label[swap + 1] + label[swap] + label[swap + 2 :]
    else:
        swapped = label[:swap] + label[swap] + label[swap:]  # doubled letter
    return tuple(dict.fromkeys(v for v in (dropped, swapped) if v != label))


@dataclass(frozen=True, slots=True)
class Forms:
    """The surface forms of one concept, grouped by how they are drawn."""

    code: str
    main: tuple[str, ...]  # the label a Dutch coach writes (first) and the code
    synonyms: tuple[str, ...]
    english: tuple[str, ...]
    uri: tuple[str, ...]
    typos: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return self.main + self.synonyms + self.english + self.uri + self.typos

    def draw(self, u: float, weights: tuple[float, float, float, float, float]) -> str:
        """Pick a form with probabilities ``weights`` over (main, synonym, english, uri, typo)."""
        groups = (self.main[:1], self.synonyms, self.english, self.uri, self.typos)
        available = [(w, g) for w, g in zip(weights, groups, strict=True) if g and w > 0]
        total = sum(w for w, _ in available)
        x = u * total
        for w, group in available:
            if x < w:
                return group[int(x / w * len(group)) % len(group)]
            x -= w
        return self.main[0]


def _forms(code: str, nl: str, en: str, synonyms: Iterable[str], uri: str | None) -> Forms:
    return Forms(
        code=code,
        main=(nl, code) if code != nl else (nl,),
        synonyms=tuple(synonyms),
        english=(en,) if en and en.lower() != nl.lower() else (),
        uri=(uri,) if uri else (),
        typos=typo_variants(nl),
    )


@cache
def skill_forms() -> dict[str, Forms]:
    return {s.code: _forms(s.code, s.nl, s.en, s.synonyms, s.esco_uri) for s in vocab.SKILLS}


@cache
def certificate_forms() -> dict[str, Forms]:
    return {c.code: _forms(c.code, c.nl, c.en, c.synonyms, None) for c in vocab.CERTIFICATES}


@cache
def occupation_forms() -> dict[str, Forms]:
    return {o.code: _forms(o.code, o.nl, o.en, (), o.esco_uri) for o in vocab.OCCUPATIONS}


@cache
def title_forms() -> dict[str, tuple[str, ...]]:
    """Vacancy titles per occupation: the real-world titles plus a typo of the plain label."""
    return {o.code: tuple(dict.fromkeys(o.titles + typo_variants(o.nl)[:1])) for o in vocab.OCCUPATIONS}


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for form, code in pairs:
        table.setdefault(form.strip().lower(), code)
    return table


@cache
def skill_index() -> dict[str, str]:
    """Every surface form the generator writes for a skill → its code."""
    return _index((form, code) for code, f in skill_forms().items() for form in f.all())


@cache
def certificate_index() -> dict[str, str]:
    return _index((form, code) for code, f in certificate_forms().items() for form in f.all())


@cache
def occupation_index() -> dict[str, str]:
    """Occupation forms and vacancy titles → occupation code."""
    forms = [(form, code) for code, f in occupation_forms().items() for form in f.all()]
    titles = [(t, code) for code, ts in title_forms().items() for t in ts]
    return _index(forms + titles)


@cache
def postcode_coordinates() -> dict[str, tuple[float, float]]:
    """PC4 → centre of the town it belongs to (the generator's own geography)."""
    return {pc: (t.lat, t.lon) for r in vocab.REGIONS for t in r.towns for pc in t.postcodes}


def draw_forms(
    rng: np.random.Generator,
    codes: Iterable[str],
    forms: dict[str, Forms],
    weights: tuple[float, float, float, float, float],
) -> tuple[str, ...]:
    """Write each concept in ``codes`` as one surface form."""
    codes = list(codes)
    us = rng.random(len(codes))
    return tuple(forms[c].draw(float(u), weights) for c, u in zip(codes, us, strict=True))


#: How a coach's note opens, by the candidate's hidden motivation (low, neutral, high). In worlds
#: where motivation counts, the note's wording is the only trace of it; ``{}`` is the occupation.
#: No opening is the start of another, so :func:`note_tone` reads a note back exactly.
NOTE_OPENINGS: tuple[tuple[str, ...], ...] = (
    (
        "Twijfelt nog of werken in de {} bij hem of haar past.",
        "Komt afspraken niet altijd na; interesse in {}.",
        "Weinig eigen initiatief gezien, mogelijk {}.",
    ),
    (
        "Kandidaat met interesse in {}.",
        "Staat open voor werk als {}.",
        "Zoekt werk, bijvoorbeeld als {}.",
    ),
    (
        "Zeer gemotiveerd, wil graag aan de slag als {}.",
        "Enthousiast en leergierig, droomt van werk als {}.",
        "Komt altijd op tijd en wil echt aan de slag in {}.",
    ),
)


@cache
def _note_prefixes() -> tuple[tuple[str, int], ...]:
    return tuple((opening.split("{}")[0], tone) for tone, group in enumerate(NOTE_OPENINGS) for opening in group)


def note_tone(text: object) -> int:
    """The tone (0 low, 1 neutral, 2 high) a note's opening was written in; −1 for no such opening."""
    if not isinstance(text, str):
        return -1
    for prefix, tone in _note_prefixes():
        if text.startswith(prefix):
            return tone
    return -1


def candidate_id(row: int) -> str:
    """The generated id of the candidate in ``row`` (0-based)."""
    return f"KND-{row + 1:06d}"


def contractor_id(row: int) -> str:
    """The generated id of the contractor in ``row`` (0-based)."""
    return f"OPN-{row + 1:05d}"
