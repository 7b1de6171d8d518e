"""A first pass over the API: keys, reads, problems."""

from __future__ import annotations


def test_reads_and_problem_json(api) -> None:
    r = api.get("/candidates?limit=5", role="coach")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["limit"] == 5
    assert len(page["items"]) == 5
    assert {c["region"] for c in page["items"]} == {"Groningen"}
    r = api.get("/candidates?limit=5000", role="coach")
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "limit"
