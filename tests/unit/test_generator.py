"""The synthetic world: valid, deterministic, and shaped like the real SROI field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from api.cli import sample_dataset
from data.synthetic import vocabulary as vocab
from data.synthetic.generator import WorldConfig, generate_world
from data.synthetic.truth import HiddenModel, true_retention_probability
from models.dataset import Dataset, read_dataset, validate_dataset, write_dataset
from models.rules import displacement_warnings, open_positions
from models.schema import FILES
from tests.conftest import Worlds


@pytest.fixture(scope="module")
def world(worlds: Worlds) -> Dataset:
    return worlds.dataset(3000, 600, 7)


def _bytes(folder: Path) -> dict[str, bytes]:
    return {spec.filename: (folder / spec.filename).read_bytes() for spec in FILES}


def test_generated_world_is_valid_without_warnings(world: Dataset, tmp_path: Path) -> None:
    write_dataset(world, tmp_path / "w")
    report = validate_dataset(tmp_path / "w")
    assert report.problems == []
    assert report.dataset is not None
    # every file has rows but contributions.csv, which the generator leaves empty (header only)
    assert {k: v > 0 for k, v in report.dataset.counts().items()} == {
        spec.name: spec.name != "contributions" for spec in FILES
    }


def test_same_seed_gives_byte_identical_files_across_processes(tmp_path: Path) -> None:
    """Same seed → same bytes, also under another hash seed (no set or dict order leaks in)."""
    config = WorldConfig(candidates=300, vacancies=60, seed=11)
    write_dataset(generate_world(config), tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "987"}
    cmd = [sys.executable, "-m", "api.cli", "generate", "--out", str(tmp_path / "there"),
           "--candidates", "300", "--vacancies", "60", "--seed", "11"]  # fmt: skip
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=120)
    assert _bytes(tmp_path / "here") == _bytes(tmp_path / "there")


def test_other_seed_gives_another_world(tmp_path: Path) -> None:
    a = generate_world(WorldConfig(candidates=200, vacancies=40, seed=1))
    b = generate_world(WorldConfig(candidates=200, vacancies=40, seed=2))
    assert not a.candidates.equals(b.candidates)


def test_committed_sample_is_reproducible(tmp_path: Path) -> None:
    """The shipped sample is exactly `koppelaar generate` with its defaults (so anyone can rebuild it)."""
    write_dataset(generate_world(WorldConfig()), tmp_path / "fresh")
    assert _bytes(tmp_path / "fresh") == _bytes(sample_dataset())
    assert len(read_dataset(sample_dataset()).candidates) == 500


def test_regions_and_towns_are_real_and_weighted(world: Dataset) -> None:
    regions = world.candidates["region"].value_counts(normalize=True)
    assert {"Groningen", "Zuidoost-Brabant", "Noordoost-Brabant", "Holland Rijnland"} <= set(regions.index)
    assert regions.idxmax() == "Groningen"
    known = {pc for r in vocab.REGIONS for t in r.towns for pc in t.postcodes}
    pcs = world.candidates["postcode"].dropna().str[:4]
    assert pcs.isin(known).all()
    assert world.candidates["postcode"].dropna().str.len().eq(6).any()  # some PC6 too


def test_target_groups_have_realistic_shares(world: Dataset) -> None:
    shares = world.candidates["target_group"].astype(str).value_counts(normalize=True)
    assert 0.38 < shares["participatiewet"] < 0.50
    assert 0.06 < shares["banenafspraak"] < 0.14
    assert shares.index.isin(["statushouder", "wajong", "ww"]).sum() == 3


def test_profiles_are_incomplete_like_real_ones(world: Dataset) -> None:
    c = world.candidates
    assert 0.35 < c["education_level"].isna().mean() < 0.50  # UWV: 42% without education level
    assert 0.10 < (c["skills"].map(len) == 0).mean() < 0.30
    assert c["consent"].eq(False).any()
    certificates = c["certificates"].map(lambda xs: " ".join(xs).lower())
    assert certificates.str.contains("vca").mean() > 0.1
    assert c["driving_licences"].map(lambda xs: "B" in xs).mean() > 0.3
    statushouders = c[c["target_group"].eq("statushouder")]["language_level"].dropna()
    assert (statushouders.cat.codes <= 2).mean() > 0.5  # mostly A1-A2


def test_vacancies_look_like_real_ones(world: Dataset) -> None:
    v = world.vacancies
    titles = v["title"]
    assert titles.str.contains(r"\(m/v", regex=True).any()
    assert titles.str.lower().str.startswith("medewerker").any()
    assert titles.nunique() > 50
    typo_titles = {t for o in vocab.OCCUPATIONS for t in o.titles[-1:]}
    assert titles.isin(typo_titles).any()
    assert (~v["additional"].astype(bool)).mean() > 0.02  # some displacement posts
    assert v["required_certificates"].map(len).gt(0).mean() > 0.3


def test_obligations_are_tenders_of_200k_to_20m_mostly_at_5_percent(world: Dataset) -> None:
    o = world.obligations
    assert o["contract_value_eur"].between(200_000, 20_000_000).all()
    assert o["sroi_percentage"].eq(5).mean() > 0.75
    assert (o["start_date"] > pd.Timestamp("2026-10-01")).any()  # tender calendar: future work
    assert (o["end_date"] < pd.Timestamp("2026-10-01")).any()  # history


def test_contractors_have_headcounts_and_some_are_flagged(world: Dataset) -> None:
    flags = displacement_warnings(world.contractors)
    assert 0 < flags.mean() < 0.3
    assert world.contractors["headcount_baseline"].notna().mean() > 0.8


def test_placements_respect_no_displacement_and_capacity(world: Dataset) -> None:
    p, v = world.placements, world.vacancies
    non_additional = set(v.loc[~v["additional"].astype(bool), "vacancy_id"])
    assert not p["vacancy_id"].isin(non_additional).any()
    assert (open_positions(v, p) >= 0).all()
    occupying = p[p["status"].isin(["geaccepteerd", "gestart"])].groupby("vacancy_id").size()
    positions = v.set_index("vacancy_id")["positions"]
    assert (occupying <= positions.reindex(occupying.index)).all()


def test_retention_labels_follow_the_hidden_model(world: Dataset) -> None:
    """Placements the hidden model rates likely to last do last more often (the labels carry signal)."""
    p = world.placements
    labelled = p[p["retained_6m"].notna()]
    prob = true_retention_probability(world, labelled["candidate_id"], labelled["vacancy_id"])
    stayed = labelled["retained_6m"].astype(bool).to_numpy()
    assert 0.3 < stayed.mean() < 0.65
    high, low = prob >= np.median(prob), prob < np.median(prob)
    assert stayed[high].mean() > stayed[low].mean() + 0.1
    assert not (p["retained_12m"].eq(True) & p["retained_6m"].eq(False)).any()


def test_hidden_model_rewards_fit_and_punishes_overload(world: Dataset) -> None:
    model = HiddenModel(world)
    v = world.vacancies
    heavy = np.flatnonzero(v["physical_load"].eq("zwaar").to_numpy())[:20]
    light_cap = np.flatnonzero(world.candidates["physical_capacity"].eq("licht").to_numpy())[:20]
    heavy_cap = np.flatnonzero(world.candidates["physical_capacity"].eq("zwaar").to_numpy())[:20]
    # the same vacancies, candidates who can carry the load versus those who cannot (other things vary)
    assert model.p6(heavy_cap, heavy).mean() > model.p6(light_cap, heavy).mean()
    assert np.all((model.p6(heavy_cap, heavy) > 0) & (model.p6(heavy_cap, heavy) < 1))
    assert np.allclose(model.p12_given_6(heavy_cap, heavy) > model.p6(heavy_cap, heavy), True)


def test_unknown_ids_are_refused(world: Dataset) -> None:
    with pytest.raises(KeyError, match="not in the dataset"):
        true_retention_probability(world, pd.Series(["nobody"]), world.vacancies["vacancy_id"][:1])
