"""Create, read, update and list the entities, and bulk CSV upload per file of the format.

Contractors, obligations and vacancies are a region's shared catalogue of tenders and places.
Candidates and placements belong to a region: a regional key sees and changes only its own.
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which name local values

import inspect
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Runtime
from api.http.common import DEFAULT_PAGE, ERRORS, MAX_PAGE, page, public_row
from api.http.deps import RuntimeDep, StoreDep, audit, require
from api.http.problems import ApiProblem, field_errors
from api.http.schemas import CREATE, EXAMPLES, PUBLIC, SINGULAR, UPDATE, ImportResult, Page, to_cell
from api.security import Permission, Principal
from api.services.notify import import_result
from api.services.obligations import counted_placements
from api.services.regions import UnknownRegionError, check_region
from models.dataset.reader import raw_from_cells, read_raw_bytes
from models.entities import InvalidTransition
from models.errors import DatasetInvalid, Problem
from models.schema import FILES, FILES_BY_NAME, FileSpec
from models.store import Store, access
from models.store.access import REGIONAL
from models.store.importer import Guard, ImportReport, import_raw

#: Columns each list can be filtered on (equality).
FILTERS: dict[str, tuple[str, ...]] = {
    "candidates": ("target_group", "status", "coach_id", "consent", "education_level", "region"),
    "contractors": ("pso_level",),
    "obligations": ("contractor_id", "tender_name", "sector", "client"),
    "vacancies": ("contractor_id", "obligation_id", "additional", "placement_type"),
    "placements": ("candidate_id", "vacancy_id", "obligation_id", "status"),
    "contributions": ("obligation_id", "kind"),
}

PERMISSIONS: dict[str, tuple[Permission, Permission]] = {
    "candidates": (Permission.CANDIDATES_READ, Permission.CANDIDATES_WRITE),
    "contractors": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "obligations": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "vacancies": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
    "placements": (Permission.PLACEMENTS_READ, Permission.PLACEMENTS_WRITE),
    "contributions": (Permission.CATALOGUE_READ, Permission.CATALOGUE_WRITE),
}

#: Columns the free-text ``q`` of a list searches (case-insensitive substring), for the lists that take one.
SEARCH: dict[str, tuple[str, ...]] = {
    "candidates": ("candidate_id",),
    "vacancies": ("title", "occupation"),
}


def candidate_ids_of(file: str, rows: list[dict[str, Any]]) -> list[str]:
    if file in REGIONAL:
        return [str(r["candidate_id"]) for r in rows]
    return []


def get_row(conn: Connection, file: str, key: str, principal: Principal) -> dict[str, Any] | None:
    """The row of ``file`` with ``key`` as the key may see it, or ``None``."""
    row = access.get_row(conn, file, key, principal.region)
    return None if row is None else public_row(FILES_BY_NAME[file], row)


def region_guard(principal: Principal) -> Guard:
    """Problems for rows a regional key may not write: another region's candidates or placements."""
    return access.region_guard(principal.region)


def _region_filter(store: Store, region: str) -> None:
    """A national key's list filtered on a region no candidate is in is a mistake, not an empty list: 422
    naming the known regions. (For a regional key every other region is as absent as a misspelt one.)"""
    try:
        check_region(region, store.regions(), what="region")
    except UnknownRegionError as exc:
        raise ApiProblem(422, str(exc), errors=[{"field": "region", "value": region, "message": str(exc)}]) from None


def _list_endpoint(spec: FileSpec) -> Any:
    file = spec.name
    read, _ = PERMISSIONS[file]

    def list_rows(
        request: Request,
        store: StoreDep,
        runtime: RuntimeDep,
        principal: Annotated[Principal, Depends(require(read))],
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (at most {MAX_PAGE})")
        ] = DEFAULT_PAGE,
        **filters: Any,
    ) -> dict[str, Any]:
        text = str(filters.get("q") or "").strip()
        equal = {name: filters[name] for name in FILTERS[file] if filters.get(name) is not None}
        if file == "candidates" and principal.region is None and isinstance(equal.get("region"), str):
            _region_filter(store, str(equal["region"]))
        for_obligation = filters.get("for_obligation") if file == "placements" else None
        counted = None if for_obligation is None else counted_placements(store, runtime, str(for_obligation))
        with store.begin() as conn:
            rows, total = access.list_rows(
                conn,
                file,
                principal.region,
                equal=equal,
                search=(list(SEARCH[file]), text) if text and file in SEARCH else None,
                keys=counted,
                offset=offset,
                limit=limit,
            )
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
        runtime: RuntimeDep,
        principal: Annotated[Principal, Depends(require(write))],
    ) -> dict[str, Any]:
        data = body.model_dump()  # type: ignore[attr-defined]
        if file == "candidates" and principal.region is not None and not data.get("region"):
            data["region"] = principal.region
        key = str(data[spec.key])
        with store.connect() as conn:
            exists = access.exists(conn, file, key)
        if exists:
            raise ApiProblem(
                409,
                f"{spec.key} {key} exists already: change it with PATCH",
                errors=[{"field": spec.key, "message": "exists already"}],
            )
        cells = {col.name: to_cell(data.get(col.name), col) for col in spec.columns}
        _write(store, runtime, principal, file, cells, list(spec.column_names))
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
        runtime: RuntimeDep,
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
        merged = {**stored, **given}
        cells = {col.name: to_cell(merged.get(col.name), col) for col in spec.columns}
        _write(store, runtime, principal, file, cells, [spec.key, *given])
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
        runtime: RuntimeDep,
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
        try:
            report = await run_in_threadpool(
                lambda: import_raw(
                    store, {file: raw}, spec.filename, problems, region_guard(principal), schemes=runtime.known_schemes
                )
            )
        except DatasetInvalid as exc:
            errors = len(exc.errors)
            await run_in_threadpool(
                lambda: import_result(
                    store, runtime, region=principal.region, source=spec.filename, changes=None, errors=errors
                )
            )
            raise
        result = _import_result(report)
        await run_in_threadpool(
            lambda: import_result(
                store, runtime, region=principal.region, source=spec.filename, changes=result["changes"]
            )
        )
        return result

    return router


def _csv_example(spec: FileSpec) -> str:
    example = EXAMPLES[spec.name]
    header = [c.name for c in spec.columns if c.name in example]
    row = [to_cell(example[name], spec.column(name)) for name in header]
    quoted = [f'"{v}"' if "," in v else v for v in row]
    return ",".join(header) + "\n" + ",".join(quoted) + "\n"


def _write(
    store: Store, runtime: Runtime, principal: Principal, file: str, cells: dict[str, str], columns: list[str]
) -> None:
    spec = FILES_BY_NAME[file]
    try:
        import_raw(
            store,
            {file: raw_from_cells(spec, [cells])},
            spec.filename,
            [],
            region_guard(principal),
            columns={file: columns},
            schemes=runtime.known_schemes,
        )
    except InvalidTransition as exc:
        errors = [{**e, "row": None} for e in field_errors(exc.problems)]
        raise ApiProblem(409, str(exc), errors=errors) from None
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


__all__ = ["FILTERS", "SEARCH", "get_row", "region_guard", "routers"]
