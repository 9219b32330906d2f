"""Settings of the projector."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class ProjectorSettings(CommonSettings):
    """The projector's settings, from `IRM_*` environment variables."""

    projector_batch_size: int = Field(default=500, ge=1)
    projector_idle_timeout: float = Field(
        default=1.0, gt=0, description="Seconds to wait for NOTIFY before polling the log."
    )
    projector_health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of `irm projector`'s /healthz and /readyz; unset serves no HTTP.",
    )
    projector_health_host: str = Field(
        default="127.0.0.1", description="Address /healthz and /readyz listen on."
    )
