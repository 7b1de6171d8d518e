"""Tender calendar and training needs: the work that is coming and who could be trained for it.

The Groningen 1000-banenplan trained people *before* the work came: a calendar of future tenders told
which places would open, and courses were planned for the people who lacked one thing for them. This
module computes the same from a dataset and a date, without I/O:

* ``calendar``: every obligation that has not started yet, with the open places of its vacancies;
* ``demand``: per occupation, required skill, certificate and driving licence, the future places asking
  it, the candidates in reach who are ready for such a place, and those exactly one item away;
* ``one_step``: per missing item, how many candidates one course would make eligible and for how many
  places, with a Dutch sentence for the report;
* ``candidates``: every (candidate, missing item, vacancy) triple behind ``one_step``, for advisers.

A *future place* is an open, additional place of a vacancy whose obligation starts after ``today`` (or,
without an obligation, whose own start date lies after ``today``). The pool is the matchable candidates.

The hard rules are those of :mod:`matching.eligibility`, re-checked per pair on the same terms: unknown
never excludes, except certificates and licences (an empty list means none held); locations are resolved
as :class:`matching.prepare.Prepared` resolves them. *Gap items* are what a course can add: missing
non-trainable certificates, missing driving licences and missing required skills (soft in matching, but
a gap for training advice). A trainable certificate is never a gap: the contractor accepts it being
obtained in the first weeks. A candidate is *ready* for a place when every hard rule passes and no gap
item is missing, and *one step away* when the other rules pass and exactly one gap item is missing.

In ``demand`` an item's ``places`` count every future place asking it (a certificate also when it is
trainable there); ``ready`` counts the distinct candidates ready for at least one such place who hold the
item, ``one_step`` those lacking exactly this gap item for at least one such place. For a trainable
certificate ``one_step`` counts the candidates ready for such a place who lack it and no other trainable
certificate of that place (they would take the course on the job). An occupation is the vacancy's
occupation, else its title; holding it is not asked, so ``ready`` / ``one_step`` are the candidates ready
for, or one gap item away from, at least one of its places.

How it scales: candidates are cut into spatially compact blocks of one travel-radius class (the leaf
order of a k-d tree); each block meets only the places a k-d tree of the places finds within reach of
the block, as dense (places × candidates) arrays. Distances are dot products of unit vectors (the
haversine decides on the boundary) and the missing items a sparse × dense product, so the work grows
with the pairs in reach, not with candidates × vacancies, and no per-pair index arrays are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

from matching import rulebook as rb
from matching.geo import EARTH_RADIUS_KM, LOC_UNKNOWN, PostcodeTable, resolve_points
from matching.normalise import Normaliser
from matching.prepare import (
    DEFAULT_HOURS,
    DEFAULT_MAX_TRAVEL_KM,
    GROUPS,
    LICENCE_IMPLIES,
    REACH_CLASSES_KM,
    MatchConfig,
)
from matching.spatial import SphereIndex, chord_of_km, compact_order, units
from matching.taxonomy import Kind, Taxonomy
from matching.text import clean_label, clean_title
from models.dataset import Dataset
from models.dutch import plural
from models.rules import matchable, obligation_values, open_positions
from models.valuation import counted_target_groups

__all__ = [
    "CALENDAR_COLUMNS",
    "CANDIDATE_COLUMNS",
    "DEMAND_COLUMNS",
    "ONE_STEP_COLUMNS",
    "TrainingNeeds",
    "sentence",
    "training_needs",
]

CALENDAR_COLUMNS = [
    "obligation_id",
    "tender_name",
    "client",
    "contractor_id",
    "sector",
    "start_date",
    "end_date",
    "places",
    "obligation_eur",
]
DEMAND_COLUMNS = ["kind", "item", "label", "places", "ready", "one_step", "shortage"]
ONE_STEP_COLUMNS = ["kind", "item", "label", "candidates", "places", "vacancies", "text"]
CANDIDATE_COLUMNS = ["candidate_id", "kind", "item", "vacancy_id"]

#: The course that closes a gap, per kind: "Een cursus VCA Basis maakt ...".
COURSE: dict[str, str] = {"certificate": "Een cursus", "licence": "Een rijopleiding voor", "skill": "Een training"}

_BLOCK = 128  # candidates screened together against the places in their reach
_UNKNOWN_RANK = 127  # an unknown candidate level: never below a minimum
_BOUNDARY = 1e-12  # |cos distance - cos radius| under which the rule book decides


@dataclass(frozen=True)
class TrainingNeeds:
    """The tender calendar and the training needs of future places.

    Attributes:
        calendar: One row per obligation that starts after the reference date (``CALENDAR_COLUMNS``),
            sorted by start date and id; ``places`` counts the open additional places of its vacancies.
        demand: One row per (kind, item) asked by future places (``DEMAND_COLUMNS``), largest shortage
            first.
        one_step: One row per gap item that would unlock places (``ONE_STEP_COLUMNS``), with a Dutch
            sentence; most candidates first.
        candidates: Every (candidate, missing item, vacancy) exactly-one-away triple
            (``CANDIDATE_COLUMNS``) in candidate order: for advisers, not for the public report.
    """

    calendar: pd.DataFrame
    demand: pd.DataFrame
    one_step: pd.DataFrame
    candidates: pd.DataFrame


def sentence(kind: str, label: str, candidates: int, places: int) -> str:
    """The report's sentence: ``Een cursus VCA Basis maakt 37 kandidaten geschikt voor 52 plaatsen.``"""
    who = plural(candidates, "kandidaat", "kandidaten")
    where = plural(places, "plaats", "plaatsen")
    return f"{COURSE[kind]} {label} maakt {who} geschikt voor {where}."


# -- small helpers ---------------------------------------------------------------------------------


def _days(series: pd.Series) -> np.ndarray:
    return np.asarray(series.to_numpy(dtype="datetime64[D]"))


def _levels(series: pd.Series, unknown: int) -> np.ndarray:
    """Ordinal codes of an ordered category column, ``unknown`` where missing (so it never excludes)."""
    codes = np.asarray(series.cat.codes.to_numpy(), dtype=np.int16)
    return np.where(codes < 0, unknown, codes).astype(np.int16)


def _exploded(column: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every item of the list cells ``column[rows]``: its position in ``rows`` and its number in the
    distinct items, and the distinct items (each text is then handled once)."""
    flat = pd.Series(column.to_numpy(dtype=object)[rows], dtype=object).explode()
    keep = flat.notna().to_numpy()
    codes, uniques = pd.factorize(flat[keep].astype(str))
    return np.asarray(flat.index.to_numpy()[keep], dtype=np.int64), np.asarray(codes), [str(u) for u in uniques]


def _incidence(rows: list[list[int]], width: int, weights: bool = False) -> sparse.csr_matrix:
    """Rows of column ids as a CSR 0/1 matrix (or with weight ``id + 1`` to tell which one)."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
    data = (indices + 1).astype(np.float32) if weights else np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(width, 1)))


class _Items:
    """A vocabulary of (kind, item) keys with their labels, numbered in first-seen order."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.labels: list[str] = []

    def add(self, kind: str, item: str, label: str) -> int:
        key = (kind, item)
        if key not in self.ids:
            self.ids[key] = len(self.ids)
            self.labels.append(label)
        return self.ids[key]

    def __len__(self) -> int:
        return len(self.ids)

    def frame(self) -> pd.DataFrame:
        keys = list(self.ids)
        return pd.DataFrame(
            {
                "kind": pd.Series([k for k, _ in keys], dtype=object),
                "item": pd.Series([i for _, i in keys], dtype=object),
                "label": pd.Series(self.labels, dtype=object),
            }
        )


def _terms(norm: Normaliser, texts: list[str], kind: Kind, *, title: bool = False) -> dict[str, tuple[str, str]]:
    """Each distinct text → (item, label): the taxonomy code and its label, else the cleaned text."""
    out: dict[str, tuple[str, str]] = {}
    for m in norm.normalise(list(dict.fromkeys(texts)), kind, title=title):
        if m.code is not None:
            out[m.text] = (m.code, norm.taxonomy.label(m.code, kind))
        else:
            free = (clean_title(m.text) if title else "") or clean_label(m.text) or m.text.strip().lower()
            out[m.text] = (free, free)
    return out


# -- places ----------------------------------------------------------------------------------------


def _future_vacancies(ds: Dataset, today: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the vacancies with future places, and the open places of every vacancy."""
    v, obl = ds.vacancies, ds.obligations
    places = open_positions(v, ds.placements).to_numpy(dtype=np.int64)
    pos = pd.Index(obl["obligation_id"].astype(str)).get_indexer(pd.Index(v["obligation_id"].astype(object)))
    has = pos >= 0
    o_start = _days(obl["start_date"])[np.maximum(pos, 0)] if len(obl) else np.full(len(v), np.datetime64("NaT"))
    o_end = _days(obl["end_date"])[np.maximum(pos, 0)] if len(obl) else np.full(len(v), np.datetime64("NaT"))
    own = _days(v["start_date"])
    by_obligation = has & ~np.isnat(o_start) & (o_start > today) & ~(~np.isnat(o_end) & (o_end < today))
    by_own = ~has & ~np.isnat(own) & (own > today)
    return np.flatnonzero((by_obligation | by_own) & (places > 0)), places


def _calendar(ds: Dataset, today: np.datetime64, places: np.ndarray) -> pd.DataFrame:
    obl, v = ds.obligations, ds.vacancies
    start = _days(obl["start_date"])
    future = ~np.isnat(start) & (start > today)
    per_obligation = pd.Series(places, dtype=np.int64).groupby(v["obligation_id"].astype(object).to_numpy()).sum()
    ids = obl["obligation_id"].astype(str)
    out = pd.DataFrame(
        {
            "obligation_id": ids,
            "tender_name": obl["tender_name"],
            "client": obl["client"],
            "contractor_id": obl["contractor_id"],
            "sector": obl["sector"],
            "start_date": obl["start_date"],
            "end_date": obl["end_date"],
            "places": ids.map(per_obligation).fillna(0).astype(np.int64),
            "obligation_eur": obligation_values(obl),
        },
        columns=CALENDAR_COLUMNS,
    )
    kept: pd.DataFrame = out.loc[future]
    return kept.sort_values(["start_date", "obligation_id"], kind="stable").reset_index(drop=True)


def _allowed_groups(ds: Dataset, today: np.datetime64) -> np.ndarray:
    """Per vacancy, the target groups that count (:func:`models.valuation.counted_target_groups`)."""
    v = ds.vacancies
    return counted_target_groups(
        ds.obligations,
        named=v["obligation_id"].to_numpy(dtype=object),
        contractor=v["contractor_id"].astype(str).to_numpy(dtype=object),
        on=today,
        groups=GROUPS,
    )


@dataclass
class _Asks:
    """What the future places ask, as sparse (places × items) matrices.

    ``gap`` holds the gap items (hard certificates, licences, required skills) and ``soft`` the trainable
    certificates; the ``*_which`` twins carry ``item id + 1``, so that a product with a 0/1 "lacks"
    matrix tells which item is lacked where exactly one is.
    """

    items: _Items  # certificates, licences and skills
    gap: sparse.csr_matrix
    gap_which: sparse.csr_matrix
    soft: sparse.csr_matrix
    soft_which: sparse.csr_matrix
    occupations: _Items
    occupation: np.ndarray  # occupation id per place
    known: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # kind → text → (item, label)


def _asks(ds: Dataset, fv: np.ndarray, norm: Normaliser) -> _Asks:
    v = ds.vacancies
    req_c = v["required_certificates"].to_numpy(dtype=object)[fv]
    trn_c = v["trainable_certificates"].to_numpy(dtype=object)[fv]
    req_s = v["required_skills"].to_numpy(dtype=object)[fv]
    req_l = v["required_licences"].to_numpy(dtype=object)[fv]
    certs = _terms(norm, [str(t) for col in (req_c, trn_c) for cell in col for t in cell], "certificate")
    skills = _terms(norm, [str(t) for cell in req_s for t in cell], "skill")
    items = _Items()
    gap_rows: list[list[int]] = []
    soft_rows: list[list[int]] = []
    for req, trn, sk, lic in zip(req_c, trn_c, req_s, req_l, strict=True):
        trainable = {certs[str(t)][0] for t in trn}
        gaps: dict[int, None] = {}
        soft: dict[int, None] = {}
        for t in req:  # as the matcher: a trainable certificate counts only when it is also required
            key, label = certs[str(t)]
            (soft if key in trainable else gaps)[items.add("certificate", key, label)] = None
        for code in lic:
            gaps[items.add("licence", str(code), f"rijbewijs {code}")] = None
        for t in sk:
            gaps[items.add("skill", *skills[str(t)])] = None
        gap_rows.append(list(gaps))
        soft_rows.append(list(soft))
    # the occupation: the occupation column, else the title (as the matcher reads them)
    occ_text = [o if isinstance(o, str) and o.strip() else "" for o in v["occupation"].to_numpy(dtype=object)[fv]]
    titles = [str(t) for t in v["title"].to_numpy(dtype=object)[fv]]
    by_col = {
        m.text: m.code for m in norm.normalise(list(dict.fromkeys(o for o in occ_text if o)), "occupation", title=True)
    }
    by_title = {m.text: m.code for m in norm.normalise(list(dict.fromkeys(titles)), "occupation", title=True)}
    occupations = _Items()
    occupation = np.zeros(len(fv), dtype=np.int64)
    for j, (o, t) in enumerate(zip(occ_text, titles, strict=True)):
        code = (by_col.get(o) if o else None) or by_title.get(t)
        if code is not None:
            occupation[j] = occupations.add("occupation", code, norm.taxonomy.label(code, "occupation"))
        else:
            free = (clean_label(o) if o else clean_title(t)) or t.strip().lower()
            occupation[j] = occupations.add("occupation", free, free)
    n = len(items)
    return _Asks(
        items,
        _incidence(gap_rows, n),
        _incidence(gap_rows, n, weights=True),
        _incidence(soft_rows, n),
        _incidence(soft_rows, n, weights=True),
        occupations,
        occupation,
        {"certificate": certs, "skill": skills},
    )


# -- people ----------------------------------------------------------------------------------------


def _held(ds: Dataset, pool: np.ndarray, asks: _Asks, norm: Normaliser) -> np.ndarray:
    """Bit matrix (pool × asked items, packed little-endian): which asked items each candidate holds.

    Only items some future place asks are numbered. A licence includes those it implies (CE → C, BE, B).
    """
    c = ds.candidates
    ids = asks.items.ids
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for column, kind in (("certificates", "certificate"), ("skills", "skill")):
        at, codes, texts = _exploded(c[column], pool)
        known = asks.known[kind]
        new = [t for t in texts if t not in known]
        if new:
            known = {**known, **_terms(norm, new, "certificate" if kind == "certificate" else "skill")}
        item = np.array([ids.get((kind, known[t][0]), -1) for t in texts], dtype=np.int64)[codes]
        rows.append(at[item >= 0])
        cols.append(item[item >= 0])
    at, codes, texts = _exploded(c["driving_licences"], pool)
    for u, code in enumerate(texts):
        for lic in (code, *LICENCE_IMPLIES.get(code, ())):
            j = ids.get(("licence", lic), -1)
            if j >= 0:
                rows.append(at[codes == u])
                cols.append(np.full(int((codes == u).sum()), j, dtype=np.int64))
    r, k = np.concatenate(rows), np.concatenate(cols)
    bits = np.zeros((len(pool), (max(len(ids), 1) + 7) // 8), dtype=np.uint8)
    np.bitwise_or.at(bits, (r, k >> 3), np.left_shift(1, k & 7).astype(np.uint8))
    return bits


def _locations(ds: Dataset, postcodes: PostcodeTable | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate and vacancy coordinates as :class:`matching.prepare.Prepared` resolves them.

    A candidate: given lat/lon, else the postcode's centroid, else the centre of the located candidates
    of their region. A vacancy: its own location, else its contractor's. NaN where still unknown.
    """
    c, v, k = ds.candidates, ds.vacancies, ds.contractors
    la, lo, src = resolve_points(c["lat"], c["lon"], c["postcode"], postcodes)
    known = src != LOC_UNKNOWN
    if known.any() and not known.all():
        region = c["region"].astype(object)
        frame = pd.DataFrame({"r": region.to_numpy(), "la": la, "lo": lo})[known].dropna(subset=["r"])
        centres = frame.groupby("r")[["la", "lo"]].mean()
        la = np.where(known, la, region.map(centres["la"]).to_numpy(dtype=float, na_value=np.nan))
        lo = np.where(known, lo, region.map(centres["lo"]).to_numpy(dtype=float, na_value=np.nan))
    vla, vlo, vsrc = resolve_points(v["lat"], v["lon"], v["postcode"], postcodes)
    kla, klo, _ = resolve_points(k["lat"], k["lon"], k["postcode"], postcodes)
    kpos = pd.Index(k["contractor_id"].astype(str)).get_indexer(pd.Index(v["contractor_id"].astype(str)))
    use = (vsrc == LOC_UNKNOWN) & (kpos >= 0)
    vla[use], vlo[use] = kla[kpos[use]], klo[kpos[use]]
    return la, lo, vla, vlo


@dataclass
class _Pool:
    """The matchable candidates in block order: each block is a contiguous slice of these arrays."""

    rows: np.ndarray  # candidate row in the dataset
    lat: np.ndarray
    lon: np.ndarray
    km: np.ndarray
    unit: np.ndarray  # (n, 3) unit vectors; NaN where the location is unknown
    cos_reach: np.ndarray  # cos of the travel radius as an angle: in reach when the dot product is at least this
    lang: np.ndarray
    edu: np.ndarray
    phys: np.ndarray
    hmin: np.ndarray
    hmax: np.ndarray
    hours_below_min: float  # hours a place may lie below the candidate's minimum
    group: np.ndarray
    has_previous: np.ndarray
    held: np.ndarray  # packed bits, see _held
    blocks: list[tuple[int, int, bool]]  # (start, end, located)


def _pool(
    ds: Dataset, asks: _Asks, norm: Normaliser, *, lat: np.ndarray, lon: np.ndarray, hours_below_min: float
) -> _Pool:
    c = ds.candidates
    pool = np.flatnonzero(matchable(c).to_numpy())
    la, lo = lat[pool], lon[pool]
    km = c["max_travel_km"].to_numpy(dtype=float, na_value=np.nan)[pool]
    km = np.where(np.isnan(km), DEFAULT_MAX_TRAVEL_KM, km)
    unit = units(la, lo)
    located = ~np.isnan(unit).any(axis=1)
    # blocks: per class of travel radius, runs of the leaf order of a k-d tree (spatially compact)
    order: list[np.ndarray] = []
    blocks: list[tuple[int, int, bool]] = []
    start = 0
    classes = np.searchsorted(REACH_CLASSES_KM, km, side="left")
    for k in np.unique(classes[located]):
        rows = np.flatnonzero(located & (classes == k))
        if len(rows) > _BLOCK:
            rows = rows[compact_order(unit[rows])]
        order.append(rows)
        blocks += [(s, min(s + _BLOCK, start + len(rows)), True) for s in range(start, start + len(rows), _BLOCK)]
        start += len(rows)
    rows = np.flatnonzero(~located)
    order.append(rows)
    blocks += [(s, min(s + _BLOCK, start + len(rows)), False) for s in range(start, start + len(rows), _BLOCK)]
    perm = np.concatenate(order).astype(np.int64)
    hmin = c["hours_min"].to_numpy(dtype=float, na_value=np.nan)[pool]
    hmax = c["hours_max"].to_numpy(dtype=float, na_value=np.nan)[pool]
    previous = np.fromiter((len(x) > 0 for x in c["previous_employers"].to_numpy(dtype=object)[pool]), dtype=bool)
    group = pd.Categorical(c["target_group"].astype(str), categories=GROUPS).codes.astype(np.int64)[pool]
    return _Pool(
        rows=pool[perm],
        lat=la[perm],
        lon=lo[perm],
        km=km[perm],
        unit=unit[perm],
        cos_reach=np.cos(np.minimum(km[perm] / EARTH_RADIUS_KM, np.pi)),
        lang=_levels(c["language_level"], _UNKNOWN_RANK)[pool][perm],
        edu=_levels(c["education_level"], _UNKNOWN_RANK)[pool][perm],
        phys=_levels(c["physical_capacity"], _UNKNOWN_RANK)[pool][perm],
        hmin=np.where(np.isnan(hmin), DEFAULT_HOURS[0], hmin)[perm],
        hmax=np.where(np.isnan(hmax), DEFAULT_HOURS[1], hmax)[perm],
        hours_below_min=hours_below_min,
        group=group[perm],
        has_previous=previous[perm],
        held=_held(ds, pool[perm], asks, norm),
        blocks=blocks,
    )


@dataclass
class _Places:
    """The future places as arrays (row ``j`` is the ``j``-th future vacancy)."""

    lat: np.ndarray
    lon: np.ndarray
    unit: np.ndarray
    lang: np.ndarray  # -1 where no minimum is set
    edu: np.ndarray
    phys: np.ndarray
    hours: np.ndarray
    allowed: np.ndarray  # (places, groups)
    contractor: np.ndarray  # contractor number, for the previous-employer rule
    previous: np.ndarray  # sorted keys candidate row * n_contractors + contractor
    n_contractors: int
    located: np.ndarray = field(init=False)  # positions of the places with a location
    unlocated: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        known = ~np.isnan(self.unit).any(axis=1)
        self.located, self.unlocated = np.flatnonzero(known), np.flatnonzero(~known)


def _places(ds: Dataset, fv: np.ndarray, today: np.datetime64, vla: np.ndarray, vlo: np.ndarray) -> _Places:
    c, v = ds.candidates, ds.vacancies
    contractors = pd.Index(
        pd.unique(pd.concat([ds.contractors["contractor_id"], v["contractor_id"]]).astype(str).to_numpy())
    )
    n_k = max(len(contractors), 1)
    at, codes, names = _exploded(c["previous_employers"], np.arange(len(c)))
    k = contractors.get_indexer(pd.Index(names, dtype=object))[codes] if names else np.zeros(0, dtype=np.int64)
    return _Places(
        lat=vla[fv],
        lon=vlo[fv],
        unit=units(vla[fv], vlo[fv]),
        lang=_levels(v["min_language_level"], -1)[fv],
        edu=_levels(v["min_education_level"], -1)[fv],
        phys=_levels(v["physical_load"], -1)[fv],
        hours=v["hours_per_week"].to_numpy(dtype=float, na_value=np.nan)[fv],
        allowed=_allowed_groups(ds, today)[fv],
        contractor=contractors.get_indexer(pd.Index(v["contractor_id"].astype(str))).astype(np.int64)[fv],
        previous=np.unique(at[k >= 0].astype(np.int64) * n_k + k[k >= 0]),
        n_contractors=n_k,
    )


# -- screening -------------------------------------------------------------------------------------


@dataclass
class _Found:
    """Distinct-candidate counts and the one-step triples, accumulated over the blocks."""

    ready: np.ndarray  # per item: candidates ready for a place asking it and holding it
    one_step: np.ndarray  # per item: candidates exactly this item away (a trainable one: see _screen)
    gap_one_step: np.ndarray  # per item: candidates lacking exactly this gap item for a place
    occ_ready: np.ndarray  # per occupation
    occ_one_step: np.ndarray
    step_vacancies: np.ndarray  # (items, places) bool: the place opens up for a candidate lacking the item
    step_c: list[np.ndarray] = field(default_factory=list)  # one-step triples: pool position, place, item
    step_v: list[np.ndarray] = field(default_factory=list)
    step_i: list[np.ndarray] = field(default_factory=list)


def _reach(pool: _Pool, places: _Places, index: SphereIndex, block: tuple[int, int, bool]) -> np.ndarray:
    """Places that may be in reach of candidates ``s:e``: those the index finds near the block (within
    its spread plus its largest travel radius), and those without a location. All for unlocated ones."""
    s, e, located = block
    if not located:
        return np.arange(len(places.lat))
    centre = pool.unit[s:e].mean(axis=0)
    centre /= np.linalg.norm(centre)
    spread = float(np.arccos(np.clip(pool.unit[s:e] @ centre, -1.0, 1.0)).max())
    radius = float(chord_of_km(spread * EARTH_RADIUS_KM + float(pool.km[s:e].max()))) * (1 + 1e-9) + 1e-12
    return np.concatenate([index.within(centre, radius), places.unlocated])


def _screen(pool: _Pool, places: _Places, asks: _Asks) -> _Found:
    n_items, n_occ, n_v = max(len(asks.items), 1), max(len(asks.occupations), 1), len(places.lat)
    found = _Found(
        ready=np.zeros(n_items, dtype=np.int64),
        one_step=np.zeros(n_items, dtype=np.int64),
        gap_one_step=np.zeros(n_items, dtype=np.int64),
        occ_ready=np.zeros(n_occ, dtype=np.int64),
        occ_one_step=np.zeros(n_occ, dtype=np.int64),
        step_vacancies=np.zeros((n_items, n_v), dtype=bool),
    )
    index = SphereIndex(places.lat, places.lon)
    # the four (places × items) matrices stacked, so that one row selection and one product serve them all
    stacked = sparse.vstack([asks.gap, asks.gap_which, asks.soft, asks.soft_which]).tocsr()
    for s, e, located in pool.blocks:
        vm = _reach(pool, places, index, (s, e, located))
        m, n = len(vm), e - s
        if m == 0:
            continue
        # in reach: dot product of unit vectors against cos(radius); on the boundary the rule book decides
        ok = np.ones((m, n), dtype=bool)
        if located:
            k = m - len(places.unlocated)  # the places without a location come last: in reach
            dot = places.unit[vm[:k]] @ pool.unit[s:e].T
            ok[:k] = dot >= pool.cos_reach[s:e]
            near = np.abs(dot - pool.cos_reach[s:e]) < _BOUNDARY
            if near.any():
                vi, ci = np.nonzero(near)
                u, w = places.unit[vm[vi]], pool.unit[s + ci]
                c2 = rb.ufunc(rb.chord2)(u[:, 0], u[:, 1], u[:, 2], w[:, 0], w[:, 1], w[:, 2])
                reach = rb.ufunc(rb.chord2_of_km)(pool.km[s + ci])
                ok[vi, ci] = ~np.asarray(rb.ufunc(rb.beyond_reach)(c2, reach), dtype=bool)
        # the other hard rules of the rule book (unknown never excludes)
        below = rb.ufunc(rb.below_level)
        ok &= ~below(pool.lang[s:e], places.lang[vm, None])
        ok &= ~below(pool.edu[s:e], places.edu[vm, None])
        ok &= ~below(pool.phys[s:e], places.phys[vm, None])
        hours = places.hours[vm, None]
        ok &= ~rb.ufunc(rb.hours_outside)(hours, pool.hmin[s:e], pool.hmax[s:e], pool.hours_below_min)
        group = pool.group[s:e]
        ok &= ~rb.ufunc(rb.group_not_counted)(group, places.allowed[vm][:, np.maximum(group, 0)])
        prev = np.flatnonzero(pool.has_previous[s:e])
        if len(prev) and len(places.previous):
            keys = pool.rows[s + prev] * places.n_contractors + places.contractor[vm, None]
            at = np.minimum(np.searchsorted(places.previous, keys), len(places.previous) - 1)
            ok[:, prev] &= ~rb.ufunc(rb.worked_there)((places.previous[at] == keys).astype(np.float64))
        # items lacked per pair: (places × items) @ (items × candidates), for gap and trainable items
        held = np.unpackbits(pool.held[s:e], axis=1, count=n_items, bitorder="little")
        lacks = np.ascontiguousarray((1 - held).T, dtype=np.float32)
        select = stacked[(np.arange(4)[:, None] * n_v + vm).ravel()]
        missing, which, soft_missing, soft_which = (select @ lacks).reshape(4, m, n)
        one = ok & (missing == 1)
        ready = ok & (missing == 0)
        # ready: every gap item of a ready pair is held; a trainable one only when held
        ready_f = ready.astype(np.float32)
        by_item = (select[:m].T @ ready_f > 0) | ((select[2 * m : 3 * m].T @ ready_f > 0) & (held.T > 0))
        found.ready += by_item.sum(axis=1)
        # exactly one gap item away, and which
        vi, ci = np.nonzero(one)
        item = which[vi, ci].astype(np.int64) - 1
        mark = np.zeros((n_items, n), dtype=bool)
        mark[item, ci] = True
        found.gap_one_step += mark.sum(axis=1)
        found.step_vacancies[item, vm[vi]] = True
        found.step_c.append(s + ci)
        found.step_v.append(vm[vi])
        found.step_i.append(item)
        # a trainable certificate: ready for the place, lacking it and no other trainable one
        svi, sci = np.nonzero(ready & (soft_missing == 1))
        mark[soft_which[svi, sci].astype(np.int64) - 1, sci] = True
        found.one_step += mark.sum(axis=1)
        # occupations: ready for, or one gap item away from, at least one place of it
        occ = asks.occupation[vm]
        for target, (pv, pc) in ((found.occ_ready, np.nonzero(ready)), (found.occ_one_step, (vi, ci))):
            marks = np.zeros((n_occ, n), dtype=bool)
            marks[occ[pv], pc] = True
            np.add(target, marks.sum(axis=1), out=target)
    return found


# -- the frames ------------------------------------------------------------------------------------


def _demand(asks: _Asks, places: np.ndarray, found: _Found) -> pd.DataFrame:
    n = len(asks.items)
    asked = (asks.gap + asks.soft).tocoo()
    item_places = np.bincount(asked.col, weights=places[asked.row], minlength=n)[:n]
    frame = asks.items.frame().assign(places=item_places, ready=found.ready[:n], one_step=found.one_step[:n])
    m = len(asks.occupations)
    occ_frame = asks.occupations.frame().assign(
        places=np.bincount(asks.occupation, weights=places, minlength=m)[:m],
        ready=found.occ_ready[:m],
        one_step=found.occ_one_step[:m],
    )
    out = pd.concat([occ_frame, frame], ignore_index=True)
    for col in ("places", "ready", "one_step"):
        out[col] = out[col].astype(np.int64)
    out["shortage"] = (out["places"] - out["ready"]).clip(lower=0).astype(np.int64)
    out = out.sort_values(["shortage", "places", "item", "kind"], ascending=[False, False, True, True], kind="stable")
    return out.reset_index(drop=True)[DEMAND_COLUMNS]


def _one_step(asks: _Asks, places: np.ndarray, found: _Found) -> pd.DataFrame:
    n = len(asks.items)
    opened = found.step_vacancies[:n]
    frame = asks.items.frame().assign(
        candidates=found.gap_one_step[:n],
        places=(opened @ places).astype(np.int64),
        vacancies=opened.sum(axis=1).astype(np.int64),
    )
    frame = frame[frame["candidates"] > 0].copy()
    frame["text"] = pd.Series(
        [
            sentence(kind, label, int(c), int(p))
            for kind, label, c, p in zip(
                frame["kind"], frame["label"], frame["candidates"], frame["places"], strict=True
            )
        ],
        index=frame.index,
        dtype=object,
    )
    frame = frame.sort_values(
        ["candidates", "places", "item", "kind"], ascending=[False, False, True, True], kind="stable"
    )
    return frame.reset_index(drop=True)[ONE_STEP_COLUMNS]


def training_needs(
    ds: Dataset,
    today: date,
    *,
    normaliser: Normaliser | None = None,
    postcodes: PostcodeTable | None = None,
    hours_below_min: float = MatchConfig.hours_below_min,
) -> TrainingNeeds:
    """The tender calendar and the training needs of the places that open after ``today``.

    Args:
        ds: The dataset.
        today: The reference date: places of obligations starting after it are future places.
        normaliser: Maps certificate, skill and occupation texts to taxonomy codes (default: the
            built-in taxonomy). Each distinct text is normalised once.
        postcodes: Centroids for rows without coordinates, as the matcher uses them (optional).
        hours_below_min: Hours per week a place may lie below a candidate's minimum, as the matcher's
            setting (:class:`matching.prepare.MatchConfig`).

    Returns:
        The calendar, demand, one-step and candidate frames of :class:`TrainingNeeds`.
    """
    norm = normaliser or Normaliser(Taxonomy.builtin())
    now = np.datetime64(today, "D")
    fv, all_places = _future_vacancies(ds, now)
    places = all_places[fv]
    asks = _asks(ds, fv, norm)
    la, lo, vla, vlo = _locations(ds, postcodes)
    pool = _pool(ds, asks, norm, lat=la, lon=lo, hours_below_min=hours_below_min)
    found = _screen(pool, _places(ds, fv, now, vla, vlo), asks)

    keys = asks.items.frame()
    ci = np.concatenate(found.step_c) if found.step_c else np.zeros(0, dtype=np.int64)
    vi = np.concatenate(found.step_v) if found.step_v else np.zeros(0, dtype=np.int64)
    ii = np.concatenate(found.step_i) if found.step_i else np.zeros(0, dtype=np.int64)
    rows = pool.rows[ci]
    order = np.lexsort((vi, ii, rows))
    rows, vi, ii = rows[order], vi[order], ii[order]
    detail = pd.DataFrame(
        {
            "candidate_id": pd.Series(ds.candidates["candidate_id"].astype(str).to_numpy()[rows], dtype=object),
            "kind": pd.Series(keys["kind"].to_numpy()[ii], dtype=object),
            "item": pd.Series(keys["item"].to_numpy()[ii], dtype=object),
            "vacancy_id": pd.Series(ds.vacancies["vacancy_id"].astype(str).to_numpy()[fv][vi], dtype=object),
        },
        columns=CANDIDATE_COLUMNS,
    )
    return TrainingNeeds(
        calendar=_calendar(ds, now, all_places),
        demand=_demand(asks, places, found),
        one_step=_one_step(asks, places, found),
        candidates=detail,
    )
