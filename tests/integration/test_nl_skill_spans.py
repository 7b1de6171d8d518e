"""The Dutch normalisation test set (tests/data/nl_skill_spans.csv) against the shared ESCO skills export."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from tests.benchmarks.normalisation import DUTCH, DUTCH_SPLITS, load_dutch
from tests.paths import ESCO

SKILLS = ESCO / "skills_en.csv"


@pytest.mark.skipif(not SKILLS.is_file(), reason="needs the shared ESCO export")
def test_every_dutch_span_names_an_esco_skill_by_its_uri_and_english_preferred_label() -> None:
    skills = pd.read_csv(SKILLS, usecols=["conceptUri", "preferredLabel"], dtype=str)
    label_of = dict(zip(skills["conceptUri"], skills["preferredLabel"], strict=True))
    with DUTCH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    wrong = [(row["text"], row["label"]) for row in rows if label_of.get(row["uri"]) != row["label"]]
    assert not wrong


#: The first rows alternate between the halves; the rows after them are split by profile.
ALTERNATING_ROWS = 77


def test_the_dutch_set_has_a_development_and_a_held_out_half_of_distinct_texts() -> None:
    halves = load_dutch()
    assert set(halves) == set(DUTCH_SPLITS)
    sizes = [len(rows) for rows in halves.values()]
    assert min(sizes) >= 30
    assert max(sizes) - min(sizes) <= 0.1 * sum(sizes)
    texts = [text for rows in halves.values() for text, _ in rows]
    assert len(texts) == len(set(texts))


def test_the_rows_after_the_alternating_ones_keep_each_profile_on_one_side() -> None:
    with DUTCH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["split"] for row in rows[:ALTERNATING_ROWS]] == [DUTCH_SPLITS[i % 2] for i in range(ALTERNATING_ROWS)]
    sides: dict[str, set[str]] = {}
    for row in rows[ALTERNATING_ROWS:]:
        sides.setdefault(row["profiel"], set()).add(row["split"])
    assert sides
    assert all(len(split) == 1 for split in sides.values())
