"""Contributions other than placements (contributions.csv): validated like the other files, valued by
the obligation's scheme version, counted in its progress, and carried through the store unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from matching.monitoring.progress import obligation_progress
from models.dataset import read_dataset, validate_dataset
from models.valuation import Schemes, value_contributions
from tests.conftest import BASE_ROWS, write_rows

HEADER = ("contribution_id", "obligation_id", "kind", "contribution_date", "amount_eur", "hours", "days", "description")


def _contribution(cid: str, kind: str, **cells: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update({"contribution_id": cid, "obligation_id": "O1", "kind": kind, "contribution_date": "2026-04-01"})
    row.update(cells)
    return row


def _folder(tmp_path: Path, contributions: list[dict[str, str]], **obligation: str) -> Path:
    rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items()}
    rows["obligations"][0].update(obligation)
    rows["contributions"] = contributions
    return write_rows(tmp_path / "ds", rows)


def _obligations(scheme: str, award: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "obligation_id": ["O1"],
            "contractor_id": ["C1"],
            "valuation_scheme": [scheme],
            "award_date": pd.to_datetime([award]),
        }
    )


def _contributions(*rows: tuple[str, float | None, float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "obligation_id": ["O1"] * len(rows),
            "kind": [r[0] for r in rows],
            "amount_eur": [r[1] for r in rows],
            "hours": [r[2] for r in rows],
            "days": [r[3] for r in rows],
        }
    ).astype({"amount_eur": float, "hours": float, "days": float})


def test_each_scheme_values_its_non_placement_blocks_as_published() -> None:
    rows = _contributions(
        ("inkoop_sociale_onderneming", 12_345.67, None, None),
        ("kennisdeling", None, 12.0, None),
        ("maatschappelijke_activiteit", None, None, 2.0),
    )
    # Utrecht: purchases at invoice value excl. VAT, € 100 per employee-hour; no social-activity block
    utrecht = value_contributions(rows, _obligations("utrecht", "2025-01-01"), Schemes())
    assert utrecht.euros.tolist() == [12_345.67, 1_200.0, 0.0]
    assert utrecht.rules[1] == "utrecht: kennisdeling, 100 per uur × 12 = € 1.200"
    assert utrecht.rules[2] == "utrecht: maatschappelijke_activiteit telt niet in dit schema = € 0"
    # Holland Rijnland 2023: paid invoices, a social activity € 1,000 a day
    rijnland = value_contributions(rows, _obligations("holland_rijnland", "2024-01-01"), Schemes())
    assert rijnland.euros.tolist() == [12_345.67, 0.0, 2_000.0]
    assert rijnland.rules[0] == "holland_rijnland 2023: inkoop_sociale_onderneming, factuurwaarde excl. btw = € 12.346"
    # Oost-NL: purchases at invoice value only; Haaglanden's table has no such blocks
    assert value_contributions(rows, _obligations("oost_nl", "2024-01-01"), Schemes()).euros.tolist() == [
        12_345.67,
        0.0,
        0.0,
    ]
    assert value_contributions(rows, _obligations("haaglanden", "2024-01-01"), Schemes()).euros.tolist() == [0, 0, 0]


def test_contributions_count_in_the_obligations_progress(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        [
            _contribution("B1", "inkoop_sociale_onderneming", amount_eur="5000"),
            _contribution("B2", "inkoop_sociale_onderneming", amount_eur="3000", contribution_date="2026-12-01"),
        ],
        obligation_eur="100000",
    )
    ds = read_dataset(folder)
    progress = obligation_progress(ds, date(2026, 8, 1)).set_index("obligation_id").loc["O1"]
    # P1 (40,000) plus the purchase made by the report's day; the later one is planned
    assert progress.contributions_eur == 5_000
    assert progress.realised_eur == 45_000
    assert progress.planned_eur == 3_000
    # without contributions the same obligation has 40,000 realised
    ds.contributions = ds.contributions.iloc[0:0]
    assert obligation_progress(ds, date(2026, 8, 1)).set_index("obligation_id").loc["O1"].realised_eur == 40_000


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_contribution("B1", "kennisdeling"), "hours", "is required for a contribution of kind kennisdeling"),
        (
            _contribution("B1", "kennisdeling", hours="4", days="1"),
            "days",
            "belongs to a contribution of kind maatschappelijke_activiteit only",
        ),
        (_contribution("B1", "inkoop_sociale_onderneming", amount_eur="-5"), "amount_eur", "≥ 0"),
        (_contribution("B1", "sponsoring", amount_eur="5"), "kind", "sponsoring"),
        (_contribution("B1", "kennisdeling", hours="3", obligation_id="O9"), "obligation_id", "O9"),
        (_contribution("B1", "kennisdeling", hours="3", contribution_date="1-4-2026"), "contribution_date", ""),
    ],
)
def test_a_bad_contribution_names_its_file_row_and_field(
    tmp_path: Path, row: dict[str, str], column: str, message: str
) -> None:
    report = validate_dataset(_folder(tmp_path, [_contribution("B0", "kennisdeling", hours="2"), row]))
    assert report.dataset is None
    problem = next(p for p in report.errors if p.file == "contributions.csv")
    assert (problem.row, problem.column) == (3, column)
    assert message in f"{problem.value} {problem.message}"
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "ds")])
    assert result.exit_code == 2
    assert "contributions.csv" in result.output


def test_a_dataset_without_contributions_is_valid(tmp_path: Path) -> None:
    rows = {name: [dict(r) for r in records] for name, records in BASE_ROWS.items()}
    ds = read_dataset(write_rows(tmp_path / "ds", rows))
    assert len(ds.contributions) == 0
    assert list(ds.contributions.columns) == list(HEADER)


def test_an_own_scheme_sets_its_blocks(tmp_path: Path) -> None:
    from models.errors import KoppelaarError
    from models.valuation import load_schemes

    path = tmp_path / "schemes.toml"
    path.write_text(
        '[schemes.eigen]\nextends = "haaglanden"\n'
        'blocks = { inkoop_sociale_onderneming = "factuur", kennisdeling = 80 }\n',
        encoding="utf-8",
    )
    rows = _contributions(("inkoop_sociale_onderneming", 900.0, None, None), ("kennisdeling", None, 10.0, None))
    assert value_contributions(rows, _obligations("eigen", "2024-01-01"), load_schemes(path)).euros.tolist() == [
        900.0,
        800.0,
    ]
    path.write_text('[schemes.eigen]\nextends = "oost_nl"\nblocks = { inkoop_sociale_onderneming = 100 }\n')
    with pytest.raises(KoppelaarError, match=r"blocks.inkoop_sociale_onderneming: 100 must be \"factuur\""):
        load_schemes(path)
    path.write_text('[schemes.eigen]\nextends = "oost_nl"\nblocks = { sponsoring = 100 }\n')
    with pytest.raises(KoppelaarError, match="unknown key"):
        load_schemes(path)
