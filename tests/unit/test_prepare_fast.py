"""The one-pass look-ups of Prepared give what a look-up per candidate, or per text, gives."""

from __future__ import annotations

import unicodedata
import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest

from matching.prepare import MatchConfig, Prepared, _canonical, _codes, _incidence
from matching.text import clean_title, fold
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def prepared(worlds: Worlds) -> Prepared:
    world = worlds.copy(400, 80, 5)
    ids = world.contractors["contractor_id"].astype(str).tolist()
    c = world.candidates
    # former employers: none, one, an unknown one, the same one twice
    c["previous_employers"] = [
        (ids[k % len(ids)], "X-UNKNOWN", ids[k % len(ids)]) if k % 5 == 0 else (ids[1],) if k % 7 == 0 else items
        for k, items in enumerate(c["previous_employers"])
    ]
    return Prepared(world, config=MatchConfig(today=date(2026, 10, 1)))


def _same(a: object, b: object) -> None:
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part


def test_previous_employers_are_a_lookup_per_candidate(prepared: Prepared) -> None:
    p = prepared
    contractors = pd.Index(p.ds.contractors["contractor_id"].astype(str))
    rows = [
        sorted({int(x) for x in contractors.get_indexer(pd.Index(list(items), dtype=object)) if x >= 0})
        for items in p.ds.candidates["previous_employers"]
    ]
    assert sum(map(len, rows)) > 80
    _same(p.c_previous, _canonical(_incidence(rows, len(contractors)).tocsc()))


def test_occupation_texts_are_numbered_as_a_pass_over_every_experience(prepared: Prepared) -> None:
    p = prepared
    labels = list(dict.fromkeys(e.label for items in p.ds.candidates["occupations"] for e in items))
    matches = {m.text: m for m in p.normaliser.normalise(labels, "occupation", title=True)}
    codes = {code: j for j, code in enumerate(p.occupation_codes)}
    text_ids: dict[str, int] = {}
    text_rows, occ_rows, year_rows = [], [], []
    for items in p.ds.candidates["occupations"]:
        texts: set[int] = set()
        seen: dict[int, float] = {}
        for e in items:
            m = matches[e.label]
            known_as = [clean_title(e.label)]
            if m.code:
                known_as.append(clean_title(p.taxonomy.label(m.code, "occupation")))
            for t in known_as:
                if t:
                    texts.add(text_ids.setdefault(t, len(text_ids)))
            if m.code is not None and m.code in codes:
                seen[codes[m.code]] = max(seen.get(codes[m.code], 0.0), e.years or 0.0)
        text_rows.append(sorted(texts))
        occ_rows.append(sorted(seen))
        year_rows.append([seen[j] for j in sorted(seen)])
    assert sum(len(r) > 1 for r in text_rows) > 50
    _same(p.c_titles, _incidence(text_rows, len(text_ids)))
    _same(p.c_occ_years, _incidence(occ_rows, len(codes), year_rows))


@pytest.mark.parametrize(
    "text", ["Coördinator", "Timmerman (m/v) 36 uur", "  Café\tmedewerker ", "ÉÉN/twee", "straße", "ﬁets", "a\xa0b"]
)
def test_folding_with_the_ascii_shortcut_is_the_full_folding(text: str) -> None:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert fold(text) == " ".join(stripped.lower().split())


def test_codes_are_the_categorical_codes() -> None:
    values = pd.Series(["b", None, "a", "c", np.nan, "b"], dtype=object)
    names = ("a", "b")
    with warnings.catch_warnings():  # pandas may warn of values outside the categories, which it codes -1
        warnings.simplefilter("ignore")
        expected = pd.Categorical(values.astype(str), categories=names).codes.astype(np.int64)
    assert _codes(values, names).tolist() == expected.tolist() == [1, -1, 0, -1, -1, 1]
