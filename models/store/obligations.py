"""One obligation's slice of the store: what its progress is computed from."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import or_, select

from models.dataset import Dataset
from models.schema import FILES_BY_NAME
from models.store import tables as t
from models.store.convert import db_rows_to_table
from models.store.store import Store


def obligation_dataset(store: Store, obligation_id: str) -> Dataset | None:
    """What the obligation's progress is computed from (``None`` when there is no such obligation): its
    contractor with all of that contractor's obligations and vacancies, the vacancies naming it, the
    placements at those vacancies or naming it, with their candidates, and the contributions to those
    obligations. Which of them count towards the
    obligation is :func:`models.valuation.credited_obligations`'s to say, and it needs the contractor's
    other obligations to say it."""
    with store.connect() as conn:
        own = store.fetch_rows(conn, "obligations", [obligation_id])
        if not own:
            return None
        contractor = str(own[0]["contractor_id"])
        obl_ids = {
            r.obligation_id
            for r in conn.execute(
                select(t.obligations.c.obligation_id).where(t.obligations.c.contractor_id == contractor)
            )
        }
        obl_rows = store.fetch_rows(conn, "obligations", obl_ids | {obligation_id})
        vac_ids = [
            r.vacancy_id
            for r in conn.execute(
                select(t.vacancies.c.vacancy_id).where(
                    or_(t.vacancies.c.obligation_id == obligation_id, t.vacancies.c.contractor_id == contractor)
                )
            )
        ]
        plc_rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(t.placements).where(
                    or_(t.placements.c.obligation_id == obligation_id, t.placements.c.vacancy_id.in_(vac_ids))
                )
            )
        ]
        vac_rows = store.fetch_rows(conn, "vacancies", set(vac_ids) | {str(r["vacancy_id"]) for r in plc_rows})
        cand_rows = store.fetch_rows(conn, "candidates", {str(r["candidate_id"]) for r in plc_rows})
        con_rows = store.fetch_rows(conn, "contractors", [contractor])
        contrib_rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(t.contributions).where(t.contributions.c.obligation_id.in_(sorted(obl_ids | {obligation_id})))
            )
        ]
    placements = db_rows_to_table(FILES_BY_NAME["placements"], plc_rows)
    return Dataset(
        contractors=db_rows_to_table(FILES_BY_NAME["contractors"], con_rows),
        obligations=db_rows_to_table(FILES_BY_NAME["obligations"], obl_rows),
        vacancies=db_rows_to_table(FILES_BY_NAME["vacancies"], vac_rows),
        candidates=db_rows_to_table(FILES_BY_NAME["candidates"], cand_rows),
        placements=placements.reset_index(drop=True),
        contributions=db_rows_to_table(FILES_BY_NAME["contributions"], contrib_rows),
    )


def contractor_obligations(store: Store, contractor_id: str) -> pd.DataFrame:
    """The obligations of one contractor, as the dataset's table."""
    with store.connect() as conn:
        query = select(t.obligations).where(t.obligations.c.contractor_id == contractor_id)
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return db_rows_to_table(FILES_BY_NAME["obligations"], rows)


__all__ = ["contractor_obligations", "obligation_dataset"]
