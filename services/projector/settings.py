"""Settings of the projector."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.cadence import DEFAULT_UPDATE_CADENCE, Cadence, parse_cadence
from shared.settings import CommonSettings


class ProjectorSettings(CommonSettings):
    """The projector's settings, from `IRM_*` environment variables."""

    update_cadence: str = Field(
        default=DEFAULT_UPDATE_CADENCE,
        description="Customer-update cadence per severity, e.g. P1=30m,P2=60m,P3=4h,P4=24h.",
    )
    projector_batch_size: int = Field(default=500, ge=1)
    projector_idle_timeout: float = Field(
        default=1.0, gt=0, description="Seconds to wait for NOTIFY before polling the log."
    )

    @field_validator("update_cadence")
    @classmethod
    def _valid_cadence(cls, value: str) -> str:
        parse_cadence(value)
        return value

    def cadence(self) -> Cadence:
        """The parsed update cadence."""
        return parse_cadence(self.update_cadence)
