"""The identity provider's signing keys (its JWKS), fetched over HTTP and kept in memory.

The keys are fetched on first use and again when they are older than `max_age_seconds` (so a
key the provider withdrew stops working), or when a token names a key id not among them (the
provider rotated its keys). Fetches are at least `refetch_seconds` apart, failed ones too: a
flood of tokens naming random key ids, or a provider that is down, costs it one request per
interval, not one per token.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any, Final

import httpx

log = logging.getLogger(__name__)

JsonKey = dict[str, Any]

# Symmetric keys (kty "oct") are never usable: a JWKS is public, so anyone could sign with them.
_ASYMMETRIC_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP"})


class IdentityProviderUnavailableError(Exception):
    """The provider's keys could not be fetched; ask again in `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class JwksCache:
    """The provider's public signing keys by key id (`kid`), shared by every request."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        jwks_url: str | None,
        refetch_seconds: float,
        max_age_seconds: float,
    ) -> None:
        self._http = http
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._refetch_seconds = refetch_seconds
        self._max_age_seconds = max_age_seconds
        self._keys: list[JsonKey] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._attempts = 0  # fetches finished, successful or not
        self._last_failure = ""
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> JsonKey | None:
        """The key `kid` names (with no kid: the only key), or None if the provider has none.

        Raises IdentityProviderUnavailableError when the keys are needed and cannot be fetched.
        """
        if self._keys is None:
            await self._refresh(needed=True)
        elif time.monotonic() - self._fetched_at >= self._max_age_seconds:
            await self._refresh(needed=False)
        found = self._find(kid)
        if found is None and kid is not None and self._wait() == 0:
            await self._refresh(needed=True)
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> JsonKey | None:
        keys = self._keys or []
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((k for k in keys if k.get("kid") == kid), None)

    def _wait(self) -> float:
        """Seconds until another fetch is allowed (0: now)."""
        if self._attempted_at is None:
            return 0.0
        return max(0.0, self._attempted_at + self._refetch_seconds - time.monotonic())

    async def _refresh(self, *, needed: bool) -> None:
        """Fetch the keys unless a fetch was tried too recently. When `needed`, failing to
        have fresh keys raises; otherwise the keys already held are kept."""
        attempts_before = self._attempts
        async with self._lock:
            # Requests that queued behind a fetch use its result rather than fetch again.
            if self._attempts == attempts_before and self._wait() == 0:
                await self._fetch()
            if needed and self._attempts == attempts_before + 1 and self._last_failure:
                raise self._unavailable()
            if self._keys is None:
                raise self._unavailable()

    def _unavailable(self) -> IdentityProviderUnavailableError:
        retry_after = max(1, math.ceil(self._wait()))
        return IdentityProviderUnavailableError(self._last_failure, retry_after)

    async def _fetch(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            url = self._jwks_url or await self._discover()
            self._keys = _signing_keys(await self._get_json(url))
            self._jwks_url = url
            self._fetched_at = time.monotonic()
            self._last_failure = ""
            log.info("fetched %d signing keys from %s", len(self._keys), url)
        except (httpx.HTTPError, ValueError) as error:
            self._last_failure = f"{type(error).__name__}: {error}"
            kept = "keeping the keys already held" if self._keys is not None else "no keys yet"
            log.warning("could not fetch the identity provider's keys (%s); %s", error, kept)
        finally:
            # Counted once done, so a request that queued during this fetch uses its result.
            self._attempts += 1

    async def _discover(self) -> str:
        """The JWKS URL that the issuer's OpenID configuration names."""
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        configuration = await self._get_json(url)
        if configuration.get("issuer") != self._issuer:
            # OpenID Connect Discovery 1.0, 4.3: the issuer in the document must be ours.
            raise ValueError(f"{url} names issuer {configuration.get('issuer')!r}")
        jwks_uri = configuration.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError(f"{url} names no jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return document


def _signing_keys(jwks: dict[str, Any]) -> list[JsonKey]:
    """The asymmetric signature keys of a JWKS document (RFC 7517, section 5)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ValueError("the JWKS has no keys list")
    return [
        key
        for key in keys
        if isinstance(key, dict)
        and key.get("kty") in _ASYMMETRIC_KEY_TYPES
        and key.get("use", "sig") == "sig"
    ]
