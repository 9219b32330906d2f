"""The failed-login throttle follows its settings: IRM_FAILED_LOGINS_ALLOWED failures within
IRM_FAILED_LOGINS_WINDOW_SECONDS from one address, then 429; 0 allowed turns it off."""

from __future__ import annotations

import asyncio

from tests.api.conftest import ClientFactory, Headers, assert_problem
from tests.conftest import bearer

_GUESS = bearer("irm_guess-" + "x" * 30)


async def test_the_address_is_throttled_after_the_configured_number_of_failures(
    open_client: ClientFactory, carol: Headers
) -> None:
    async with open_client(failed_logins_allowed=3, failed_logins_window_seconds=1) as api:
        failures = [await api.get("/v1/incidents", headers=_GUESS) for _ in range(3)]
        throttled = await api.get("/v1/incidents", headers=carol)
        await asyncio.sleep(1.1)
        after_the_window = await api.get("/v1/incidents", headers=carol)

    assert [f.status_code for f in failures] == [401] * 3
    problem = assert_problem(throttled, 429, "too-many-failed-logins")
    assert "more than 3 failed authentications" in problem["detail"]
    assert "within 1 s" in problem["detail"]
    assert after_the_window.status_code == 200


async def test_zero_allowed_failures_turns_the_throttle_off(
    open_client: ClientFactory, carol: Headers
) -> None:
    async with open_client(failed_logins_allowed=0) as api:
        failures = [await api.get("/v1/incidents", headers=_GUESS) for _ in range(30)]
        valid = await api.get("/v1/incidents", headers=carol)

    assert {f.status_code for f in failures} == {401}
    assert valid.status_code == 200
