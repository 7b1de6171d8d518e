"""``/me``: the calling key's role, region and rights (the web page signs in with it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.http.common import ERRORS
from api.http.deps import PrincipalDep
from api.security import ROLE_PERMISSIONS

router = APIRouter(responses=ERRORS)


@router.get("/me", tags=["keys"], summary="The calling key's role, region and rights")
def me(principal: PrincipalDep) -> dict[str, Any]:
    return {
        "key_id": principal.key_id,
        "role": principal.role.value,
        "region": principal.region,
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
    }


__all__ = ["router"]
