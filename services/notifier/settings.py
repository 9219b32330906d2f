"""Settings of the notifier."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator

from services.notifier.contact_settings import ContactSettings

# Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
DEFAULT_RETRY_SCHEDULE = "0,5,300,1800,7200,18000,36000,50400,72000,86400"
# A page is urgent: immediately, then 10 s, 30 s, 1 min, 2 min, 5 min.
DEFAULT_PAGE_RETRY_SCHEDULE = "0,10,30,60,120,300"


class NotifierSettings(ContactSettings):
    """The notifier's settings, from `IRM_*` environment variables (with those of sending to
    people's contact methods: pages go there)."""

    webhook_retry_schedule: str = Field(
        default=DEFAULT_RETRY_SCHEDULE,
        description="Seconds before each attempt, the first normally 0; its length is the "
        "number of attempts.",
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="Seconds per attempt.")
    webhook_max_in_flight: int = Field(default=64, ge=1)
    webhook_max_in_flight_per_subscription: int = Field(default=4, ge=1)
    webhook_http_client: Literal["httpx", "aiohttp"] = Field(
        default="aiohttp",
        description="The HTTP client webhooks are sent with; aiohttp costs about a third of "
        "httpx's CPU per delivery (docs/performance.md).",
    )
    notifier_batch_size: int = Field(default=500, ge=1)
    notifier_idle_timeout: float = Field(default=1.0, gt=0)
    reminder_scan_seconds: float = Field(
        default=5.0, gt=0, description="How often open incidents are checked for overdue updates."
    )
    paging_scan_seconds: float = Field(
        default=5.0,
        gt=0,
        description="At most this long between looks for paging steps that are due (the "
        "notifier also wakes at each due time and at each new page).",
    )
    page_retry_schedule: str = Field(
        default=DEFAULT_PAGE_RETRY_SCHEDULE,
        description="Seconds before each attempt to deliver a page to one contact method.",
    )
    notifier_health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of `irm notifier`'s /healthz and /readyz; unset serves no HTTP.",
    )
    notifier_health_host: str = Field(
        default="127.0.0.1", description="Address /healthz and /readyz listen on."
    )

    @field_validator("webhook_retry_schedule", "page_retry_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    def retry_schedule(self) -> list[timedelta]:
        """Delay before each attempt."""
        return parse_schedule(self.webhook_retry_schedule)

    def page_retries(self) -> list[timedelta]:
        """Delay before each attempt to deliver a page."""
        return parse_schedule(self.page_retry_schedule)


def parse_schedule(text: str) -> list[timedelta]:
    """`0,5,300` → delays in seconds; at least one, none negative."""
    try:
        delays = [timedelta(seconds=float(part)) for part in text.split(",") if part.strip()]
    except (ValueError, OverflowError) as error:
        raise ValueError(f"retry schedule must be comma-separated seconds, got {text!r}") from error
    if not delays or any(d < timedelta(0) for d in delays):
        raise ValueError("retry schedule needs at least one delay, none negative")
    return delays
