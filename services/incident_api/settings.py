"""Settings of the incident API process."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pydantic import Field, field_validator, model_validator

from shared.domain.values import REOPEN_CLOSED_WINDOW
from shared.settings import CommonSettings
from shared.tokens import Scope

# Public-key signatures only: a JWKS is public, so an HMAC (HS*) key in it would let anyone
# sign, and `none` is no signature at all.
_ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class ApiSettings(CommonSettings):
    """Everything `create_app` needs, from `IRM_*` environment variables."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1, description="Larger bodies get 413.")
    command_retry_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a command without If-Match that loses the race with concurrent "
        "writes keeps being decided again on the newer state before answering 409.",
    )
    command_retries: int | None = Field(
        default=None,
        ge=0,
        description="At most this many re-runs of such a command, within "
        "command_retry_seconds; unset: as many as the time allows.",
    )
    recent_incidents: int = Field(
        default=1_000,
        ge=0,
        description="Incidents kept in memory as last written, so a command skips loading them.",
    )
    read_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a query waits for the projector to include its min_position, or "
        "what this process appended that the query shows (read your own writes).",
    )
    reopen_closed_window: timedelta = Field(
        default=REOPEN_CLOSED_WINDOW,
        ge=timedelta(0),
        description="How long after closing a closed incident may still be reopened (by the IC "
        "of record or an admin): an ISO 8601 duration such as P7D or PT12H, or 7d or 12:00:00; 0 "
        "allows no reopening of a closed incident.",
    )
    webhook_secret_grace_seconds: int = Field(
        default=86_400, ge=0, description="How long a rotated-out webhook secret keeps signing."
    )
    token_cache_seconds: float = Field(
        default=30.0, ge=0, description="How long a validated token is trusted without a lookup."
    )
    failed_logins_allowed: int = Field(
        default=20,
        ge=0,
        description="Failed authentications from one client address, within "
        "failed_logins_window_seconds, after which it gets 429 too-many-failed-logins; "
        "0 turns the throttle off.",
    )
    failed_logins_window_seconds: float = Field(
        default=60.0, gt=0, description="The sliding window the failed authentications count in."
    )

    # Single sign-on (services/incident_api/oidc.py): off unless issuer and audience are set.
    oidc_issuer: str | None = Field(
        default=None, description="The OIDC provider's issuer; a JWT's iss must equal it."
    )
    oidc_audience: str | None = Field(
        default=None, description="This API's audience at the provider; a JWT's aud must name it."
    )
    oidc_jwks_url: str | None = Field(
        default=None,
        description="The provider's JWKS URL; unset: the jwks_uri of "
        "{issuer}/.well-known/openid-configuration.",
    )
    oidc_algorithms: str = Field(
        default=",".join(sorted(_ASYMMETRIC_ALGORITHMS)),
        description="Comma-separated JWS algorithms a JWT may be signed with (asymmetric only).",
    )
    oidc_leeway_seconds: float = Field(
        default=30.0, ge=0, le=300, description="Clock skew allowed when checking exp and nbf."
    )
    oidc_principal_claim: str = Field(
        default="preferred_username",
        min_length=1,
        description="The claim that names the principal; sub when it is missing.",
    )
    oidc_scope_claim: str = Field(
        default="irm_scope",
        min_length=1,
        description="The claim that names the scope: read, write or admin, or a list or "
        "space-separated string of them (the highest counts).",
    )
    oidc_scope_prefix: str = Field(
        default="",
        description="What scope names carry in the scope claim, e.g. irm: for groups irm:write.",
    )
    oidc_default_scope: Scope = Field(
        default=Scope.READ, description="The scope of a JWT whose scope claim names none."
    )
    oidc_jwks_refetch_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Fetches of the JWKS (for an unknown key id, or after a failure) are at "
        "least this far apart.",
    )
    oidc_jwks_max_age_seconds: float = Field(
        default=3_600.0,
        ge=0,
        description="The JWKS is fetched again when it is this old (so withdrawn keys stop "
        "working), if the refetch interval allows; if that fetch fails the old keys are kept.",
    )
    oidc_http_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Timeout of each request to the identity provider."
    )

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: str) -> str:
        algorithms = {a.strip() for a in value.split(",") if a.strip()}
        refused = algorithms - _ASYMMETRIC_ALGORITHMS
        if refused or not algorithms:
            raise ValueError(
                f"not allowed: {', '.join(sorted(refused)) or 'an empty list'}; "
                f"choose among {', '.join(sorted(_ASYMMETRIC_ALGORITHMS))}"
            )
        return value

    @model_validator(mode="after")
    def _issuer_with_audience(self) -> ApiSettings:
        if (self.oidc_issuer is None) != (self.oidc_audience is None):
            raise ValueError("set both oidc_issuer and oidc_audience, or neither")
        return self

    def oidc_algorithm_set(self) -> frozenset[str]:
        """The JWS algorithms a JWT may be signed with."""
        return frozenset(a.strip() for a in self.oidc_algorithms.split(",") if a.strip())
