"""Settings of the incident API process."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class ApiSettings(CommonSettings):
    """Everything `create_app` needs, from `IRM_*` environment variables."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1, description="Larger bodies get 413.")
    command_retries: int = Field(
        default=3,
        ge=0,
        description="Times a command without If-Match is re-run on a concurrent write.",
    )
    recent_incidents: int = Field(
        default=1_000,
        ge=0,
        description="Incidents kept in memory as last written, so a command skips loading them.",
    )
    read_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a query with min_position waits for the projector to catch up.",
    )
    webhook_secret_grace_seconds: int = Field(
        default=86_400, ge=0, description="How long a rotated-out webhook secret keeps signing."
    )
    token_cache_seconds: float = Field(
        default=30.0, ge=0, description="How long a validated token is trusted without a lookup."
    )
