"""The taxonomy: occupations, skills and certificates the matcher normalises free text to.

A :class:`Taxonomy` is built from the built-in tables (:mod:`matching.taxonomy.builtin`) or from an
official ESCO CSV export (:meth:`Taxonomy.from_esco`, whose files an adapter reads). Concepts are
keyed by a code: the built-in code, or the ESCO URI for ESCO concepts. A built-in concept that has
an ESCO URI answers to both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import pandas as pd

from matching.taxonomy import builtin
from matching.text import clean_label, clean_title

Kind = Literal["occupation", "skill", "certificate"]
KINDS: tuple[Kind, ...] = ("occupation", "skill", "certificate")


@dataclass(frozen=True, slots=True)
class Concept:
    """One occupation, skill or certificate."""

    code: str
    kind: Kind
    label: str  # the preferred label shown to people (Dutch when known)
    labels: tuple[str, ...]  # every label it is known by: preferred, other languages, synonyms, titles
    uri: str | None = None
    sector: str | None = None
    trainable: bool = False  # certificates: obtainable by a short course


@dataclass
class Taxonomy:
    """Concepts by kind and code, plus the skill profiles of occupations and related skills.

    Each kind is its own namespace: the certificate ``verkeersregelaar`` and the occupation
    ``verkeersregelaar`` are different concepts.
    """

    name: str
    concepts: dict[Kind, dict[str, Concept]]
    essential: dict[str, tuple[str, ...]] = field(default_factory=dict)  # occupation → skills
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)
    related: dict[str, frozenset[str]] = field(default_factory=dict)  # skill → related skills
    aliases: dict[Kind, dict[str, str]] = field(default_factory=dict)  # e.g. an ESCO URI → built-in code

    def of_kind(self, kind: Kind) -> list[Concept]:
        return list(self.concepts.get(kind, {}).values())

    def get(self, code: str, kind: Kind) -> Concept | None:
        return self.concepts.get(kind, {}).get(code)

    def resolve(self, code: str, kind: Kind) -> str | None:
        """The code of the ``kind`` concept that ``code`` names, directly or as an alias (e.g. its URI)."""
        table, aliases = self.concepts.get(kind, {}), self.aliases.get(kind, {})
        if code in table:
            return code
        if code in aliases:
            return aliases[code]
        low = code.strip().lower()
        return low if low in table else aliases.get(low)

    def label(self, code: str, kind: Kind) -> str:
        concept = self.get(code, kind)
        return concept.label if concept else code

    def counts(self) -> dict[str, int]:
        return {kind: len(self.concepts.get(kind, {})) for kind in KINDS}

    # -- construction -----------------------------------------------------------------------
    @staticmethod
    def builtin() -> Taxonomy:
        """The built-in taxonomy of the sectors SROI work lands in (cached)."""
        return _builtin()

    @staticmethod
    def from_esco(
        occupations: Mapping[str, pd.DataFrame],
        skills: Mapping[str, pd.DataFrame],
        relations: pd.DataFrame | None = None,
        skill_relations: pd.DataFrame | None = None,
    ) -> Taxonomy:
        """Build a taxonomy from ESCO CSV tables (one frame per language, e.g. ``{"nl": ..., "en": ...}``).

        Occupation and skill frames need ``conceptUri`` and ``preferredLabel``; ``altLabels``
        (newline-separated) is used when present. ``relations`` is ESCO's occupationSkillRelations
        (``occupationUri, relationType, skillUri``); ``skill_relations`` its skillSkillRelations
        (``originalSkillUri, relatedSkillUri``). Certificates are not ESCO concepts: the built-in
        certificates are kept.
        """
        concepts: dict[Kind, dict[str, Concept]] = {kind: {} for kind in KINDS}
        for kind, frames in (("occupation", occupations), ("skill", skills)):
            labels: dict[str, list[str]] = defaultdict(list)
            preferred: dict[str, str] = {}
            for lang in sorted(frames, key=lambda x: (x != "nl", x)):  # Dutch first
                df = frames[lang]
                alt = df["altLabels"] if "altLabels" in df.columns else pd.Series([""] * len(df))
                for uri, pref, alts in zip(df["conceptUri"], df["preferredLabel"], alt.fillna(""), strict=True):
                    if not isinstance(uri, str) or not isinstance(pref, str):
                        continue
                    preferred.setdefault(uri, pref)
                    labels[uri].append(pref)
                    labels[uri].extend(a.strip() for a in str(alts).splitlines() if a.strip())
            for uri, pref in preferred.items():
                concepts[kind][uri] = Concept(uri, kind, pref, tuple(dict.fromkeys(labels[uri])), uri=uri)  # type: ignore[index,arg-type]
        for cert in builtin.CERTIFICATES:
            concepts["certificate"][cert.code] = _certificate(cert)
        essential: dict[str, list[str]] = defaultdict(list)
        optional: dict[str, list[str]] = defaultdict(list)
        if relations is not None:
            for occ, rel, skill in zip(
                relations["occupationUri"], relations["relationType"], relations["skillUri"], strict=True
            ):
                if occ in concepts["occupation"] and skill in concepts["skill"]:
                    (essential if rel == "essential" else optional)[occ].append(skill)
        related: dict[str, set[str]] = defaultdict(set)
        if skill_relations is not None:
            for a, b in zip(skill_relations["originalSkillUri"], skill_relations["relatedSkillUri"], strict=True):
                if a in concepts["skill"] and b in concepts["skill"]:
                    related[a].add(b)
                    related[b].add(a)
        name = "ESCO (" + ", ".join(sorted(set(occupations) | set(skills))) + ")"
        return Taxonomy(
            name,
            concepts,
            {k: tuple(v) for k, v in essential.items()},
            {k: tuple(v) for k, v in optional.items()},
            {k: frozenset(v) for k, v in related.items()},
        )


def _certificate(cert: builtin.Certificate) -> Concept:
    labels = (cert.nl, cert.en, *cert.synonyms, cert.code.replace("_", " "))
    return Concept(cert.code, "certificate", cert.nl, tuple(dict.fromkeys(labels)), trainable=cert.trainable)


def _co_occurring(profiles: Iterable[tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Skills that share an occupation's essential profile are related (partial credit)."""
    related: dict[str, set[str]] = defaultdict(set)
    for skills in profiles:
        for s in skills:
            related[s].update(x for x in skills if x != s)
    return {k: frozenset(v) for k, v in related.items()}


@cache
def _builtin() -> Taxonomy:
    concepts: dict[Kind, dict[str, Concept]] = {kind: {} for kind in KINDS}
    aliases: dict[Kind, dict[str, str]] = {kind: {} for kind in KINDS}
    for s in builtin.SKILLS:
        labels = (s.nl, s.en, *s.synonyms, s.code.replace("_", " "))
        concepts["skill"][s.code] = Concept(s.code, "skill", s.nl, tuple(dict.fromkeys(labels)), uri=s.esco_uri)
        if s.esco_uri:
            aliases["skill"].setdefault(s.esco_uri, s.code)
    for c in builtin.CERTIFICATES:
        concepts["certificate"][c.code] = _certificate(c)
    for o in builtin.OCCUPATIONS:
        labels = (o.nl, o.en, *o.titles, o.code.replace("_", " "))
        concepts["occupation"][o.code] = Concept(
            o.code, "occupation", o.nl, tuple(dict.fromkeys(labels)), uri=o.esco_uri, sector=o.sector
        )
        if o.esco_uri:
            aliases["occupation"].setdefault(o.esco_uri, o.code)
    essential = {o.code: o.essential_skills for o in builtin.OCCUPATIONS}
    optional = {o.code: o.optional_skills for o in builtin.OCCUPATIONS}
    return Taxonomy("built-in", concepts, essential, optional, _co_occurring(essential.values()), aliases)


def label_index(taxonomy: Taxonomy, kind: Kind) -> tuple[list[str], list[str]]:
    """Every cleaned label of ``kind`` and the code it belongs to (parallel lists, first label wins).

    Occupation labels are cleaned as titles are (filler such as ``medewerker`` and ``(m/v)`` dropped),
    so a title and a label compare on the words that tell occupations apart.
    """
    clean = clean_title if kind == "occupation" else clean_label
    seen: dict[str, str] = {}
    for concept in taxonomy.of_kind(kind):
        for label in concept.labels:
            for key in dict.fromkeys((clean(label), clean_label(label))):
                if key:
                    seen.setdefault(key, concept.code)
    return list(seen), list(seen.values())
