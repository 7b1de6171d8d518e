"""The tender calendar in: OCDS releases and obligations.csv as obligations that have not started."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from models.dataset.ocds import PLACEHOLDER_NAME, read_ocds
from models.errors import DatasetInvalid
from models.store.importer import import_ocds
from tests.conftest import SAMPLE

runner = CliRunner()


def awarded_release() -> dict[str, Any]:
    """An awarded tender of a municipality with a social criterion stating 5%."""
    return {
        "ocid": "ocds-nl-2027-0001",
        "id": "ocds-nl-2027-0001-award",
        "date": "2027-01-10T09:00:00Z",
        "tag": ["award"],
        "buyer": {"id": "NL-GEM-0363", "name": "Gemeente Amsterdam"},
        "parties": [
            {"id": "NL-GEM-0363", "name": "Gemeente Amsterdam", "roles": ["buyer"]},
            {
                "id": "NL-KVK-12345678",
                "name": "Groenbeheer Noord B.V.",
                "roles": ["supplier"],
                "identifier": {"scheme": "NL-KVK", "id": "12345678"},
                "address": {"postalCode": "1021 AB"},
            },
        ],
        "tender": {
            "id": "T1",
            "title": "Groenonderhoud stadsdeel Noord",
            "mainProcurementCategory": "services",
            "value": {"amount": 900000, "currency": "EUR"},
            "contractPeriod": {"startDate": "2027-04-01T00:00:00Z", "endDate": "2029-03-31T00:00:00Z"},
            "sustainability": [
                {"goal": "social.disadvantagedGroups", "description": "Social Return: 5% van de opdrachtwaarde"}
            ],
        },
        "awards": [
            {
                "id": "A1",
                "date": "2027-01-08T00:00:00Z",
                "value": {"amount": 850000, "currency": "EUR"},
                "suppliers": [{"id": "NL-KVK-12345678", "name": "Groenbeheer Noord B.V."}],
            }
        ],
    }


def planned_release() -> dict[str, Any]:
    """A tender still to be awarded: SROI in the award criteria without a percentage, a duration in days."""
    return {
        "ocid": "ocds-nl-2027-0002",
        "id": "ocds-nl-2027-0002-tender",
        "date": "2027-02-01T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"id": "NL-PROV-27", "name": "Provincie Noord-Holland"},
        "tender": {
            "id": "T2",
            "title": "Onderhoud provinciale wegen",
            "mainProcurementCategory": "works",
            "value": {"amount": 2500000, "currency": "EUR"},
            "awardCriteriaDetails": "Prijs 40%? Nee: kwaliteit, waaronder een SROI-plan",
            "tenderPeriod": {"startDate": "2027-03-01T09:00:00Z", "endDate": "2027-05-15T12:00:00Z"},
            "contractPeriod": {"startDate": "2027-09-01T00:00:00Z", "durationInDays": 730},
        },
    }


def not_social_release() -> dict[str, Any]:
    return {
        "ocid": "ocds-nl-2027-0003",
        "id": "x",
        "date": "2027-02-01T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"name": "Gemeente Haarlem"},
        "tender": {"title": "Kantoorpapier", "value": {"amount": 40000, "currency": "EUR"}},
    }


def package(*releases: dict[str, Any]) -> dict[str, Any]:
    return {"uri": "https://example.org/package.json", "version": "1.1", "releases": list(releases)}


def write(tmp_path: Path, doc: object, name: str = "tenders.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_an_ocds_release_package_reads_as_obligations_with_their_contractors(tmp_path: Path) -> None:
    rows = read_ocds(
        write(tmp_path, package(awarded_release(), planned_release(), not_social_release())), sroi_percentage=3
    )
    assert [p.severity for p in rows.problems] == ["warning"]  # the paper tender: no social criteria
    assert str(rows.problems[0]).startswith("tenders.json: release 3 (ocds-nl-2027-0003), column tender.sustainability")
    assert rows.skipped == 1
    awarded, planned = rows.obligations
    assert awarded == {
        "obligation_id": "ocds-nl-2027-0001",
        "contractor_id": "ocds:NL-KVK-12345678",
        "client": "Gemeente Amsterdam",
        "tender_name": "Groenonderhoud stadsdeel Noord",
        "sector": "diensten",
        "contract_value_eur": "850000.0",  # the award's value, not the estimate
        "sroi_percentage": "5.0",  # stated in the social criterion
        "publication_date": "",  # the release does not say
        "award_date": "2027-01-08",
        "start_date": "2027-04-01",
        "end_date": "2029-03-31",
    }
    assert planned["contractor_id"] == "ocds:ocds-nl-2027-0002"
    assert planned["sroi_percentage"] == "3.0"  # the default for a tender that states none
    assert planned["award_date"] == "2027-05-15"  # the end of the tender period
    assert planned["publication_date"] == "2027-03-01"  # when bids opened
    assert planned["end_date"] == "2029-08-31"  # 730 days after the start (2028 is a leap year)
    assert planned["sector"] == "werken"
    supplier, placeholder = rows.contractors
    assert supplier == {
        "contractor_id": "ocds:NL-KVK-12345678",
        "name": "Groenbeheer Noord B.V.",
        "kvk": "12345678",
        "postcode": "1021",
    }
    assert placeholder == {"contractor_id": "ocds:ocds-nl-2027-0002", "name": PLACEHOLDER_NAME}


def test_a_later_release_of_the_same_process_wins(tmp_path: Path) -> None:
    first = planned_release()
    later = planned_release()
    later["tender"]["title"] = "Onderhoud provinciale wegen en fietspaden"
    rows = read_ocds(write(tmp_path, package(first, later)), sroi_percentage=5)
    assert [o["tender_name"] for o in rows.obligations] == ["Onderhoud provinciale wegen en fietspaden"]
    assert rows.releases == [(2, "ocds-nl-2027-0002")]


def test_ocds_imports_into_the_store_and_the_award_replaces_the_placeholder(store: Any, tmp_path: Path) -> None:
    report, skipped = import_ocds(store, write(tmp_path, package(planned_release())), sroi_percentage=4)
    assert report.changes["obligations"].as_dict()["inserted"] == 1
    assert skipped == 0
    awarded = planned_release()
    awarded["awards"] = [
        {"id": "A2", "date": "2027-06-01", "suppliers": [{"id": "NL-KVK-87654321", "name": "Wegenbouw West B.V."}]}
    ]
    report, _ = import_ocds(store, write(tmp_path, package(awarded), "later.json"), sroi_percentage=4)
    assert report.changes["obligations"].as_dict()["updated"] == 1
    ds = store.load_dataset()
    row = ds.obligations.set_index("obligation_id").loc["ocds-nl-2027-0002"]
    assert row["contractor_id"] == "ocds:NL-KVK-87654321"
    assert str(row["award_date"])[:10] == "2027-06-01"
    assert row["sroi_percentage"] == 4.0
    assert row["start_date"] > row["award_date"]  # not started: a tender calendar entry


def test_a_bad_release_names_file_release_and_field_and_imports_nothing(store: Any, tmp_path: Path) -> None:
    bad = awarded_release()
    bad["awards"][0]["value"] = {"amount": 850000, "currency": "USD"}
    late = planned_release()
    late["tender"]["contractPeriod"]["startDate"] = "1 september"
    path = write(tmp_path, package(awarded_release() | {"ocid": "ocds-nl-ok"}, bad, late))
    with pytest.raises(DatasetInvalid) as caught:
        import_ocds(store, path, sroi_percentage=5)
    said = [str(p) for p in caught.value.errors]
    assert any(
        "tenders.json" in s and "release 2 (ocds-nl-2027-0001), column awards[0].value.currency" in s for s in said
    )
    assert any("release 3 (ocds-nl-2027-0002), column tender.contractPeriod.startDate" in s for s in said), said
    assert store.load_dataset().obligations.empty  # the good release was not imported either


def test_a_validation_problem_of_the_format_names_the_release_and_its_ocds_field(store: Any, tmp_path: Path) -> None:
    bad = awarded_release()
    bad["tender"]["contractPeriod"]["endDate"] = "2026-01-01T00:00:00Z"  # before the start
    with pytest.raises(DatasetInvalid) as caught:
        import_ocds(store, write(tmp_path, package(bad)))
    said = " ".join(str(p) for p in caught.value.errors)
    assert "release 1 (ocds-nl-2027-0001), column tender.contractPeriod.endDate" in said, said


def test_the_cli_imports_ocds_and_an_obligations_csv(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOPPELAAR_DATABASE_URL", db_url)
    r = runner.invoke(
        app,
        [
            "tenders",
            "import",
            str(write(tmp_path, package(awarded_release(), not_social_release()))),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["changes"]["obligations"]["inserted"] == 1
    assert out["skipped_releases"] == 1
    # obligations.csv: its contractors must be in the store (the sample's first one is not yet)
    lines = (SAMPLE / "obligations.csv").read_text("utf-8").splitlines()[:2]
    csv_path = tmp_path / "obligations.csv"
    csv_path.write_text("\n".join(lines) + "\n", "utf-8")
    r = runner.invoke(app, ["tenders", "import", str(csv_path)])
    assert r.exit_code == 2
    assert "contractor_id" in " ".join(r.output.split())
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    r = runner.invoke(app, ["tenders", "import", str(csv_path), "--format", "json"])
    assert r.exit_code == 0, r.output
    bad = write(tmp_path, {"not": "ocds"}, "bad.json")
    r = runner.invoke(app, ["tenders", "import", str(bad)])
    assert r.exit_code == 2
    assert "bad.json: is not an OCDS release" in " ".join(r.output.split())


def test_a_single_release_and_a_record_package_read_the_same(tmp_path: Path) -> None:
    single = read_ocds(write(tmp_path, awarded_release(), "one.json"))
    records = read_ocds(
        write(tmp_path, {"records": [{"ocid": "ocds-nl-2027-0001", "compiledRelease": awarded_release()}]}, "rec.json")
    )
    assert single.obligations == records.obligations
    assert len(single.obligations) == 1
    broken = read_ocds(write(tmp_path, {"releases": ["not a release"]}, "broken.json"))
    assert [str(p) for p in broken.problems] == ["broken.json: release 1 (?), column release: is not a JSON object"]
