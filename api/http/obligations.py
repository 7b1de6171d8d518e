"""``/obligations/{id}/progress``: how far an obligation is."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.http.common import ERRORS
from api.http.deps import RuntimeDep, StoreDep, require
from api.http.problems import ApiProblem
from api.http.schemas import Progress
from api.security import Permission, Principal
from api.services.obligations import progress as obligation_progress

router = APIRouter(responses=ERRORS)
Key = Annotated[str, Path(min_length=1, max_length=100)]


@router.get(
    "/obligations/{obligation_id}/progress",
    response_model=Progress,
    tags=["obligations"],
    summary="How far an obligation is",
)
def progress(
    obligation_id: Key,
    store: StoreDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.CATALOGUE_READ))],
) -> dict[str, Any]:
    found = obligation_progress(store, runtime, obligation_id, date.today())
    if found is None:
        raise ApiProblem(404, f"there is no obligation {obligation_id}")
    return found


__all__ = ["router"]
