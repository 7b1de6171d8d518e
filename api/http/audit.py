"""``/audit``: who read or changed which candidate's data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.http.common import ERRORS, Limit, Offset, page
from api.http.deps import StoreDep, require
from api.http.schemas import AuditEvent, Page
from api.security import Permission, Principal
from models.store import audit

router = APIRouter(responses=ERRORS)


@router.get("/audit", response_model=Page[AuditEvent], tags=["audit"], summary="Who read or changed candidate data")
def audit_log(
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    candidate_id: Annotated[str | None, Query(max_length=100)] = None,
    key_id: Annotated[str | None, Query(max_length=32)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    with store.connect() as conn:
        events, total = audit.events(
            conn, region=principal.region, candidate_id=candidate_id, key_id=key_id, offset=offset, limit=limit
        )
    return page(events, total, offset, limit)


__all__ = ["router"]
