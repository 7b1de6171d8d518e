"""What a score is, as the API tells it: a passingsscore without a model, a probability only with one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.loaders import write_model
from api.security import create_key
from api.settings import Settings
from models.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _info(tmp_path: Path, model: Path | None) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    store = Store.open(url)
    try:
        with store.begin() as conn:
            key = create_key(conn, role="coach", region="Groningen").secret
        app = create_app(Settings(database_url=url, warm=False, model=model), store=store)
        with TestClient(app) as client:
            r = client.get("/api/v1/scorer", headers={"X-API-Key": key})
            assert r.status_code == 200, r.text
            assert client.get("/api/v1/scorer").status_code == 401
            return r.json()  # type: ignore[no-any-return]
    finally:
        store.close()


def test_without_a_model_the_score_is_a_passingsscore_not_a_probability(tmp_path: Path) -> None:
    info = _info(tmp_path, None)
    assert (info["scorer"], info["label"], info["probability"], info["model"]) == ("rule", "passingsscore", False, None)
    assert "geen percentage" in info["explanation"].lower()


def test_with_a_model_the_score_is_its_probability_with_its_validation(tmp_path: Path, worlds: Any) -> None:
    scorer = worlds.trained(1000, 300, 7, train_seed=7)
    path = tmp_path / "retention.model"
    write_model(scorer, path)
    info = _info(tmp_path, path)
    assert (info["scorer"], info["label"], info["probability"]) == ("learned", "kans op 6 maanden", True)
    model = info["model"]
    assert model["file"] == "retention.model"
    assert model["validation_auc"] == pytest.approx(scorer.metrics_["validation_auc"])
    assert model["validation_size"] == int(scorer.metrics_["validation_size"])
    assert model["training_size"] == scorer.training_size_
