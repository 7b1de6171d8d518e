"""Planned tenders from Open Contracting Data Standard (OCDS) JSON: releases as obligations not yet started.

A file holds one release, a release package (``{"releases": [...]}``) or a record package
(``{"records": [{"compiledRelease": ...}]}``). Each release with social criteria becomes one row of
``obligations.csv`` and, for its contractor, one row of ``contractors.csv``; the rows are then validated
and imported like the format's own files. The mapping (docs/DATA-FORMAT.md, "Tender calendar from OCDS"):

- ``obligation_id``: the release's ``ocid``; ``tender_name``: ``tender.title``; ``client``: ``buyer.name``
  (else the party with role ``buyer``); ``sector``: ``tender.mainProcurementCategory`` in Dutch.
- ``contract_value_eur``: the award's ``value`` (else the contract's, else the tender's); in euros only.
- ``publication_date``: ``tender.datePublished`` (else ``tender.tenderPeriod.startDate``, when bids opened).
- ``award_date``: the award's ``date`` (else ``tender.awardPeriod.endDate``, else ``tender.tenderPeriod.endDate``).
- ``start_date``/``end_date``: the contract's ``period`` (else the award's ``contractPeriod``, else the
  tender's); a period with ``durationInDays`` and no end ends that many days after its start.
- the contractor: the award's first supplier (its KvK number from the party's identifier, scheme
  ``NL-KVK``); a tender not yet awarded gets the placeholder contractor ``ocds:<ocid>``, named
  "nog te gunnen", until a later release names the supplier.
- social criteria: a ``tender.sustainability`` entry whose ``goal`` starts with ``social`` (the OCDS
  sustainability extension), or an award criterion or ``tender.description`` naming social return
  (``SROI``, ``social return``, ``social return on investment``). The percentage is the first ``N%`` in
  those texts, else the caller's default; a release without social criteria is skipped with a warning.

Nothing here touches the store: :func:`read_ocds` returns cell texts and problems.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from models.errors import Problem

#: ``tender.mainProcurementCategory`` in the Dutch of the ``sector`` column.
SECTORS = {"works": "werken", "services": "diensten", "goods": "leveringen"}
#: Words that mark a criterion text as social return.
_SOCIAL = r"(?:sroi|social return(?: on investment)?|sociaal rendement)"
SOCIAL_WORDS = re.compile(rf"\b{_SOCIAL}\b", re.IGNORECASE)
#: A percentage in a social criterion: after the words in the same sentence, or right before them.
SOCIAL_PERCENT = re.compile(
    rf"\b{_SOCIAL}\b[^.;\n%]{{0,60}}?(\d+(?:[.,]\d+)?)\s*%|(\d+(?:[.,]\d+)?)\s*%\s*(?:aan\s+)?{_SOCIAL}\b",
    re.IGNORECASE,
)
PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
#: The contractor of a tender that is not awarded yet.
PLACEHOLDER_NAME = "nog te gunnen"


@dataclass
class OcdsRows:
    """What a file's releases become: cell texts per file, the release each row comes from, problems."""

    contractors: list[dict[str, str]] = field(default_factory=list)
    obligations: list[dict[str, str]] = field(default_factory=list)
    #: per obligation row: the release's place in the file (1 = first) and its ocid
    releases: list[tuple[int, str]] = field(default_factory=list)
    #: per obligation row: the OCDS path each column was read from
    sources: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0


def release_problem(
    file: str, number: int, ocid: str, path: str, *, value: object, message: str, severity: str = "error"
) -> Problem:
    """A problem of one release's field: the file, the release (its place and ocid) and the OCDS path."""
    shown = None if value is None else str(value)
    return Problem(f"{file}: release {number} ({ocid})", None, path, shown, message, severity)  # type: ignore[arg-type]


def _releases(doc: Any) -> list[Any] | None:
    if isinstance(doc, dict) and isinstance(doc.get("releases"), list):
        return list(doc["releases"])
    if isinstance(doc, dict) and isinstance(doc.get("records"), list):
        return [r.get("compiledRelease") if isinstance(r, dict) else r for r in doc["records"]]
    if isinstance(doc, dict) and "ocid" in doc:
        return [doc]
    if isinstance(doc, list):
        return doc
    return None


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _day(value: Any) -> date | None:
    """An OCDS date-time (``2027-03-01T00:00:00Z``) as its day; ``None`` when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("is not a date-time text")
    return date.fromisoformat(value[:10])


class _Release:
    """One release read field by field; every unreadable field becomes a problem of it."""

    def __init__(self, file: str, number: int, release: dict[str, Any], problems: list[Problem]) -> None:
        self.file, self.number, self.release, self.problems = file, number, release, problems
        self.ocid = str(release.get("ocid") or "")
        self.sources: dict[str, str] = {}
        self.ok = True

    def problem(self, path: str, value: object, message: str, severity: str = "error") -> None:
        self.problems.append(
            release_problem(self.file, self.number, self.ocid, path, value=value, message=message, severity=severity)
        )
        if severity == "error":
            self.ok = False

    def first(self, column: str, paths: list[str]) -> tuple[Any, str | None]:
        """The first of ``paths`` that holds a value (the column remembers which)."""
        for path in paths:
            value = self.at(path)
            if value not in (None, "", [], {}):
                self.sources[column] = path
                return value, path
        return None, None

    def at(self, path: str) -> Any:
        head, _, rest = path.partition("[0].")
        if rest:
            items = _get(self.release, head)
            return _get(items[0], rest) if isinstance(items, list) and items else None
        return _get(self.release, path)

    def day(self, column: str, paths: list[str]) -> date | None:
        value, path = self.first(column, paths)
        if path is None:
            return None
        try:
            return _day(value)
        except ValueError:
            self.problem(path, value, "is not a date (write it as 2027-03-01 or 2027-03-01T00:00:00Z)")
            return None

    def amount(self, paths: list[str]) -> float | None:
        value, path = self.first("contract_value_eur", paths)
        if path is None:
            return None
        amount, currency = (value.get("amount"), value.get("currency")) if isinstance(value, dict) else (None, None)
        if currency not in (None, "EUR"):
            self.problem(f"{path}.currency", currency, "is not EUR: Koppelaar values obligations in euros")
            return None
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            self.problem(f"{path}.amount", amount, "is not a number")
            return None
        return float(amount)


def _party(release: dict[str, Any], party_id: Any) -> dict[str, Any]:
    for party in release.get("parties") or []:
        if isinstance(party, dict) and party_id is not None and party.get("id") == party_id:
            return party
    return {}


def _kvk(party: dict[str, Any]) -> str:
    identifiers = [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]
    for ident in identifiers:
        if isinstance(ident, dict) and str(ident.get("scheme", "")).upper() == "NL-KVK":
            digits = re.sub(r"\D", "", str(ident.get("id", "")))
            return digits
    return ""


def _postcode(party: dict[str, Any]) -> str:
    """The four digits of the party's Dutch postal code, or empty."""
    digits = str(_get(party, "address.postalCode") or "").replace(" ", "")[:4]
    return digits if re.fullmatch(r"[1-9]\d{3}", digits) else ""


def social_criteria(release: dict[str, Any]) -> tuple[bool, float | None]:
    """Whether the release asks for social return, and the percentage its texts state (``None``: none)."""
    tender = release.get("tender") or {}
    stated: list[str] = []  # texts of a social goal: any percentage in them is the SROI percentage
    texts: list[str] = []  # other texts: only a percentage next to the words counts
    social = False
    for item in tender.get("sustainability") or []:
        if isinstance(item, dict) and str(item.get("goal", "")).startswith("social"):
            social = True
            stated.append(str(item.get("description") or ""))
    criteria = _get(tender, "awardCriteriaDetails") or ""
    texts_to_scan = [str(criteria), str(tender.get("awardCriteria") or ""), str(tender.get("description") or "")]
    for group in _get(tender, "awardCriteria.criteria") or [] if isinstance(tender.get("awardCriteria"), dict) else []:
        if isinstance(group, dict):
            texts_to_scan.append(str(group.get("description") or ""))
    for text in texts_to_scan:
        if SOCIAL_WORDS.search(text):
            social = True
            texts.append(text)
    for text in stated:
        found = SOCIAL_PERCENT.search(text) or PERCENT.search(text)
        if found:
            return social, float(next(g for g in found.groups() if g).replace(",", "."))
    for text in texts:
        found = SOCIAL_PERCENT.search(text)
        if found:
            return social, float(next(g for g in found.groups() if g).replace(",", "."))
    return social, None


def read_ocds(path: Path, *, sroi_percentage: float | None = None) -> OcdsRows:
    """The obligations and contractors of an OCDS file's releases; see the module's mapping.

    ``sroi_percentage`` is the percentage of a release with social criteria that states none.
    """
    out = OcdsRows()
    file = path.name
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        out.problems.append(Problem(file, None, None, None, f"cannot be read: {exc.strerror}"))
        return out
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        out.problems.append(Problem(file, None, None, None, f"is not JSON: {exc}"))
        return out
    releases = _releases(doc)
    if releases is None:
        out.problems.append(
            Problem(file, None, None, None, "is not an OCDS release, release package or record package")
        )
        return out
    by_ocid: dict[str, tuple[int, dict[str, str], dict[str, str], dict[str, str]]] = {}
    for number, release in enumerate(releases, start=1):
        if not isinstance(release, dict):
            out.problems.append(
                release_problem(file, number, "?", "release", value=None, message="is not a JSON object")
            )
            continue
        r = _Release(file, number, release, out.problems)
        if not r.ocid:
            r.problem("ocid", None, "is missing: every release names its contracting process")
            continue
        row = _obligation(r, sroi_percentage)
        if row is None:
            out.skipped += int(r.ok)
            continue
        by_ocid.pop(r.ocid, None)  # a later release of the same process wins, as OCDS compiles them
        by_ocid[r.ocid] = (number, row[0], row[1], r.sources)
    for ocid, (number, obligation, contractor, sources) in by_ocid.items():
        out.obligations.append(obligation)
        out.releases.append((number, ocid))
        out.sources.append(sources)
        if contractor["contractor_id"] not in {c["contractor_id"] for c in out.contractors}:
            out.contractors.append(contractor)
    return out


def _obligation(r: _Release, default_percentage: float | None) -> tuple[dict[str, str], dict[str, str]] | None:
    social, percentage = social_criteria(r.release)
    if not social:
        r.problem(
            "tender.sustainability",
            None,
            "names no social criteria (no social goal, no SROI in the award criteria): not an SROI obligation; skipped",
            "warning",
        )
        return None
    if percentage is None:
        percentage = default_percentage
        if percentage is None:
            r.problem(
                "tender.awardCriteriaDetails",
                None,
                "states no SROI percentage: give one with --sroi-percentage for such tenders",
            )
    title, _ = r.first("tender_name", ["tender.title"])
    if title is None:
        r.problem("tender.title", None, "is missing: the obligation needs the tender's name")
    buyer, _ = r.first("client", ["buyer.name"])
    if buyer is None:
        for party in r.release.get("parties") or []:
            if isinstance(party, dict) and "buyer" in (party.get("roles") or []) and party.get("name"):
                buyer = party["name"]
                r.sources["client"] = "parties[role=buyer].name"
                break
    if buyer is None:
        r.problem("buyer.name", None, "is missing: the obligation needs its client")
    value = r.amount(["awards[0].value", "contracts[0].value", "tender.value"])
    if value is None and "contract_value_eur" not in r.sources:
        r.problem("tender.value.amount", None, "is missing: the obligation needs the contract's value")
    periods = ["contracts[0].period", "awards[0].contractPeriod", "tender.contractPeriod"]
    start = r.day("start_date", [f"{p}.startDate" for p in periods])
    end = r.day("end_date", [f"{p}.endDate" for p in periods])
    if start is not None and end is None:
        days, path = r.first("end_date", [f"{p}.durationInDays" for p in periods])
        if path is not None:
            if isinstance(days, int) and not isinstance(days, bool) and days > 0:
                end = start + timedelta(days=days)
            else:
                r.problem(path, days, "is not a whole number of days above 0")
    if start is None:
        r.problem("tender.contractPeriod.startDate", None, "is missing: the obligation needs its start")
    if end is None and start is not None:
        r.problem("tender.contractPeriod.endDate", None, "is missing (and no durationInDays): the obligation ends")
    published = r.day("publication_date", ["tender.datePublished", "tender.tenderPeriod.startDate"])
    award = r.day(
        "award_date",
        ["awards[0].date", "contracts[0].dateSigned", "tender.awardPeriod.endDate", "tender.tenderPeriod.endDate"],
    )
    if award is None:
        award = start
        r.sources["award_date"] = r.sources.get("start_date", "")
    supplier = r.at("awards[0].suppliers")
    supplier = supplier[0] if isinstance(supplier, list) and supplier and isinstance(supplier[0], dict) else None
    if supplier is not None and supplier.get("id") is not None:
        party = _party(r.release, supplier.get("id"))
        name = supplier.get("name") or party.get("name")
        if not name:
            r.problem("awards[0].suppliers[0].name", None, "is missing: the contractor needs a name")
        contractor = {
            "contractor_id": f"ocds:{supplier['id']}",
            "name": str(name or ""),
            "kvk": _kvk(party),
            "postcode": _postcode(party),
        }
        r.sources["contractor_id"] = "awards[0].suppliers[0].id"
    else:
        contractor = {"contractor_id": f"ocds:{r.ocid}", "name": PLACEHOLDER_NAME}
        r.sources["contractor_id"] = "ocid"
    if not r.ok:
        return None
    category = str(_get(r.release, "tender.mainProcurementCategory") or "")
    obligation = {
        "obligation_id": r.ocid,
        "contractor_id": contractor["contractor_id"],
        "client": str(buyer),
        "tender_name": str(title),
        "sector": SECTORS.get(category, ""),
        "contract_value_eur": repr(value),
        "sroi_percentage": repr(float(percentage)) if percentage is not None else "",
        "publication_date": published.isoformat() if published else "",
        "award_date": award.isoformat() if award else "",
        "start_date": start.isoformat() if start else "",
        "end_date": end.isoformat() if end else "",
    }
    r.sources.setdefault("sroi_percentage", "tender.sustainability / awardCriteria")
    return obligation, contractor


__all__ = ["PLACEHOLDER_NAME", "SECTORS", "OcdsRows", "read_ocds", "release_problem", "social_criteria"]
