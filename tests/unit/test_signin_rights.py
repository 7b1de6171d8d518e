"""Who an organisation account is in Koppelaar: its role and region from the admin's mapping or its claims."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.http.web.signin import (
    REFUSED_NO_REGION,
    REFUSED_NO_ROLE,
    Rights,
    SignInRefusedError,
    account_key_id,
    rights_of,
)
from api.security import Role
from api.settings import OidcAccount, Settings


def settings(**overrides: object) -> Settings:
    return Settings(database_url="sqlite://", **overrides)  # type: ignore[arg-type]


def test_the_claims_give_role_and_region() -> None:
    claims = {"sub": "s1", "koppelaar_role": "adviseur", "koppelaar_region": " Groningen "}
    assert rights_of(claims, settings()) == Rights(Role.ADVISEUR, "Groningen")


def test_the_claim_names_are_the_admins_to_choose() -> None:
    claims = {"sub": "s1", "groups": "coach", "gemeente": "Midden-Utrecht"}
    chosen = settings(oidc_role_claim="groups", oidc_region_claim="gemeente")
    assert rights_of(claims, chosen) == Rights(Role.COACH, "Midden-Utrecht")


def test_the_admins_mapping_wins_over_the_claims() -> None:
    mapping = {"s1": OidcAccount(role="werkgeversservice", region="Twente")}
    claims = {"sub": "s1", "koppelaar_role": "coach", "koppelaar_region": "Groningen"}
    assert rights_of(claims, settings(oidc_accounts=mapping)) == Rights(Role.WERKGEVERSSERVICE, "Twente")


def test_only_the_mapping_makes_an_admin_of_every_region() -> None:
    mapped = settings(oidc_accounts={"s1": OidcAccount(role="admin")})
    assert rights_of({"sub": "s1"}, mapped) == Rights(Role.ADMIN, None)
    with pytest.raises(SignInRefusedError, match=re.escape(REFUSED_NO_ROLE)):
        rights_of({"sub": "s2", "koppelaar_role": "admin", "koppelaar_region": "Groningen"}, mapped)


def test_the_default_role_fills_in_a_missing_role_claim() -> None:
    claims = {"sub": "s1", "koppelaar_region": "Groningen"}
    with pytest.raises(SignInRefusedError, match=re.escape(REFUSED_NO_ROLE)):
        rights_of(claims, settings())
    assert rights_of(claims, settings(oidc_default_role="coach")) == Rights(Role.COACH, "Groningen")


@pytest.mark.parametrize("region", [None, "", "   ", 42])
def test_a_user_without_a_region_is_refused(region: object) -> None:
    claims = {"sub": "s1", "koppelaar_role": "coach", "koppelaar_region": region}
    with pytest.raises(SignInRefusedError) as refused:
        rights_of(claims, settings())
    assert str(refused.value) == REFUSED_NO_REGION
    mapped = settings(oidc_accounts={"s1": OidcAccount(role="coach")})
    with pytest.raises(SignInRefusedError, match="geen regio"):
        rights_of({"sub": "s1"}, mapped)


def test_an_accounts_key_id_is_pseudonymous_and_stable() -> None:
    one = account_key_id("https://idp.example", "jan@gemeente.example")
    assert one == account_key_id("https://idp.example", "jan@gemeente.example")
    assert one != account_key_id("https://other.example", "jan@gemeente.example")
    assert "jan" not in one
    assert len(one) <= 32


def test_an_issuer_without_the_clients_key_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="KOPPELAAR_OIDC_CLIENT_KEY"):
        settings(oidc_issuer="https://idp.example")
    with pytest.raises(ValueError, match="not a file"):
        settings(oidc_issuer="https://idp.example", oidc_client_key=tmp_path / "missing.pem")


def test_the_configuration_error_names_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import load_settings
    from models.errors import KoppelaarError

    monkeypatch.setenv("KOPPELAAR_OIDC_ISSUER", "https://idp.example")
    monkeypatch.delenv("KOPPELAAR_OIDC_CLIENT_KEY", raising=False)
    with pytest.raises(KoppelaarError) as bad:
        load_settings()
    assert str(bad.value).startswith("bad configuration: KOPPELAAR_OIDC_ISSUER is set but KOPPELAAR_OIDC_CLIENT_KEY")
