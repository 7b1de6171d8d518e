"""Create, read, update and list the five entities, and bulk CSV upload per file of the format.

Contractors, obligations and vacancies are a region's shared catalogue of tenders and places.
Candidates and placements belong to a region: a regional key sees and changes only its own.
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which name local values

import inspect
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Connection, Select, and_, func, or_, select
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep, audit, require
from api.problems import ApiProblem, field_errors
from api.schemas import CREATE, EXAMPLES, PUBLIC, SINGULAR, UPDATE, ImportResult, Page, ProblemDetails, to_cell, to_json
from api.security import Permission, Principal
from models.dataset.reader import raw_from_cells, read_raw_bytes
from models.entities import TRANSITIONS
from models.enums import PlacementStatus
from models.errors import DatasetInvalid, Problem
from models.schema import FILES, FILES_BY_NAME, FileSpec
from models.store import Store
from models.store import tables as t
from models.store.importer import ImportReport, import_raw
from models.store.store import CHUNK

MAX_PAGE = 500
DEFAULT_PAGE = 50

#: Columns each list can be filtered on (equality).
FILTERS: dict[str, tuple[str, ...]] = {
    "candidates": ("target_group", "status", "coach_id", "consent", "education_level", "region"),
    "contractors": ("pso_level",),
    "obligations": ("contractor_id", "tender_name", "sector", "client"),
    "vacancies": ("contractor_id", "obligation_id", "additional", "placement_type"),
    "placements": ("candidate_id", "vacancy_id", "obligation_id", "status"),
}

PERMISSIONS: dict[str, tuple[Permission, Permission]] = {
    "candidates": (Permission.CANDIDATES_READ, Permission.CANDIDATES_WRITE),
    "contractors": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "obligations": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "vacancies": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "placements": (Permission.PLACEMENTS_READ, Permission.PLACEMENTS_WRITE),
}

#: Columns the free-text ``q`` of a list searches (case-insensitive substring), for the lists that take one.
SEARCH: dict[str, tuple[str, ...]] = {
    "candidates": ("candidate_id",),
    "vacancies": ("title", "occupation"),
}

REGIONAL = frozenset({"candidates", "placements"})
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDetails, "content": {"application/problem+json": {}}} for code in (401, 403, 404, 422)
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


def visible(file: str, principal: Principal) -> Any:
    """The WHERE clause limiting ``file``'s rows to those of the key's region (``True`` for all)."""
    if principal.region is None or file not in REGIONAL:
        return True
    in_region = select(t.candidates.c.candidate_id).where(t.candidates.c.region == principal.region)
    if file == "candidates":
        return t.candidates.c.region == principal.region
    return t.placements.c.candidate_id.in_(in_region)


def public_row(spec: FileSpec, row: Any) -> dict[str, Any]:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    out = {col.name: to_json(mapping.get(col.name), col) for col in spec.columns}
    out["updated_at"] = mapping.get("updated_at")
    return out


def candidate_ids_of(file: str, rows: list[dict[str, Any]]) -> list[str]:
    if file in REGIONAL:
        return [str(r["candidate_id"]) for r in rows]
    return []


def get_row(conn: Connection, file: str, key: str, principal: Principal) -> dict[str, Any] | None:
    spec = FILES_BY_NAME[file]
    table = t.ENTITY_TABLES[file]
    row = conn.execute(select(table).where(table.c[spec.key] == key, visible(file, principal))).first()
    return None if row is None else public_row(spec, row)


def region_guard(principal: Principal) -> Any:
    """Problems for rows a regional key may not write: another region's candidates or placements."""

    def guard(conn: Connection, tables: dict[str, pd.DataFrame], rows: dict[str, list[int]]) -> list[Problem]:
        problems: list[Problem] = []
        if principal.region is None:
            return problems
        if "candidates" in tables:
            df = tables["candidates"]
            ids = [str(x) for x in df["candidate_id"]]
            stored = _regions(conn, ids)
            for pos, (cid, region) in enumerate(zip(ids, df["region"], strict=True)):
                row = rows["candidates"][pos]
                if cid in stored and stored[cid] != principal.region:
                    problems.append(Problem("candidates.csv", row, "candidate_id", cid, "is already in use"))
                elif region != principal.region:
                    problems.append(
                        Problem(
                            "candidates.csv",
                            row,
                            "region",
                            None if pd.isna(region) else str(region),
                            f"must be {principal.region}: this key registers candidates of its own region only",
                        )
                    )
        if "placements" in tables:
            df = tables["placements"]
            ids = [str(x) for x in df["candidate_id"]]
            owners = _placement_candidates(conn, [str(x) for x in df["placement_id"]])
            regions = _regions(conn, ids + list(owners.values()))  # one look-up for every row
            for pos, (pid, cid) in enumerate(zip(df["placement_id"], ids, strict=True)):
                row = rows["placements"][pos]
                owner = owners.get(str(pid))
                if owner is not None and regions.get(owner) != principal.region:
                    problems.append(Problem("placements.csv", row, "placement_id", str(pid), "is already in use"))
                elif regions.get(cid) != principal.region:
                    problems.append(
                        Problem(
                            "placements.csv",
                            row,
                            "candidate_id",
                            cid,
                            "does not exist in candidates.csv (candidate_id)",
                        )
                    )
        return problems

    return guard


def _lookup(conn: Connection, key: Any, value: Any, ids: list[str]) -> dict[str, Any]:
    """``value`` of the rows whose ``key`` is one of ``ids``, in chunks of :data:`CHUNK` ids."""
    out: dict[str, Any] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), CHUNK):
        query = select(key, value).where(key.in_(unique[i : i + CHUNK]))
        out.update({str(row[0]): row[1] for row in conn.execute(query)})
    return out


def _regions(conn: Connection, ids: list[str]) -> dict[str, str | None]:
    return _lookup(conn, t.candidates.c.candidate_id, t.candidates.c.region, ids)


def _placement_candidates(conn: Connection, ids: list[str]) -> dict[str, str]:
    return _lookup(conn, t.placements.c.placement_id, t.placements.c.candidate_id, ids)


def contains(columns: list[Any], text: str) -> Any:
    """A WHERE clause: any of ``columns`` holds ``text``, ignoring case; ``%`` and ``_`` match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(col.ilike(f"%{escaped}%", escape="\\") for col in columns))


def counts_for(obligation_id: str) -> Any:
    """A WHERE clause: the placements that count towards an obligation (as its progress counts them).

    Those naming it, and those naming no obligation in a vacancy of it.
    """
    of_it = select(t.vacancies.c.vacancy_id).where(t.vacancies.c.obligation_id == obligation_id)
    return or_(
        t.placements.c.obligation_id == obligation_id,
        and_(t.placements.c.obligation_id.is_(None), t.placements.c.vacancy_id.in_(of_it)),
    )


def _list_endpoint(spec: FileSpec) -> Any:
    file = spec.name
    read, _ = PERMISSIONS[file]
    table = t.ENTITY_TABLES[file]

    def list_rows(
        request: Request,
        store: StoreDep,
        principal: Annotated[Principal, Depends(require(read))],
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (at most {MAX_PAGE})")
        ] = DEFAULT_PAGE,
        **filters: Any,
    ) -> dict[str, Any]:
        query: Select[Any] = select(table).where(visible(file, principal))
        text = str(filters.get("q") or "").strip()
        if text and file in SEARCH:
            query = query.where(contains([table.c[name] for name in SEARCH[file]], text))
        if file == "placements" and filters.get("for_obligation") is not None:
            query = query.where(counts_for(str(filters["for_obligation"])))
        for name in FILTERS[file]:
            value = filters.get(name)
            if value is not None:
                query = query.where(table.c[name] == value)
        with store.begin() as conn:
            total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
            rows = conn.execute(query.order_by(table.c[spec.key]).offset(offset).limit(limit)).all()
            items = [public_row(spec, r) for r in rows]
            if file in REGIONAL and items:
                audit(conn, principal, f"list {file}", str(request.url.path), candidate_ids_of(file, items))
        return page(items, total, offset, limit)

    params = [p for p in inspect.signature(list_rows).parameters.values() if p.kind is not p.VAR_KEYWORD]
    for name in FILTERS[file]:
        col = spec.column(name)
        typ: Any = bool if col.kind.value == "bool" else str
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[typ | None, Query(max_length=200, description=f"only rows with this {name}")]
                if typ is str
                else Annotated[typ | None, Query(description=f"only rows with this {name}")],
            )
        )
    if file in SEARCH:
        searched = " and ".join(SEARCH[file])
        params.append(
            inspect.Parameter(
                "q",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    Query(max_length=200, description=f"only rows whose {searched} contain this text (any case)"),
                ],
            )
        )
    if file == "placements":
        params.append(
            inspect.Parameter(
                "for_obligation",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    Query(
                        max_length=100,
                        description="only the placements that count towards this obligation: those naming it, and "
                        "those naming no obligation in one of its vacancies",
                    ),
                ],
            )
        )
    list_rows.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return list_rows


def entity_router(spec: FileSpec) -> APIRouter:
    file = spec.name
    read, write = PERMISSIONS[file]
    Create, Update, Public = CREATE[file], UPDATE[file], PUBLIC[file]  # noqa: N806
    singular = SINGULAR[file]
    router = APIRouter(prefix=f"/{file}", tags=[file], responses=ERRORS)
    KeyPath = Annotated[str, Path(min_length=1, max_length=100, description=f"the {spec.key}")]  # noqa: N806

    router.add_api_route(
        "",
        _list_endpoint(spec),
        methods=["GET"],
        response_model=Page[Public],  # type: ignore[valid-type]
        summary=f"List {file}",
        description=f"Pages of {file}, filtered on {', '.join(FILTERS[file])}"
        + (f" and searched with `q` in {', '.join(SEARCH[file])}" if file in SEARCH else "")
        + (", or `for_obligation` (what counts towards an obligation)" if file == "placements" else "")
        + f"; ordered by {spec.key}.",
    )

    @router.post("", status_code=201, response_model=Public, summary=f"Create a {singular}")
    def create(
        body: Create,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        store: StoreDep,
        principal: Annotated[Principal, Depends(require(write))],
    ) -> dict[str, Any]:
        data = body.model_dump()  # type: ignore[attr-defined]
        if file == "candidates" and principal.region is not None and not data.get("region"):
            data["region"] = principal.region
        key = str(data[spec.key])
        with store.connect() as conn:
            exists = conn.execute(
                select(t.ENTITY_TABLES[file].c[spec.key]).where(t.ENTITY_TABLES[file].c[spec.key] == key)
            ).first()
        if exists is not None:
            raise ApiProblem(
                409,
                f"{spec.key} {key} exists already: change it with PATCH",
                errors=[{"field": spec.key, "message": "exists already"}],
            )
        cells = {col.name: to_cell(data.get(col.name), col) for col in spec.columns}
        _write(store, principal, file, cells, list(spec.column_names))
        response.headers["Location"] = f"{request.url.path}/{quote(key, safe='')}"  # a header is latin-1
        return _read_back(store, principal, file, key, request)

    @router.get("/{key}", response_model=Public, summary=f"Read a {singular}")
    def read_one(
        key: KeyPath,
        request: Request,
        store: StoreDep,
        principal: Annotated[Principal, Depends(require(read))],
    ) -> dict[str, Any]:
        return _read_back(store, principal, file, key, request)

    @router.patch("/{key}", response_model=Public, summary=f"Change fields of a {singular}")
    def change(
        key: KeyPath,
        body: Update,  # type: ignore[valid-type]
        request: Request,
        store: StoreDep,
        principal: Annotated[Principal, Depends(require(write))],
    ) -> dict[str, Any]:
        given = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        with store.connect() as conn:
            stored = get_row(conn, file, key, principal)
        if stored is None:
            raise ApiProblem(404, f"there is no {singular} {key}")
        for name in given:
            col = spec.column(name)
            if col.required and given[name] is None:
                raise ApiProblem(422, f"{name} is required", errors=[{"field": name, "message": "is required"}])
        if file == "placements" and "status" in given and given["status"] != stored["status"]:
            old, new = PlacementStatus(stored["status"]), PlacementStatus(given["status"])
            if new not in TRANSITIONS[old]:
                allowed = ", ".join(s.value for s in TRANSITIONS[old]) or "none: it has ended"
                raise ApiProblem(
                    409,
                    f"placement {key} is {old.value} and cannot become {new.value} (allowed next: {allowed})",
                    errors=[{"field": "status", "message": f"cannot follow {old.value}"}],
                )
        merged = {**stored, **given}
        cells = {col.name: to_cell(merged.get(col.name), col) for col in spec.columns}
        _write(store, principal, file, cells, [spec.key, *given])
        return _read_back(store, principal, file, key, request, action="change")

    @router.post(
        "/upload",
        response_model=ImportResult,
        summary=f"Upload {spec.filename}",
        description=(
            f"Send a {spec.filename} of the data format as the request body (`Content-Type: text/csv`). "
            "Rows are upserted by id in one transaction: all or nothing. Columns the file lacks keep their "
            "stored values. Every problem comes back with its row, field and reason."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string"}, "example": _csv_example(spec)}},
            }
        },
    )
    async def upload(
        request: Request,
        store: StoreDep,
        principal: Annotated[Principal, Depends(require(Permission.UPLOAD))],
    ) -> dict[str, Any]:
        if not principal.can(write):
            raise ApiProblem(403, f"a {principal.role.value} key may not change {file}")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ("text/csv", "application/csv", "text/plain"):
            raise ApiProblem(415, f"send {spec.filename} as text/csv, not {kind or 'no content type'}")
        data = await request.body()
        problems: list[Problem] = []
        raw = read_raw_bytes(spec, data, problems)
        if file == "candidates" and principal.region is not None and raw.readable:
            region = raw.columns.get("region")
            filled = [r or principal.region for r in (region if region is not None else [""] * raw.length)]
            raw.columns["region"] = pd.Series(filled, dtype="str")
        report = await run_in_threadpool(
            import_raw, store, {file: raw}, spec.filename, problems, region_guard(principal)
        )
        return _import_result(report)

    return router


def _csv_example(spec: FileSpec) -> str:
    example = EXAMPLES[spec.name]
    header = [c.name for c in spec.columns if c.name in example]
    row = [to_cell(example[name], spec.column(name)) for name in header]
    quoted = [f'"{v}"' if "," in v else v for v in row]
    return ",".join(header) + "\n" + ",".join(quoted) + "\n"


def _write(store: Store, principal: Principal, file: str, cells: dict[str, str], columns: list[str]) -> None:
    spec = FILES_BY_NAME[file]
    try:
        import_raw(
            store,
            {file: raw_from_cells(spec, [cells])},
            spec.filename,
            [],
            region_guard(principal),
            columns={file: columns},
        )
    except DatasetInvalid as exc:
        errors = [{**e, "row": None} for e in field_errors(exc.problems)]
        fields = ", ".join(sorted({str(e["field"]) for e in errors})) or "the row"
        raise ApiProblem(422, f"invalid {fields}", errors=errors) from None


def _read_back(
    store: Store, principal: Principal, file: str, key: str, request: Request, *, action: str = "read"
) -> dict[str, Any]:
    """The row as the key may see it; a candidate's or placement's row shown is audited as ``action``."""
    with store.begin() as conn:
        row = get_row(conn, file, key, principal)
        if row is None:
            raise ApiProblem(404, f"there is no {SINGULAR[file]} {key}")
        if file in REGIONAL:
            audit(conn, principal, f"{action} {SINGULAR[file]}", str(request.url.path), [str(row["candidate_id"])])
    return row


def _import_result(report: ImportReport) -> dict[str, Any]:
    return {
        "changes": {name: change.as_dict() for name, change in report.changes.items()},
        "warnings": [
            {"field": w.column, "row": w.row, "value": w.value, "message": w.message} for w in report.warnings
        ],
        "data_version": report.version,
    }


def routers() -> list[APIRouter]:
    return [entity_router(spec) for spec in FILES]


__all__ = [
    "FILTERS",
    "MAX_PAGE",
    "SEARCH",
    "contains",
    "counts_for",
    "get_row",
    "page",
    "region_guard",
    "routers",
    "visible",
]
