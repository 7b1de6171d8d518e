"""The taxonomy: occupations, skills and certificates the matcher normalises free text to.

A :class:`Taxonomy` comes from one of two loaders, one per format. :meth:`Taxonomy.from_esco` builds
one from the tables of an official ESCO CSV export (an adapter reads the files); :meth:`Taxonomy.builtin`
is the built-in taxonomy, which ships in this package in Koppelaar's own shape: one file per kind
(``builtin/occupations.csv``, ``skills.csv``, ``certificates.csv``, read by :func:`builtin_tables`).
Concepts are keyed by a code: the ESCO URI for ESCO concepts, Koppelaar's own code for built-in ones.
A built-in concept that has an ESCO URI answers to both.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Literal

import pandas as pd

from matching.text import clean_label, clean_title

Kind = Literal["occupation", "skill", "certificate"]
KINDS: tuple[Kind, ...] = ("occupation", "skill", "certificate")

#: The built-in taxonomy's folder in this package, and its file per kind (see :func:`builtin_tables`).
BUILTIN_FOLDER = "builtin"
BUILTIN_FILES: dict[Kind, str] = {
    "occupation": "occupations.csv",
    "skill": "skills.csv",
    "certificate": "certificates.csv",
}


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
    isco_group: str | None = None  # occupations: the ISCO-08 unit group (four digits), when known


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
    #: where ``related`` comes from: ``esco`` (an export's skillSkillRelations: ESCO relates the skills) or
    #: ``shared profile`` (skills essential to the same occupation, the built-in taxonomy's stand-in)
    related_by: str = "esco"

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

    def with_labels_of(
        self, other: Taxonomy, *, isco_groups: Literal["ours", "theirs"] = "ours", name: str | None = None
    ) -> Taxonomy:
        """This taxonomy, each occupation and skill also known by the labels of ``other``'s concept with
        the same ESCO URI, and answering to that concept's code; a sector it lacks is taken over too, and
        the ISCO group: ours when we have one (``isco_groups="ours"``), or theirs when they have one.

        The full ESCO export has Dutch occupation labels but English skill labels only: with the
        built-in taxonomy as ``other``, its Dutch skill labels and synonyms, and the job titles
        employers write, resolve to ESCO's concepts. The other way round, the built-in taxonomy takes
        ESCO's English labels and ISCO groups from an export (``KOPPELAAR_ESCO``).
        """
        concepts = {kind: dict(table) for kind, table in self.concepts.items()}
        aliases = {kind: dict(table) for kind, table in self.aliases.items()}
        for kind in ("occupation", "skill"):
            table, names = concepts.setdefault(kind, {}), aliases.setdefault(kind, {})
            for theirs in other.of_kind(kind):
                code = self.resolve(theirs.uri, kind) if theirs.uri else None
                if code is None:
                    continue
                ours = table[code]
                table[code] = replace(
                    ours,
                    labels=tuple(dict.fromkeys([*ours.labels, *theirs.labels])),
                    sector=ours.sector or theirs.sector,
                    isco_group=(
                        ours.isco_group or theirs.isco_group
                        if isco_groups == "ours"
                        else theirs.isco_group or ours.isco_group
                    ),
                )
                if theirs.code not in table:
                    names.setdefault(theirs.code, code)
        return Taxonomy(
            name or self.name,
            concepts,
            self.essential,
            self.optional,
            self.related,
            aliases,
            self.related_by,
        )

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
        *,
        name: str | None = None,
    ) -> Taxonomy:
        """Build a taxonomy from the tables of an ESCO export (one frame per language, e.g. ``{"nl": ..., "en": ...}``).

        Concept frames need ``conceptUri`` and ``preferredLabel``; ``altLabels``, ``hiddenLabels``
        (newline-separated) and an occupation's ``iscoGroup`` are used when present. A concept's labels
        are its preferred labels (Dutch first), then its alternative labels, then its hidden ones.
        ``relations`` is ESCO's occupationSkillRelations (``occupationUri, relationType, skillUri``);
        ``skill_relations`` its skillSkillRelations (``originalSkillUri, relatedSkillUri``), read both
        ways. Certificates are not ESCO concepts: the taxonomy has the built-in ones.
        """
        builtin = _builtin()
        concepts: dict[Kind, dict[str, Concept]] = {
            "occupation": _concepts("occupation", occupations),
            "skill": _concepts("skill", skills),
            "certificate": dict(builtin.concepts["certificate"]),
        }
        aliases: dict[Kind, dict[str, str]] = {
            "occupation": {},
            "skill": {},
            "certificate": dict(builtin.aliases.get("certificate", {})),
        }
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
        return Taxonomy(
            name or "ESCO (" + ", ".join(sorted(set(occupations) | set(skills))) + ")",
            concepts,
            {k: tuple(v) for k, v in essential.items()},
            {k: tuple(v) for k, v in optional.items()},
            {k: frozenset(v) for k, v in related.items()},
            aliases,
        )


def _lines(cell: object) -> list[str]:
    """The labels of a newline-separated cell (an empty cell has none)."""
    return [x.strip() for x in cell.splitlines() if x.strip()] if isinstance(cell, str) else []


def _concepts(kind: Kind, frames: Mapping[str, pd.DataFrame]) -> dict[str, Concept]:
    """The concepts of one kind from the frames of an ESCO export, one per language (Dutch first)."""
    preferred: dict[str, list[str]] = {}
    other: dict[str, list[str]] = defaultdict(list)
    hidden: dict[str, list[str]] = defaultdict(list)
    isco: dict[str, str] = {}
    for lang in sorted(frames, key=lambda x: (x != "nl", x)):
        df = frames[lang]
        codes = df["conceptUri"]
        if "iscoGroup" in df.columns:
            for code, value in zip(codes, df["iscoGroup"], strict=True):
                if isinstance(code, str) and isinstance(value, str) and value.strip():
                    isco.setdefault(code, value.strip())
        none = [None] * len(df)
        alt = df["altLabels"] if "altLabels" in df.columns else none
        hid = df["hiddenLabels"] if "hiddenLabels" in df.columns else none
        for code, pref, alts, hids in zip(codes, df["preferredLabel"], alt, hid, strict=True):
            if not isinstance(code, str) or not isinstance(pref, str):
                continue
            preferred.setdefault(code, []).append(pref)
            other[code].extend(_lines(alts))
            hidden[code].extend(_lines(hids))
    return {
        code: Concept(
            code,
            kind,
            prefs[0],
            tuple(dict.fromkeys([*prefs, *other[code], *hidden[code]])),
            uri=code,
            isco_group=isco.get(code),
        )
        for code, prefs in preferred.items()
    }


@dataclass(frozen=True)
class BuiltinTables:
    """The built-in taxonomy's files as read: one frame per kind, every cell text (an empty cell is ``""``).

    Every file has ``code`` (Koppelaar's code), ``label`` (the Dutch preferred label), ``englishLabel``
    (Koppelaar's own short English name), ``synonyms`` and ``hiddenLabels`` (newline-separated; the
    occupations' synonyms are the job titles employers write). Occupations and skills have ``escoUri``
    (the ESCO v1.1 concept, where ESCO has it); occupations ``iscoGroup``, ``sector``,
    ``essentialSkills`` and ``optionalSkills`` (skill codes, ``;``-separated) and the typical profile
    only the synthetic world reads (``certificates``, ``licences``, ``physicalLoad``, ``minLanguage``,
    ``minEducation``, ``hours``, ``entryLevel``); certificates ``trainable`` (``true``: obtainable by a
    short course).
    """

    occupations: pd.DataFrame
    skills: pd.DataFrame
    certificates: pd.DataFrame

    def of_kind(self, kind: Kind) -> pd.DataFrame:
        return {"occupation": self.occupations, "skill": self.skills, "certificate": self.certificates}[kind]


def _read_builtin(name: str) -> pd.DataFrame:
    text = (resources.files(__package__) / BUILTIN_FOLDER / name).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@cache
def builtin_tables() -> BuiltinTables:
    """The built-in taxonomy's files, as shipped in this package (cached: do not modify the frames).

    The sectors SROI work lands in (bouw, infra, techniek, groen, schoonmaak, logistiek, productie,
    zorg, horeca, ict), mostly entry-level (mbo1-2) work: Koppelaar's own labels, synonyms and English
    names. Where ESCO has the concept, ``escoUri`` links it (ESCO classification of the European
    Commission, (c) European Union, CC BY 4.0); ESCO's own labels are not in these files.
    """
    return BuiltinTables(*(_read_builtin(BUILTIN_FILES[kind]) for kind in ("occupation", "skill", "certificate")))


def _column(frame: pd.DataFrame, column: str) -> list[str]:
    """The cells of ``column`` (all ``""`` when the file has no such column)."""
    return [str(x) for x in frame[column]] if column in frame.columns else [""] * len(frame)


def _builtin_concepts(kind: Kind, frame: pd.DataFrame) -> tuple[dict[str, Concept], dict[str, str]]:
    """The built-in concepts of ``kind`` and their aliases (ESCO URI → code).

    A concept's labels are its Dutch label, its English name, its synonyms, then its hidden labels.
    """
    concepts: dict[str, Concept] = {}
    aliases: dict[str, str] = {}
    columns = ("code", "escoUri", "iscoGroup", "sector", "label", "englishLabel", "synonyms", "hiddenLabels")
    rows = zip(*(_column(frame, c) for c in (*columns, "trainable")), strict=True)
    for code, uri, isco, sector, label, english, synonyms, hidden, trainable in rows:
        labels = tuple(dict.fromkeys(x for x in (label, english, *_lines(synonyms), *_lines(hidden)) if x))
        concepts[code] = Concept(
            code,
            kind,
            label,
            labels,
            uri=uri or None,
            sector=sector or None,
            trainable=trainable == "true",
            isco_group=isco or None,
        )
        if uri:
            aliases.setdefault(uri, code)
    return concepts, aliases


def _skill_codes(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split(";") if x.strip())


def _from_builtin(tables: BuiltinTables) -> Taxonomy:
    """The built-in taxonomy from its files: skills essential to the same occupation are related."""
    concepts: dict[Kind, dict[str, Concept]] = {}
    aliases: dict[Kind, dict[str, str]] = {}
    for kind in KINDS:
        concepts[kind], aliases[kind] = _builtin_concepts(kind, tables.of_kind(kind))
    occupations = tables.occupations
    essential: dict[str, tuple[str, ...]] = {}
    optional: dict[str, tuple[str, ...]] = {}
    for row, (code, must, may) in enumerate(
        zip(*(_column(occupations, c) for c in ("code", "essentialSkills", "optionalSkills")), strict=True), 2
    ):
        for column, cell, profile in (("essentialSkills", must, essential), ("optionalSkills", may, optional)):
            codes = _skill_codes(cell)
            unknown = [s for s in codes if s not in concepts["skill"]]
            if unknown:
                raise ValueError(
                    f"{BUILTIN_FOLDER}/{BUILTIN_FILES['occupation']} row {row}, {column}: "
                    f"{', '.join(unknown)} is not a skill code of {BUILTIN_FILES['skill']}"
                )
            if codes:
                profile[code] = codes
    related: dict[str, set[str]] = defaultdict(set)
    for shared in essential.values():
        for skill in shared:
            related[skill].update(s for s in shared if s != skill)
    return Taxonomy(
        "built-in",
        concepts,
        essential,
        optional,
        {k: frozenset(v) for k, v in related.items()},
        aliases,
        related_by="shared profile",
    )


#: Skills under one broader concept count as related only in groups of at most this many: a larger
#: group (e.g. a whole skill pillar section) says too little about any two of its skills.
SIBLINGS_MAX = 30


def hierarchy_relations(broader: pd.DataFrame) -> pd.DataFrame:
    """The skill hierarchy (ESCO's broaderRelationsSkillPillar: ``conceptUri``, ``broaderUri``) as skill
    relations for :meth:`Taxonomy.from_esco`: a skill and its broader skill, and skills that share a
    broader concept (a skill or a skill group of at most :data:`SIBLINGS_MAX`)."""
    pairs = broader[["conceptUri", "broaderUri"]].dropna().drop_duplicates()
    size = pairs.groupby("broaderUri")["conceptUri"].transform("size")
    small = pairs[size <= SIBLINGS_MAX]
    siblings = small.merge(small, on="broaderUri")
    siblings = siblings[siblings["conceptUri_x"] != siblings["conceptUri_y"]]
    return pd.DataFrame(
        {
            "originalSkillUri": [*pairs["conceptUri"], *siblings["conceptUri_x"]],
            "relatedSkillUri": [*pairs["broaderUri"], *siblings["conceptUri_y"]],
        }
    )


@cache
def _builtin() -> Taxonomy:
    return _from_builtin(builtin_tables())


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
