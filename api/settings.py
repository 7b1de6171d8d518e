"""Settings from environment variables (or a `.env` file), each with a safe default.

See "Configuration" in ``shared/specs/data-format.md``. Nothing connects at import time:
the composition root (CLI or ``create_app``) builds a :class:`Settings` and passes it on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.errors import KoppelaarError
from models.valuation import Schemes, load_schemes


class OidcAccount(BaseModel):
    """The role and region the admin gives one organisation account (``None``: every region, admin only)."""

    role: Literal["coach", "adviseur", "werkgeversservice", "admin"]
    region: str | None = None


class Settings(BaseSettings):
    """Koppelaar's configuration."""

    model_config = SettingsConfigDict(env_prefix="KOPPELAAR_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///koppelaar.sqlite"
    postcodes: Path | None = None
    taxonomy: Path | None = None
    # extensions of the spec's list (documented in the README)
    esco: Path | None = Field(
        default=None,
        description="A folder with an official ESCO CSV export: the built-in taxonomy's concepts then also take "
        "ESCO's English preferred and alternative labels and ISCO group, by their ESCO URI. Unset: Koppelaar's own "
        "English names only.",
    )
    semantic: bool = Field(
        default=True,
        description="Skill texts are also compared by meaning (multilingual-e5-small, Dutch and English) where the "
        "optional extra `semantic` is installed; false: by their characters only, as without the extra.",
    )
    semantic_static: bool = Field(
        default=True,
        description="With `semantic`: rank an English skill text by its static vector (the mean of its tokens' "
        "vectors, no model run) when a candidate's label shares most of its characters with it; false: every "
        "ranked text by the model.",
    )
    model: Path | None = None  # a model from `koppelaar train` for the API's suggestions and runs
    max_body_mb: float = 50.0  # the largest request body (a bulk upload) the API accepts
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        le=1_000_000,
        description="Failed authentications (no key, a wrong or revoked key) one client address may make in any "
        "minute; beyond that it is answered 429 with Retry-After until the minute has passed.",
    )
    log_level: str = "INFO"
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes of `koppelaar serve` (the default of its --workers): one per core serves "
        "suggestions under concurrent load; each holds its own prepared matchers.",
    )
    warm: bool = Field(
        default=True,
        description="Prepare every region's matcher when the server starts (in the background; /healthz says "
        "`matchers: warming` until it is done), so that no request pays for it; false: on the first request.",
    )
    hours_below_min: float = Field(
        default=0.0,
        ge=0,
        le=40,
        description="Hours a week a place may lie below a candidate's hours_min and still fit (never above "
        "hours_max, which is what the person can work); the explanation then says so.",
    )
    min_retention: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="A minimum predicted retention (probability of lasting 6 months, from a model of `koppelaar "
        "train`): a pair predicted below it is neither planned nor suggested; unset: no minimum.",
    )
    valuation_schemes: Path | None = None  # a TOML file of user-defined bouwblokken schemes
    valuation_scheme: str = "standaard"  # the scheme of obligations that name none
    engine: Literal["local", "dask"] = Field(
        default="local",
        description="Where `koppelaar match` scores and solves: local (in this process) or dask (a Dask cluster); "
        "the default of its --engine option.",
    )
    dask_scheduler: str | None = Field(
        default=None,
        description="The address of a running Dask scheduler, tcp://HOST:8786, that the dask engine joins; "
        "the default of `koppelaar match --scheduler`. Unset: the dask engine starts a cluster on this machine.",
    )

    # signing in to the web page with the organisation's account (OpenID Connect; docs/API.md)
    oidc_issuer: str | None = Field(
        default=None,
        description="The organisation's OpenID Connect provider (its issuer URL, where "
        "/.well-known/openid-configuration is found). Unset: the page signs in with API keys only.",
    )
    oidc_client_id: str = Field(default="koppelaar", description="Koppelaar's client id at the provider.")
    oidc_client_key: Path | None = Field(
        default=None,
        description="Koppelaar's private key (PEM, RSA) with which it authenticates at the provider's token "
        "endpoint (private_key_jwt, as the NL GOV profile asks); its public key is registered at the provider.",
    )
    oidc_scopes: str = Field(default="openid profile", description="The scopes asked for at sign-in.")
    oidc_role_claim: str = Field(default="koppelaar_role", description="The claim that names the user's role.")
    oidc_region_claim: str = Field(default="koppelaar_region", description="The claim that names the user's region.")
    oidc_accounts: dict[str, OidcAccount] = Field(
        default_factory=dict,
        description="The admin's mapping, as JSON: an account's subject (its `sub` claim) to its role and region, "
        'e.g. {"8f2c…": {"role": "coach", "region": "Groningen"}}; it wins over the claims.',
    )
    oidc_default_role: Literal["coach", "adviseur", "werkgeversservice"] | None = Field(
        default=None,
        description="The role of a user whom neither the mapping nor the role claim gives one; unset: refused.",
    )
    session_hours: float = Field(
        default=8.0, gt=0, le=24 * 7, description="How long a web sign-in lasts before the user signs in again."
    )

    # notifications (api/services/notify.py; docs/MONITORING.md)
    smtp_host: str | None = Field(
        default=None,
        description="The SMTP server that sends notification e-mails; unset: notifications go to the API's feed only.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="The SMTP server's port.")
    smtp_user: str | None = Field(default=None, description="The SMTP login, when the server asks for one.")
    smtp_password: str | None = Field(default=None, description="The SMTP password of KOPPELAAR_SMTP_USER.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_from: str = Field(default="koppelaar@localhost", description="The sender of notification e-mails.")
    public_url: str = Field(
        default="http://localhost:8000",
        description="Where users reach this server: the links in notification e-mails start with it.",
    )
    notify_minutes: float = Field(
        default=0.0,
        ge=0,
        le=24 * 60,
        description="The server's own notifier: every this many minutes it looks for events and sends them, as "
        "`koppelaar notify` does; 0 (the default): off, run `koppelaar notify` from cron or a CronJob instead.",
    )

    @field_validator("oidc_client_key")
    @classmethod
    def _client_key_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"KOPPELAAR_OIDC_CLIENT_KEY points to {value}, which is not a file")
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if self.oidc_issuer and self.oidc_client_key is None:
            raise ValueError(
                "KOPPELAAR_OIDC_ISSUER is set but KOPPELAAR_OIDC_CLIENT_KEY is not: Koppelaar needs its private "
                "key to authenticate at the provider"
            )
        return self

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check_scheduler_address(value, "KOPPELAAR_DASK_SCHEDULER")

    @field_validator("valuation_schemes")
    @classmethod
    def _schemes_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"KOPPELAAR_VALUATION_SCHEMES points to {value}, which is not a file")
        return value

    def schemes(self) -> Schemes:
        """The valuation schemes: built in, plus the file's; raises KoppelaarError when one is bad."""
        return load_schemes(self.valuation_schemes, default=self.valuation_scheme)

    @field_validator("model")
    @classmethod
    def _model_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"KOPPELAAR_MODEL points to {value}, which is not a file")
        return value

    @field_validator("postcodes")
    @classmethod
    def _postcodes_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"KOPPELAAR_POSTCODES points to {value}, which is not a file")
        return value

    @field_validator("esco")
    @classmethod
    def _esco_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"KOPPELAAR_ESCO points to {value}, which is not a folder")
        return value

    @field_validator("taxonomy")
    @classmethod
    def _taxonomy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"KOPPELAAR_TAXONOMY points to {value}, which is not a folder")
        return value


#: The address schemes of a Dask scheduler.
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(value: str, name: str = "--scheduler") -> str:
    """A Dask scheduler's address, ``tcp://HOST:PORT`` (the scheme may be left out), checked before
    Dask sees it, or a ValueError naming ``name``."""
    address = value.strip()
    scheme, sep, rest = address.rpartition("://")
    host, _, port = rest.rpartition(":")
    if (
        (sep and scheme not in SCHEDULER_SCHEMES)
        or not host.strip("[]")
        or any(c.isspace() or c in "/?#" for c in host)
        or not port.isdigit()
        or not 0 < int(port) < 65536
    ):
        raise ValueError(
            f"{name} {value!r} is not a Dask scheduler address: write it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"
        )
    return address


def load_settings() -> Settings:
    """The settings, or one clear :class:`KoppelaarError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            # a rule over several variables (no loc) names them in its own message
            (f"KOPPELAAR_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise KoppelaarError(f"bad configuration: {problems}") from None
