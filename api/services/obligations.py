"""How far one obligation is: owed, realised, planned, forecast, status, open places."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.bootstrap import Runtime
from matching.monitoring.progress import obligation_progress
from models.rules import open_positions
from models.store import Store
from models.store.obligations import obligation_dataset
from models.valuation import value_registered


def progress(store: Store, runtime: Runtime, obligation_id: str, today: date) -> dict[str, Any] | None:
    """The obligation's progress on ``today`` (``None`` when there is no such obligation)."""
    ds = obligation_dataset(store, obligation_id)
    if ds is None:
        return None
    rows = obligation_progress(ds, today, schemes=runtime.schemes)
    row = rows[rows["obligation_id"] == obligation_id].iloc[0]
    vacancies, placements = ds.vacancies, ds.placements
    own_vacancies = vacancies[vacancies["obligation_id"] == obligation_id]
    free = int(open_positions(own_vacancies, placements).sum()) if len(own_vacancies) else 0
    credited, _ = value_registered(placements, ds.candidates, vacancies, ds.obligations, runtime.schemes)
    counts = placements.loc[(credited == obligation_id).to_numpy(), "status"].astype(str).value_counts().to_dict()
    own = ds.obligations[ds.obligations["obligation_id"] == obligation_id]
    end: date = own["end_date"].iloc[0].date()
    return {
        "obligation_id": obligation_id,
        "valuation_scheme": str(row["valuation_scheme"]),
        "scheme_version": str(row["scheme_version"]),
        "owed_eur": float(row["required_eur"]),
        "realised_eur": float(row["realised_eur"]),
        "planned_eur": float(row["planned_eur"]),
        "still_needed_eur": round(max(float(row["required_eur"]) - float(row["realised_eur"]), 0.0), 2),
        "fulfilment": float(row["fulfilment"]),
        "forecast_eur": float(row["forecast_eur"]),
        "forecast_low_eur": float(row["forecast_low_eur"]),
        "forecast_high_eur": float(row["forecast_high_eur"]),
        "forecast_label": str(row["forecast_label"]),
        "status": str(row["status"]),
        "reason": str(row["reason"]),
        "months_left": float(row["months_left"]),
        "placements": {str(k): int(v) for k, v in counts.items()},
        "open_positions": free,
        "end_date": end,
        "running": end >= today,
    }


def counted_placements(store: Store, runtime: Runtime, obligation_id: str) -> list[str]:
    """The ids of the placements that count towards the obligation, as its progress counts them
    (:func:`models.valuation.credited_obligations`); none when there is no such obligation."""
    ds = obligation_dataset(store, obligation_id)
    if ds is None:
        return []
    credited, _ = value_registered(ds.placements, ds.candidates, ds.vacancies, ds.obligations, runtime.schemes)
    return ds.placements.loc[(credited == obligation_id).to_numpy(), "placement_id"].astype(str).tolist()


__all__ = ["counted_placements", "progress"]
