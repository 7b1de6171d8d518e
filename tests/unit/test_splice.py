"""A matcher's tables after an update: the changed rows replaced, added and removed, in id order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from api.services.matching import _splice
from models.schema import FILES_BY_NAME
from models.store.convert import table_to_db_rows
from tests.conftest import Worlds


@pytest.mark.parametrize("file", ["candidates", "vacancies"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_splicing_equals_dropping_appending_and_sorting_by_id(worlds: Worlds, file: str, seed: int) -> None:
    spec = FILES_BY_NAME[file]
    frame = getattr(worlds.dataset(300, 60, 3), file)
    if seed == 2:  # not in id order (another collation): put in order as well
        frame = frame.iloc[::-1].reset_index(drop=True)
    else:
        frame = frame.iloc[frame[spec.key].astype(str).to_numpy().argsort(kind="stable")].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    ids = frame[spec.key].astype(str).to_numpy()
    edited = list(rng.choice(ids, 3, replace=False))
    gone = [i for i in rng.choice(ids, 2, replace=False) if i not in edited]
    changed = frame[frame[spec.key].astype(str).isin(edited)].copy()
    added = frame.iloc[[0, len(frame) - 1]].copy()
    added[spec.key] = ["0-first", "~last"]  # before and after every id
    rows = table_to_db_rows(spec, pd.concat([changed, added], ignore_index=True))
    got = _splice(frame, file, [*edited, *gone, "0-first", "~last"], rows)
    want = pd.concat(
        [frame[~frame[spec.key].astype(str).isin([*edited, *gone])], pd.concat([changed, added])], ignore_index=True
    )
    want = want.iloc[want[spec.key].astype(str).to_numpy().argsort(kind="stable")].reset_index(drop=True)
    assert list(got[spec.key]) == list(want[spec.key])
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("file", ["candidates", "vacancies"])
def test_rows_edited_in_place_equal_those_dropped_appended_and_sorted(worlds: Worlds, file: str) -> None:
    """Edits only (the common write): every replaced row is held and comes back changed, in its place."""
    spec = FILES_BY_NAME[file]
    frame = getattr(worlds.dataset(300, 60, 3), file)
    frame = frame.iloc[frame[spec.key].astype(str).to_numpy().argsort(kind="stable")].reset_index(drop=True)
    held = frame.copy()
    edited = [str(k) for k in frame[spec.key].iloc[[0, 7, len(frame) - 1]]]
    changed = frame[frame[spec.key].astype(str).isin(edited)].copy()
    text, number, listed = {
        "candidates": ("profile_text", "max_travel_km", "skills"),
        "vacancies": ("description", "hours_per_week", "required_skills"),
    }[file]
    changed[text] = ["nieuw", None, "ander"]
    changed[number] = [11.0, 12.0, np.nan]
    changed[listed] = pd.Series([("lassen",), (), ("koken", "schoonmaken")], index=changed.index, dtype=object)
    got = _splice(frame, file, edited, table_to_db_rows(spec, changed))
    want = pd.concat([frame[~frame[spec.key].astype(str).isin(edited)], changed], ignore_index=True)
    want = want.iloc[want[spec.key].astype(str).to_numpy().argsort(kind="stable")].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(frame, held)  # the frame a matcher holds is left as it was
