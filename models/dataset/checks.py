"""Cell, row and cross-file rules of the exchange format.

Each rule appends :class:`~models.errors.Problem` values; none stops at the first. Rules are
vectorised over whole columns so a 100,000-row file validates in seconds. A rule reports rows of the
files it checks only, so it returns at once when they have none (one API row is checked against empty
tables of the other files).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from models.dataset.cells import empty_column, format_number, parse_cell, parse_column
from models.dataset.reader import RawTable
from models.errors import Problem, Severity
from models.schema import CONTRIBUTION_MEASURE, DATE_ORDER, FILES, FILES_BY_NAME, REFERENCES, FileSpec

Tables = dict[str, pd.DataFrame]
Rows = dict[str, np.ndarray]  # spreadsheet row number of each record, per file


@dataclass
class Context:
    """What the rules look at and where they report."""

    tables: Tables
    rows: Rows
    problems: list[Problem]
    unreadable: frozenset[str] = frozenset()  # files missing or unreadable as a whole
    #: The valuation schemes the installation knows; ``None``: a scheme's name is not checked.
    schemes: Collection[str] | None = None


def parse_table(raw: RawTable, problems: list[Problem]) -> pd.DataFrame:
    """Parse every column of ``raw``; columns the file lacks are empty."""
    spec = raw.spec
    data: dict[str, pd.Series] = {}
    rows = raw.row_numbers
    one = raw.length == 1  # a row of its own (an API request, a stored row read back): its cells one by one
    for col in spec.columns:
        if col.name in raw.columns:
            cells = raw.columns[col.name]
            text = cells.iat[0] if one else None
            parsed, cell_problems = parse_cell(text, col) if isinstance(text, str) else parse_column(cells, col)
            for pos, value, message in cell_problems:
                problems.append(Problem(spec.filename, rows[pos], col.name, value if value else None, message))
        else:
            parsed = parse_cell("", col)[0] if one else empty_column(col, raw.length)
        data[col.name] = parsed.reset_index(drop=True)
    return pd.DataFrame(data)


def empty_table(spec: FileSpec) -> pd.DataFrame:
    """A typed table of ``spec`` without rows (what :func:`parse_table` gives for a file that is absent):
    parsed once per file kind, a copy handed out each time."""
    return _empty_table(spec.name).copy()


@cache
def _empty_table(name: str) -> pd.DataFrame:
    spec = FILES_BY_NAME[name]
    return parse_table(RawTable(spec, {}, 0, present=False), [])


def _emit(
    problems: list[Problem],
    spec: FileSpec,
    rows: np.ndarray,
    mask: np.ndarray | pd.Series,
    column: str,
    *,
    values: Iterable[object] | None,
    message: str,
    severity: Severity = "error",
) -> None:
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = list(values) if values is not None else None
    for pos in positions:
        value = None if shown is None else shown[pos]
        problems.append(
            Problem(spec.filename, int(rows[pos]), column, None if value is None else str(value), message, severity)
        )


def _text(series: pd.Series) -> list[str | None]:
    out: list[str | None] = []
    for v in series:
        if isinstance(v, bool | np.bool_):
            out.append("true" if v else "false")
        elif isinstance(v, tuple):
            out.append("; ".join(map(str, v)))
        elif pd.isna(v):
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.strftime("%Y-%m-%d"))
        elif isinstance(v, float):
            out.append(format_number(v))
        else:
            out.append(str(v))
    return out


def lookup(keys: pd.Series, table: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``table[column]`` of the (first) row whose ``key`` equals each of ``keys``; missing where none."""
    unique = table.drop_duplicates(key)
    positions = pd.Index(unique[key]).get_indexer(keys)
    found = unique[column].iloc[np.maximum(positions, 0)].reset_index(drop=True) if len(unique) else None
    if found is None:
        return pd.Series([None] * len(keys), dtype=table[column].dtype)
    matched: pd.Series = found.where(pd.Series(positions >= 0), None)
    return matched


def check_duplicates(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    for spec in FILES:
        df = tables[spec.name]
        keys = df[spec.key]
        dup = keys.duplicated(keep="first") & keys.notna()
        if not dup.any():
            continue
        firsts = ~keys.duplicated(keep="first")
        first_row = dict(zip(keys[firsts], rows[spec.name][firsts.to_numpy()].tolist(), strict=True))
        for pos in map(int, np.flatnonzero(dup.to_numpy())):
            key = str(keys.iat[pos])
            problems.append(
                Problem(
                    spec.filename,
                    int(rows[spec.name][pos]),
                    spec.key,
                    key,
                    f"is a duplicate id: row {first_row[key]} has it already",
                )
            )


def check_references(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    for ref in REFERENCES:
        if ref.target in ctx.unreadable or ref.file in ctx.unreadable:
            continue  # the file itself was reported; do not flood every row that refers to it
        src, target = tables[ref.file], tables[ref.target]
        if not len(src):
            continue
        spec = FILES_BY_NAME[ref.file]
        target_spec = FILES_BY_NAME[ref.target]
        values = src[ref.column]
        missing = values.notna() & ~values.isin(set(target[target_spec.key].dropna()))
        _emit(
            problems,
            spec,
            rows[ref.file],
            missing.to_numpy(),
            ref.column,
            values=values,
            message=f"does not exist in {target_spec.filename} ({target_spec.key})",
        )


def check_date_order(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    for file, start, end in DATE_ORDER:
        df = tables[file]
        if not len(df):
            continue
        spec = FILES_BY_NAME[file]
        bad = (df[end] < df[start]).fillna(False).to_numpy()
        _emit(problems, spec, rows[file], bad, end, values=_text(df[end]), message=f"lies before {start}")


def check_candidates(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    df, r = tables["candidates"], rows["candidates"]
    if not len(df):
        return
    spec = FILES_BY_NAME["candidates"]
    lo = df["hours_min"].fillna(0).astype("int64")
    hi_given = df["hours_max"].notna()
    hi = df["hours_max"].fillna(40).astype("int64")
    bad = (lo > hi).to_numpy()
    msgs = np.where(hi_given.to_numpy(), "is above hours_max", "is above the default hours_max of 40")
    for pos in map(int, np.flatnonzero(bad)):
        problems.append(
            Problem(spec.filename, int(r[pos]), "hours_min", str(lo.iat[pos]), f"{msgs[pos]} ({hi.iat[pos]})")
        )
    _check_lat_lon(df, r, spec, problems)
    known = set(tables["contractors"]["contractor_id"].dropna())
    for pos, employers in enumerate(df["previous_employers"]):
        unknown = [e for e in employers if e not in known]
        if unknown:
            problems.append(
                Problem(
                    spec.filename,
                    int(r[pos]),
                    "previous_employers",
                    "; ".join(employers),
                    f"names {', '.join(unknown)}, not in contractors.csv: the displacement rule cannot check "
                    "those employers",
                    "warning",
                )
            )


def _check_lat_lon(df: pd.DataFrame, r: np.ndarray, spec: FileSpec, problems: list[Problem]) -> None:
    lat, lon = df["lat"].notna(), df["lon"].notna()
    _emit(
        problems,
        spec,
        r,
        (lat & ~lon).to_numpy(),
        "lon",
        values=None,
        message="is empty while lat is given: give both or neither",
    )
    _emit(
        problems,
        spec,
        r,
        (lon & ~lat).to_numpy(),
        "lat",
        values=None,
        message="is empty while lon is given: give both or neither",
    )


def check_contractors(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    spec = FILES_BY_NAME["contractors"]
    if len(tables["contractors"]):
        _check_lat_lon(tables["contractors"], rows["contractors"], spec, problems)


def check_obligations(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    df, r = tables["obligations"], rows["obligations"]
    if not len(df):
        return
    spec = FILES_BY_NAME["obligations"]
    too_much = (df["obligation_eur"] > df["contract_value_eur"]).fillna(False).to_numpy()
    _emit(
        problems,
        spec,
        r,
        too_much,
        "obligation_eur",
        values=_text(df["obligation_eur"]),
        message="is more than contract_value_eur",
    )
    late_award = (df["award_date"] > df["start_date"]).fillna(False).to_numpy()
    _emit(
        problems,
        spec,
        r,
        late_award,
        "award_date",
        values=_text(df["award_date"]),
        message="lies after start_date: a contract starts after it is awarded",
        severity="warning",
    )


#: How an installation learns a scheme: said with every obligation that names an unknown one.
ADD_A_SCHEME = "add it to the TOML file named by KOPPELAAR_VALUATION_SCHEMES (docs/MONITORING.md)"


def check_valuation_schemes(ctx: Context) -> None:
    """An obligation's ``valuation_scheme`` must be one the installation knows (when it is told which)."""
    df, r = ctx.tables["obligations"], ctx.rows["obligations"]
    if ctx.schemes is None or not len(df):
        return
    names = df["valuation_scheme"]
    unknown = (names.notna() & ~names.isin(list(ctx.schemes))).to_numpy(dtype=bool)
    if unknown.any():
        known = ", ".join(sorted(ctx.schemes))
        _emit(
            ctx.problems,
            FILES_BY_NAME["obligations"],
            r,
            unknown,
            "valuation_scheme",
            values=_text(names),
            message=f"is not a valuation scheme this installation knows ({known}): {ADD_A_SCHEME}",
        )


def check_vacancies(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    df, r = tables["vacancies"], rows["vacancies"]
    if not len(df):
        return
    spec = FILES_BY_NAME["vacancies"]
    _check_lat_lon(df, r, spec, problems)
    for pos, (required, trainable) in enumerate(
        zip(df["required_certificates"], df["trainable_certificates"], strict=True)
    ):
        extra = [c for c in trainable if c not in required]
        if extra:
            problems.append(
                Problem(
                    spec.filename,
                    int(r[pos]),
                    "trainable_certificates",
                    "; ".join(trainable),
                    f"names {', '.join(extra)}, not among required_certificates: a trainable certificate is one "
                    "of the required ones",
                    "warning",
                )
            )


def check_placements(ctx: Context) -> None:
    tables, rows, problems = ctx.tables, ctx.rows, ctx.problems
    df, r = tables["placements"], rows["placements"]
    if not len(df):
        return
    spec = FILES_BY_NAME["placements"]
    r6, r12 = df["retained_6m"], df["retained_12m"]
    bad = (r12.fillna(False) & r6.eq(False).fillna(False)).to_numpy(dtype=bool)
    _emit(problems, spec, r, bad, "retained_12m", values=_text(r12), message="is true while retained_6m is false")
    never_started = df["status"].isin(["voorgesteld", "geaccepteerd"]).to_numpy()
    labelled = (r6.notna() | r12.notna()).to_numpy()
    _emit(
        problems,
        spec,
        r,
        never_started & labelled,
        "status",
        values=_text(df["status"]),
        message="has retention labels although the placement has not started; they are not used for learning",
        severity="warning",
    )
    vac_obligation = lookup(df["vacancy_id"], tables["vacancies"], "vacancy_id", "obligation_id")
    differs = (
        df["obligation_id"].notna() & vac_obligation.notna() & (df["obligation_id"] != vac_obligation)
    ).to_numpy()
    _emit(
        problems,
        spec,
        r,
        differs,
        "obligation_id",
        values=_text(df["obligation_id"]),
        message="differs from the obligation of its vacancy",
        severity="warning",
    )
    counted = df["obligation_id"].where(df["obligation_id"].notna(), vac_obligation)
    award = lookup(counted, tables["obligations"], "obligation_id", "award_date")
    before = (award > df["start_date"]).fillna(False).to_numpy(dtype=bool)
    _emit(
        problems,
        spec,
        r,
        before,
        "start_date",
        values=_text(df["start_date"]),
        message="lies before the obligation's award date: a hire before the award does not count as social return",
        severity="warning",
    )


def check_contributions(ctx: Context) -> None:
    """A contribution gives the measure of its kind (a purchase its invoice value, knowledge sharing its
    hours, a social activity its days) and no other kind's."""
    df, r = ctx.tables["contributions"], ctx.rows["contributions"]
    if not len(df):
        return
    spec = FILES_BY_NAME["contributions"]
    kind = df["kind"].astype(object)
    for measure_kind, column in CONTRIBUTION_MEASURE.items():
        mine = kind.eq(str(measure_kind)).to_numpy(dtype=bool)
        given = df[column].notna().to_numpy(dtype=bool)
        _emit(
            ctx.problems,
            spec,
            r,
            mine & ~given,
            column,
            values=None,
            message=f"is required for a contribution of kind {measure_kind}",
        )
        _emit(
            ctx.problems,
            spec,
            r,
            kind.notna().to_numpy(dtype=bool) & ~mine & given,
            column,
            values=_text(df[column]),
            message=f"belongs to a contribution of kind {measure_kind} only; leave it empty for another kind",
        )


ROW_RULES = (
    check_duplicates,
    check_references,
    check_date_order,
    check_candidates,
    check_contractors,
    check_obligations,
    check_valuation_schemes,
    check_vacancies,
    check_placements,
    check_contributions,
)


def check_all(ctx: Context) -> None:
    """Run every row and cross-file rule."""
    for rule in ROW_RULES:
        rule(ctx)
