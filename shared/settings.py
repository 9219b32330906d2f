"""Settings every service shares, read from `IRM_*` environment variables (twelve-factor)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded PostgreSQL keeps its files when no directory is configured."""
    return user_data_path("irm", appauthor=False) / "pgdata"


class CommonSettings(BaseSettings):
    """Database and event-store settings; each service's settings class extends this one."""

    model_config = SettingsConfigDict(env_prefix="IRM_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://… of a PostgreSQL 14+ server; unset starts an embedded one.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder of the embedded PostgreSQL's data (used only without database_url).",
    )
    db_pool_min_size: int = Field(default=2, ge=1)
    db_pool_max_size: int = Field(default=10, ge=1)
    lock_timeout_ms: int = Field(
        default=5_000, ge=1, description="How long an append waits for the events table lock."
    )
    snapshot_interval: int = Field(
        default=100, ge=1, description="Take a snapshot of an incident every this many events."
    )
    log_level: str = "INFO"
