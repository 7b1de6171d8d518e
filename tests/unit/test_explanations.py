"""Explanations a coach can trust: what is missing adds up, a partly held skill names its link honestly,
one colon per sentence."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from matching.matcher import Matcher
from matching.prepare import MatchConfig, Prepared
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def explained(worlds: Worlds) -> pd.DataFrame:
    """Every eligible pair of 300 candidates and 80 vacancies of a generated world, explained."""
    p = Prepared(worlds.dataset(1500, 300, 12), config=MatchConfig(today=date(2026, 10, 1)))
    m = Matcher(p)
    rng = np.random.default_rng(3)
    candidates = rng.choice(p.candidate_ids, 300, replace=False).tolist()
    vacancies = rng.choice(p.vacancy_ids, 80, replace=False).tolist()
    pairs = pd.MultiIndex.from_product([candidates, vacancies])
    scored = m.score_pairs(pairs.get_level_values(0).tolist(), pairs.get_level_values(1).tolist())
    eligible = scored[scored["eligible"]]
    assert len(eligible) > 200
    return eligible


def _codes(reasons: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in reasons.split("; ") if ":" in part)


def test_what_is_missing_lists_every_skill_not_fully_held(explained: pd.DataFrame) -> None:
    counted = 0
    for reasons, text in zip(explained["reasons"], explained["explanation"], strict=True):
        codes = _codes(reasons)
        if "skills" not in codes:
            continue
        have, of = map(int, codes["skills"].split("/"))
        missing = codes["missing"].split("|") if "missing" in codes else []
        assert len(missing) == of - have, (reasons, text)
        if have < of:
            assert "(mist: " in text
            counted += 1
    assert counted > 50


def test_a_partly_held_skill_names_the_skill_it_comes_from_and_how(explained: pd.DataFrame) -> None:
    partly = [s for text in explained["explanation"] for s in re.findall(r"Telt deels mee: [^.]*\.", text)]
    assert partly, "no pair with a partly held skill"
    for sentence in partly:
        # the built-in taxonomy relates skills by shared occupation profiles, not by ESCO's skill relations
        assert re.fullmatch(r"Telt deels mee: .+ \((vaak samen gevraagd met|lijkt op) .+\)\.", sentence), sentence
    assert not explained["explanation"].str.contains("verwant aan").any()


def test_one_colon_per_sentence_and_no_repeated_heading(explained: pd.DataFrame) -> None:
    for text in explained["explanation"]:
        for sentence in re.split(r"(?<=\.) ", text):
            assert sentence.count(": ") <= 1, sentence
        assert "Weegt het zwaarst" not in text


def test_a_skill_text_read_as_a_concept_says_what_it_was_read_as_and_how_close(explained: pd.DataFrame) -> None:
    pattern = r"Vaardigheid '([^']+)' herkend als '([^']+)', (\d+)% overeenkomst\."
    found = [m for text in explained["explanation"] for m in re.findall(pattern, text)]
    assert found, "no pair whose vacancy asks a skill in other words than a label"
    for written, label, percent in found:
        assert written != label
        assert 86 <= int(percent) <= 100  # at or above the fuzzy threshold, never an exact label (those say nothing)
