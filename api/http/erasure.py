"""``DELETE /candidates/{id}``: the right to erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.http.common import ERRORS
from api.http.deps import StoreDep, audit, require
from api.http.problems import ApiProblem
from api.http.schemas import Erased
from api.security import Permission, Principal
from models.store import Store
from models.store.erasure import anonymous_id, erase_candidate

router = APIRouter(responses=ERRORS)
Key = Annotated[str, Path(min_length=1, max_length=100)]


@router.delete(
    "/candidates/{candidate_id}",
    response_model=Erased,
    tags=["candidates"],
    summary="Erase a candidate (right to erasure)",
    description="Removes the candidate's profile. Placements stay, under an anonymous id with only the target "
    "group, benefit start and birth year the obligations' euros need, so aggregate figures do not change. The id is "
    "replaced in plans, decisions and the audit log too.",
)
def erase(
    candidate_id: Key,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require(Permission.CANDIDATES_ERASE))],
) -> dict[str, Any]:
    return _erase(store, principal, candidate_id, str(request.url.path))


def _erase(store: Store, principal: Principal, candidate_id: str, path: str) -> dict[str, Any]:
    token = anonymous_id()
    with store.begin() as conn:
        kept = erase_candidate(conn, candidate_id, principal.region, token)
        if kept is None:
            raise ApiProblem(404, f"there is no candidate {candidate_id}")
        store.bump_version(conn)
        audit(conn, principal, "erase candidate", path.replace(candidate_id, token), [token])
    return {"candidate_id": candidate_id, "erased": True, "placements_kept": kept}


__all__ = ["router"]
