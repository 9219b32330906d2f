"""Single sign-on: JWT bearer tokens from an OpenID Connect provider, checked with PyJWT.

A token is accepted when the provider's key (from its JWKS) verifies its signature with an
asymmetric algorithm allowed here, it is within its `nbf`..`exp` window (give or take a small
leeway), and its `iss` and `aud` are this deployment's. One claim names the principal, another
its scope. The token itself is never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import httpx
import jwt

from services.incident_api.jwks import JwksCache
from services.incident_api.settings import ApiSettings
from shared.domain.values import NAME_MAX_CHARS
from shared.tokens import Principal, Scope, TokenRefusedError

# Three base64url segments (the last, the signature, may be empty as in `alg: none`); an
# opaque `irm_` token has no dots, so the two kinds never look alike.
_JWT_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_FALLBACK_PRINCIPAL_CLAIM: Final = "sub"

# Why PyJWT refused a token, as (reason for the log, detail for the client); the most specific
# class listed decides. Signatures are checked before claims.
_REFUSALS: Final[dict[type[jwt.PyJWTError], tuple[str, str]]] = {
    jwt.ExpiredSignatureError: ("expired", "the token has expired"),
    jwt.ImmatureSignatureError: ("not-yet-valid", "the token is not valid yet (nbf or iat)"),
    jwt.InvalidAudienceError: ("wrong-audience", "the token is not meant for this API (aud)"),
    jwt.InvalidIssuerError: ("wrong-issuer", "the token comes from another issuer (iss)"),
    jwt.InvalidSignatureError: ("bad-signature", "the token's signature does not verify"),
    jwt.InvalidAlgorithmError: ("algorithm", "the token's algorithm does not fit its key"),
    jwt.DecodeError: ("malformed", "the token is not a well-formed JWT"),
    jwt.PyJWKError: ("unusable-key", "the provider's key for this token cannot be used"),
    jwt.InvalidKeyError: ("unusable-key", "the provider's key for this token cannot be used"),
    jwt.PyJWTError: ("invalid", "the token is not valid"),
}


def looks_like_jwt(credential: str) -> bool:
    """Whether a bearer credential has the shape of a JWT (JWS compact serialization)."""
    return _JWT_SHAPE.fullmatch(credential) is not None


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    """Which claims say who the caller is and what they may do."""

    principal_claim: str
    scope_claim: str
    scope_prefix: str
    default_scope: Scope

    def principal(self, claims: dict[str, Any]) -> str:
        """The principal: `principal_claim`, else `sub`; refused if neither is a usable name."""
        for claim in (self.principal_claim, _FALLBACK_PRINCIPAL_CLAIM):
            name = claims.get(claim)
            if isinstance(name, str) and _usable_name(name):
                return name.strip()
        raise TokenRefusedError(
            "no-principal",
            f"the token has no usable {self.principal_claim} or {_FALLBACK_PRINCIPAL_CLAIM} claim",
        )

    def scope(self, claims: dict[str, Any]) -> Scope:
        """The highest scope the scope claim names: a string (space-separated names, as OAuth's
        `scope`) or a list (as `groups` or `roles`); entries naming no scope are ignored, and
        with none left the default scope applies."""
        value = claims.get(self.scope_claim)
        entries = value.split() if isinstance(value, str) else value
        if not isinstance(entries, list):
            return self.default_scope
        named = {self.scope_prefix + scope.value: scope for scope in Scope}
        found = [named[e] for e in entries if isinstance(e, str) and e in named]
        return max(found, key=list(Scope).index, default=self.default_scope)


def _usable_name(name: str) -> bool:
    name = name.strip()
    return 0 < len(name) <= NAME_MAX_CHARS and name.isprintable()


class OidcVerifier:
    """Checks JWTs against the provider's keys and turns them into principals."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: frozenset[str],
        leeway_seconds: float,
        claims: ClaimMapping,
        keys: JwksCache,
        http: httpx.AsyncClient,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._algorithms = algorithms
        self._leeway_seconds = leeway_seconds
        self._claims = claims
        self._keys = keys
        self._http = http

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> OidcVerifier | None:
        """The verifier the settings configure, or None when single sign-on is off."""
        if settings.oidc_issuer is None or settings.oidc_audience is None:
            return None
        http = httpx.AsyncClient(timeout=settings.oidc_http_timeout_seconds)
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            algorithms=settings.oidc_algorithm_set(),
            leeway_seconds=settings.oidc_leeway_seconds,
            claims=ClaimMapping(
                principal_claim=settings.oidc_principal_claim,
                scope_claim=settings.oidc_scope_claim,
                scope_prefix=settings.oidc_scope_prefix,
                default_scope=settings.oidc_default_scope,
            ),
            keys=JwksCache(
                http,
                issuer=settings.oidc_issuer,
                jwks_url=settings.oidc_jwks_url,
                refetch_seconds=settings.oidc_jwks_refetch_seconds,
                max_age_seconds=settings.oidc_jwks_max_age_seconds,
            ),
            http=http,
        )

    async def verify(self, token: str) -> Principal:
        """The principal a JWT names; TokenRefusedError if it is not valid here,
        IdentityProviderUnavailableError if the provider's keys cannot be fetched."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefusedError("malformed", "the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise TokenRefusedError(
                "algorithm",
                f"the token's algorithm {algorithm!r} is not allowed; "
                f"allowed: {', '.join(sorted(self._algorithms))}",
            )
        kid = header.get("kid")
        key = await self._keys.key(kid if isinstance(kid, str) else None)
        if key is None:
            raise TokenRefusedError("unknown-key", "the token is signed by a key the issuer lacks")
        try:
            # The key is bound to the token's algorithm only if it names none or that one.
            if key.get("alg", algorithm) != algorithm:
                raise jwt.InvalidAlgorithmError(algorithm)
            claims: dict[str, Any] = jwt.decode(
                token,
                jwt.PyJWK(key, algorithm=algorithm),
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.MissingRequiredClaimError as missing:
            raise TokenRefusedError(
                "missing-claim", f"the token has no {missing.claim} claim"
            ) from None
        except jwt.PyJWTError as error:
            reason, detail = next(
                _REFUSALS[kind] for kind in type(error).__mro__ if kind in _REFUSALS
            )
            raise TokenRefusedError(reason, detail) from None
        # No token id: a JWT has no stored row whose last use could be recorded.
        return Principal(name=self._claims.principal(claims), scope=self._claims.scope(claims))

    async def aclose(self) -> None:
        """Close the HTTP client that fetches the provider's keys."""
        await self._http.aclose()
