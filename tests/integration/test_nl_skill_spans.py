"""The Dutch normalisation test set (tests/data/nl_skill_spans.csv) against the shared ESCO skills export."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.benchmarks.normalisation import DUTCH, DUTCH_SPLITS, load_dutch

SKILLS = Path(__file__).resolve().parents[3] / "shared" / "data" / "esco" / "skills_en.csv"


@pytest.mark.skipif(not SKILLS.is_file(), reason="needs the shared ESCO export")
def test_every_dutch_span_names_an_esco_skill_by_its_uri_and_english_preferred_label() -> None:
    skills = pd.read_csv(SKILLS, usecols=["conceptUri", "preferredLabel"], dtype=str)
    label_of = dict(zip(skills["conceptUri"], skills["preferredLabel"], strict=True))
    with DUTCH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    wrong = [(row["text"], row["label"]) for row in rows if label_of.get(row["uri"]) != row["label"]]
    assert not wrong


def test_the_dutch_set_has_a_development_and_a_held_out_half_of_distinct_texts() -> None:
    halves = load_dutch()
    assert set(halves) == set(DUTCH_SPLITS)
    sizes = [len(rows) for rows in halves.values()]
    assert min(sizes) >= 30
    assert max(sizes) - min(sizes) <= 1
    texts = [text for rows in halves.values() for text, _ in rows]
    assert len(texts) == len(set(texts))
