"""Domain rules over whole tables: each rule applied to a table at once, for the matcher, the solver
and the reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.entities import OCCUPYING_STATUSES
from models.enums import CandidateStatus
from models.schema import default


def obligation_values(obligations: pd.DataFrame) -> pd.Series:
    """SROI euros owed per obligation: ``obligation_eur`` or contract value × percentage / 100."""
    computed = obligations["contract_value_eur"] * obligations["sroi_percentage"] / 100.0
    return obligations["obligation_eur"].where(obligations["obligation_eur"].notna(), computed).astype(float)


def matchable(candidates: pd.DataFrame) -> pd.Series:
    """Candidates that may be suggested or planned: consent given and status ``beschikbaar``."""
    status_ok = candidates["status"].fillna(str(default("candidates", "status"))).eq(CandidateStatus.BESCHIKBAAR.value)
    return (candidates["consent"].fillna(False) & status_ok).astype(bool)


def displacement_warnings(contractors: pd.DataFrame) -> pd.Series:
    """Contractors whose headcount fell below the baseline at award (flag on every report)."""
    return (contractors["headcount_current"] < contractors["headcount_baseline"]).fillna(False).astype(bool)


def occupied_positions(vacancies: pd.DataFrame, placements: pd.DataFrame) -> pd.Series:
    """Places per vacancy taken by placements that are geaccepteerd or gestart."""
    occupying = placements[placements["status"].isin([s.value for s in OCCUPYING_STATUSES])]
    counts = occupying.groupby("vacancy_id", observed=True).size()
    return vacancies["vacancy_id"].map(counts).fillna(0).astype(np.int64)


def open_positions(vacancies: pd.DataFrame, placements: pd.DataFrame) -> pd.Series:
    """Places still to fill per vacancy: positions minus occupied, and zero when not additional.

    A non-additional place (``additional = false``) is never filled: that would be
    displacement (verdringing) of existing staff.
    """
    free = (
        vacancies["positions"].astype("Int64").fillna(0).astype(np.int64) - occupied_positions(vacancies, placements)
    ).clip(lower=0)
    return free.where(vacancies["additional"].fillna(False).astype(bool), 0).astype(np.int64)
