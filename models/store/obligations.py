"""One obligation's slice of the store: what its progress is computed from."""

from __future__ import annotations

from sqlalchemy import or_, select

from models.dataset import Dataset
from models.schema import FILES_BY_NAME
from models.store import tables as t
from models.store.convert import db_rows_to_table
from models.store.store import Store


def obligation_dataset(store: Store, obligation_id: str) -> Dataset | None:
    """The obligation, its contractor, its vacancies and the placements that count towards it, with their
    candidates (``None`` when there is no such obligation).

    A placement counts towards the obligation it names; one that names none counts towards the
    obligation of its vacancy.
    """
    with store.connect() as conn:
        obl_rows = store.fetch_rows(conn, "obligations", [obligation_id])
        if not obl_rows:
            return None
        vac_ids = [
            r.vacancy_id
            for r in conn.execute(select(t.vacancies.c.vacancy_id).where(t.vacancies.c.obligation_id == obligation_id))
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
        con_rows = store.fetch_rows(conn, "contractors", [str(obl_rows[0]["contractor_id"])])
    placements = db_rows_to_table(FILES_BY_NAME["placements"], plc_rows)
    # a placement counts towards its own obligation when it names one
    placements = placements[placements["obligation_id"].isna() | (placements["obligation_id"] == obligation_id)]
    return Dataset(
        contractors=db_rows_to_table(FILES_BY_NAME["contractors"], con_rows),
        obligations=db_rows_to_table(FILES_BY_NAME["obligations"], obl_rows),
        vacancies=db_rows_to_table(FILES_BY_NAME["vacancies"], vac_rows),
        candidates=db_rows_to_table(FILES_BY_NAME["candidates"], cand_rows),
        placements=placements.reset_index(drop=True),
    )


__all__ = ["obligation_dataset"]
