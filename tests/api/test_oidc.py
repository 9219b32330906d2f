"""Single sign-on: JWTs of an OIDC provider (a real HTTP server here) beside the API tokens."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from services.incident_api.settings import ApiSettings
from shared.tokens import Scope
from tests.api.conftest import DECLARE, ClientFactory, assert_problem, declare
from tests.api.oidc_provider import (
    DISCOVERY_PATH,
    JWKS_PATH,
    IdentityProvider,
    SigningKey,
    sso,
)
from tests.conftest import TokenFactory, bearer


async def test_a_jwt_acts_as_the_principal_it_names(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = provider.token(preferred_username="erin", irm_scope="write")

    async with open_client(**sso(provider)) as http:
        incident = await declare(http, bearer(token))

    assert incident["owner"] == "erin"
    assert incident["declared_by"] == "erin"
    assert provider.requests[DISCOVERY_PATH] == 1
    assert provider.requests[JWKS_PATH] == 1


async def test_sub_names_the_principal_when_the_principal_claim_is_missing(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = provider.token(sub="user-42", irm_scope="write")

    async with open_client(**sso(provider)) as http:
        incident = await declare(http, bearer(token))

    assert incident["owner"] == "user-42"


async def test_a_configured_jwks_url_is_used_without_discovery(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    key = SigningKey.ec()
    provider.published = [key]
    token = provider.token(key, preferred_username="erin", irm_scope="write")

    async with open_client(**sso(provider, oidc_jwks_url=provider.issuer + JWKS_PATH)) as http:
        response = await http.post("/v1/incidents", json=DECLARE, headers=bearer(token))

    assert response.status_code == 201, response.text
    assert provider.requests[DISCOVERY_PATH] == 0


async def test_without_a_scope_claim_the_default_scope_only_reads(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    writer = bearer(provider.token(preferred_username="erin", irm_scope="write"))
    reader = bearer(provider.token(preferred_username="frank"))

    async with open_client(**sso(provider)) as http:
        incident = await declare(http, writer)
        refused = await http.post("/v1/incidents", json=DECLARE, headers=reader)
        events = await http.get(f"/v1/incidents/{incident['id']}/events", headers=reader)

    problem = assert_problem(refused, 403, "insufficient-scope")
    assert problem["detail"] == "needs scope write; the token has read"
    assert events.status_code == 200, events.text


async def test_a_groups_claim_with_a_prefix_grants_the_highest_scope_it_names(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    settings = sso(provider, oidc_scope_claim="groups", oidc_scope_prefix="irm:")
    admin = bearer(provider.token(groups=["staff", "irm:read", "irm:admin"]))
    unprefixed = bearer(provider.token(groups=["admin", "write"]))

    async with open_client(**settings) as http:
        listed = await http.get("/v1/tokens", headers=admin)
        refused = await http.post("/v1/incidents", json=DECLARE, headers=unprefixed)

    assert listed.status_code == 200, listed.text
    assert_problem(refused, 403, "insufficient-scope")


def _hour_from_now(sign: int) -> int:
    return int(time.time()) + sign * 3_600


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"exp": _hour_from_now(-1)}, "the token has expired"),
        ({"nbf": _hour_from_now(+1)}, "the token is not valid yet (nbf or iat)"),
        ({"aud": "another-api"}, "the token is not meant for this API (aud)"),
        ({"iss": "https://impostor.example"}, "the token comes from another issuer (iss)"),
        ({"exp": None}, "the token has no exp claim"),
        ({"sub": None}, "the token has no usable preferred_username or sub claim"),
    ],
    ids=["expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "no-expiry", "no-name"],
)
async def test_a_jwt_with_wrong_claims_is_401(
    open_client: ClientFactory, provider: IdentityProvider, claims: dict[str, Any], detail: str
) -> None:
    token = provider.token(irm_scope="write", **claims)

    async with open_client(**sso(provider)) as http:
        response = await http.post("/v1/incidents", json=DECLARE, headers=bearer(token))

    problem = assert_problem(response, 401, "unauthorized")
    assert problem["detail"] == detail
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_jwt_signed_by_another_key_is_401(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    impostor = SigningKey.rsa()
    # The same kid as the published key, but not its private half.
    same_kid = SigningKey(impostor.private, "RS256", kid=provider.key.kid)
    forged = provider.token(same_kid, irm_scope="admin")
    unknown = provider.token(impostor, irm_scope="admin")

    async with open_client(**sso(provider)) as http:
        bad_signature = await http.get("/v1/tokens", headers=bearer(forged))
        unknown_key = await http.get("/v1/tokens", headers=bearer(unknown))

    assert assert_problem(bad_signature, 401, "unauthorized")["detail"] == (
        "the token's signature does not verify"
    )
    assert assert_problem(unknown_key, 401, "unauthorized")["detail"] == (
        "the token is signed by a key the issuer lacks"
    )


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
async def test_a_jwt_without_a_public_key_signature_is_401(
    open_client: ClientFactory, provider: IdentityProvider, algorithm: str
) -> None:
    # HS256 keyed with the published public key: what a verifier trusting the header would take.
    token = provider.forged(algorithm, provider.key.public_pem(), irm_scope="admin")

    async with open_client(**sso(provider)) as http:
        response = await http.get("/v1/tokens", headers=bearer(token))

    problem = assert_problem(response, 401, "unauthorized")
    assert problem["detail"].startswith(f"the token's algorithm '{algorithm}' is not allowed")


async def test_rotated_keys_are_fetched_again_and_the_withdrawn_key_stops_working(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    old, new = provider.key, SigningKey.ec()
    old_token = provider.token(old, preferred_username="erin", irm_scope="write")
    new_token = provider.token(new, preferred_username="erin", irm_scope="write")

    async with open_client(**sso(provider, oidc_jwks_refetch_seconds=0)) as http:
        before = await http.post("/v1/incidents", json=DECLARE, headers=bearer(old_token))
        provider.published = [new]
        after = await http.post("/v1/incidents", json=DECLARE, headers=bearer(new_token))
        withdrawn = await http.post("/v1/incidents", json=DECLARE, headers=bearer(old_token))

    assert before.status_code == 201, before.text
    assert after.status_code == 201, after.text
    assert_problem(withdrawn, 401, "unauthorized")
    assert provider.requests[JWKS_PATH] == 3  # once at first, then for each unknown kid


async def test_a_key_the_provider_withdrew_stops_working_once_the_keys_are_old(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = bearer(provider.token(preferred_username="erin", irm_scope="write"))
    # Max age 0: the keys are fetched again on every request (none is rate-limited away).
    settings = sso(provider, oidc_jwks_max_age_seconds=0, oidc_jwks_refetch_seconds=0)

    async with open_client(**settings) as http:
        before = await http.post("/v1/incidents", json=DECLARE, headers=token)
        provider.published = [SigningKey.ec()]
        withdrawn = await http.post("/v1/incidents", json=DECLARE, headers=token)

    assert before.status_code == 201, before.text
    assert_problem(withdrawn, 401, "unauthorized")


async def test_concurrent_first_requests_share_one_fetch(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = bearer(provider.token(irm_scope="admin"))

    async with open_client(**sso(provider, oidc_jwks_refetch_seconds=0)) as http:
        answers = await asyncio.gather(*(http.get("/v1/tokens", headers=token) for _ in range(10)))

    assert [response.status_code for response in answers] == [200] * 10
    assert provider.requests[JWKS_PATH] == 1


async def test_tokens_naming_random_keys_do_not_hammer_the_provider(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    strangers = [SigningKey(provider.key.private, "RS256", kid=uuid.uuid4().hex) for _ in range(5)]

    async with open_client(**sso(provider, oidc_jwks_refetch_seconds=3_600)) as http:
        answers = [
            await http.get("/v1/tokens", headers=bearer(provider.token(key))) for key in strangers
        ]

    for response in answers:
        assert_problem(response, 401, "unauthorized")
    assert provider.requests[JWKS_PATH] == 1


async def test_a_provider_that_is_down_answers_503_until_it_is_back(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = bearer(provider.token(preferred_username="erin", irm_scope="write"))
    await provider.stop()

    async with open_client(**sso(provider, oidc_jwks_refetch_seconds=0)) as http:
        down = await http.post("/v1/incidents", json=DECLARE, headers=token)
        await provider.start()
        back = await http.post("/v1/incidents", json=DECLARE, headers=token)

    assert_problem(down, 503, "identity-provider-unavailable")
    assert int(down.headers["Retry-After"]) >= 1
    assert back.status_code == 201, back.text


async def test_a_broken_provider_is_asked_once_per_interval(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    provider.failing = True
    token = bearer(provider.token(irm_scope="write"))

    async with open_client(**sso(provider, oidc_jwks_refetch_seconds=3_600)) as http:
        answers = [await http.get("/v1/tokens", headers=token) for _ in range(3)]

    for response in answers:
        assert_problem(response, 503, "identity-provider-unavailable")
        assert int(response.headers["Retry-After"]) >= 1
    assert provider.requests[DISCOVERY_PATH] == 1


async def test_api_tokens_keep_working_beside_jwts(
    open_client: ClientFactory, provider: IdentityProvider, make_token: TokenFactory
) -> None:
    api_token = bearer(await make_token("alice", Scope.WRITE))

    async with open_client(**sso(provider)) as http:
        incident = await declare(http, api_token)
        unknown = await http.post(
            "/v1/incidents", json=DECLARE, headers=bearer("irm_not-a-real-token")
        )

    assert incident["owner"] == "alice"
    assert_problem(unknown, 401, "unauthorized")
    assert provider.requests[JWKS_PATH] == 0


async def test_refused_jwts_count_as_failed_logins(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    expired = bearer(provider.token(exp=_hour_from_now(-1)))
    valid = bearer(provider.token(irm_scope="write"))

    async with open_client(**sso(provider, failed_logins_allowed=3)) as http:
        for _ in range(3):
            assert (await http.get("/v1/tokens", headers=expired)).status_code == 401
        throttled = await http.post("/v1/incidents", json=DECLARE, headers=valid)

    assert_problem(throttled, 429, "too-many-failed-logins")


async def test_without_oidc_settings_a_jwt_is_just_an_unknown_token(
    open_client: ClientFactory, provider: IdentityProvider
) -> None:
    token = bearer(provider.token(irm_scope="write"))

    async with open_client() as http:
        response = await http.post("/v1/incidents", json=DECLARE, headers=token)

    assert assert_problem(response, 401, "unauthorized")["detail"] == "the token is not valid"
    assert sum(provider.requests.values()) == 0


def test_symmetric_algorithms_cannot_be_allowed() -> None:
    with pytest.raises(ValidationError, match="not allowed: HS256"):
        ApiSettings(oidc_algorithms="RS256,HS256")
    with pytest.raises(ValidationError, match="set both oidc_issuer and oidc_audience"):
        ApiSettings(oidc_issuer="https://login.example")
