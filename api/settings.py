"""Settings from environment variables (or a `.env` file), each with a safe default.

See "Configuration" in ``shared/specs/data-format.md``. Nothing connects at import time:
the composition root (CLI or ``create_app``) builds a :class:`Settings` and passes it on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Koppelaar's configuration."""

    model_config = SettingsConfigDict(env_prefix="KOPPELAAR_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///koppelaar.sqlite"
    postcodes: Path | None = None
    taxonomy: Path | None = None

    @field_validator("postcodes")
    @classmethod
    def _postcodes_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"KOPPELAAR_POSTCODES points to {value}, which is not a file")
        return value

    @field_validator("taxonomy")
    @classmethod
    def _taxonomy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"KOPPELAAR_TAXONOMY points to {value}, which is not a folder")
        return value
