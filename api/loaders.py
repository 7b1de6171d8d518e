"""Adapters that read and write files for the engine: postcode tables, model files, pair lists.

The engine (``matching``) never opens a file; these functions do, and turn every problem with a
file into a :class:`~models.errors.KoppelaarError` that names the file, row and field.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pandas as pd

from matching.geo import PostcodeTable
from matching.scorers import LearnedScorer
from models.errors import KoppelaarError
from models.spreadsheet import neutralise_frame, restore_cell


def read_postcodes(path: Path) -> PostcodeTable:
    """A GeoNames-layout postal-code table: tab-separated, no header, code in column 2, lat/lon in 10–11."""
    try:
        frame = pd.read_csv(
            path,
            sep="\t",
            header=None,
            usecols=[1, 9, 10],
            dtype={1: str},
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
        )
    except FileNotFoundError:
        raise KoppelaarError(f"postcode table {path} does not exist (KOPPELAAR_POSTCODES)") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise KoppelaarError(
            f"postcode table {path} is not in the GeoNames layout (tab-separated, postal code in column 2, "
            f"latitude and longitude in columns 10 and 11): {exc}"
        ) from None
    lat = pd.to_numeric(frame[9], errors="coerce")
    lon = pd.to_numeric(frame[10], errors="coerce")
    table = PostcodeTable.from_columns(frame[1].tolist(), lat.tolist(), lon.tolist())
    if not len(table):
        raise KoppelaarError(f"postcode table {path} has no usable rows (PC4 code with latitude and longitude)")
    return table


def write_model(scorer: LearnedScorer, path: Path) -> None:
    """Write a trained model atomically (a failed write leaves an older model file as it was)."""
    data = scorer.to_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_model(path: Path) -> LearnedScorer:
    if not path.is_file():
        raise KoppelaarError(
            f"model file {path} does not exist: train one with `koppelaar train DATASET --model {path}`"
        )
    return LearnedScorer.from_bytes(path.read_bytes(), str(path))


def read_pairs(path: Path) -> pd.DataFrame:
    """A CSV of ``candidate_id, vacancy_id`` rows (other columns are kept and passed through)."""
    if not path.is_file():
        raise KoppelaarError(f"pairs file {path} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise KoppelaarError(f"{path.name} is not a readable UTF-8 CSV file: {exc}") from None
    missing = [c for c in ("candidate_id", "vacancy_id") if c not in frame.columns]
    if missing:
        raise KoppelaarError(f"{path.name} needs the column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    for column in ("candidate_id", "vacancy_id"):
        frame[column] = frame[column].str.strip().map(restore_cell)  # as a plan.csv wrote it
        empty = frame.index[frame[column].eq("")]
        if len(empty):
            rows = ", ".join(str(i + 2) for i in empty[:5])
            raise KoppelaarError(f"{path.name} row {rows}, column {column}: is required but empty")
    return frame


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as a CSV file, every text cell spreadsheet-safe; a failed write leaves ``path`` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        neutralise_frame(frame).to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
