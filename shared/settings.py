"""Settings every service shares, read from `IRM_*` environment variables (twelve-factor)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, Cadence, parse_cadence
from shared.webhooks.url_guard import Allowlist


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
    update_cadence: str = Field(
        default=DEFAULT_UPDATE_CADENCE,
        description="Customer-update cadence per severity, e.g. P1=30m,P2=60m,P3=4h,P4=24h.",
    )
    webhook_allowed_targets: str = Field(
        default="",
        description="Comma-separated CIDRs or host names that webhooks may target although "
        "they are internal (loopback, private, link-local…).",
    )

    @field_validator("update_cadence")
    @classmethod
    def _valid_cadence(cls, value: str) -> str:
        parse_cadence(value)
        return value

    def cadence(self) -> Cadence:
        """The parsed customer-update cadence."""
        return parse_cadence(self.update_cadence)

    def allowlist(self) -> Allowlist:
        """Webhook targets the URL guard lets through."""
        return Allowlist.parse(self.webhook_allowed_targets)
