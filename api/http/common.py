"""What every router shares: pages of a list, the problem responses, a stored row as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.http.schemas import ProblemDetails, to_json
from models.schema import FileSpec

MAX_PAGE = 500
DEFAULT_PAGE = 50

Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (at most {MAX_PAGE})")]

#: What any operation may answer besides its success, each a problem document: 400 (a body that is not
#: JSON), 401 (no or a wrong key), 403 (a role without the permission), 404, 409 (a conflict: an id in
#: use, a life-cycle step not allowed), 413 (a body too large), 415 (an upload that is not CSV), 422 (invalid
#: input), 429 (too many failed keys from one address: see Retry-After) and 500 (an unexpected error).
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 500)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDetails, "content": {"application/problem+json": {}}} for code in ERROR_STATUSES
}


def page(items: list[dict[str, Any]], total: int, offset: int, limit: int) -> dict[str, Any]:
    """One page of a list, with where the next one starts (``None`` after the last)."""
    following = offset + len(items)
    return {
        "items": items,
        "total": total,
        "offset": offset,
        "limit": limit,
        "next_offset": following if following < total else None,
    }


def public_row(spec: FileSpec, row: Any) -> dict[str, Any]:
    """A stored row as the API shows it: each column as JSON, and when it last changed."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    out = {col.name: to_json(mapping.get(col.name), col) for col in spec.columns}
    out["updated_at"] = mapping.get("updated_at")
    return out


__all__ = ["DEFAULT_PAGE", "ERRORS", "ERROR_STATUSES", "MAX_PAGE", "Limit", "Offset", "page", "public_row"]
