"""What the subscription API tests share: a loopback receiver URL and a subscribe helper.

No notifier runs in these tests unless one says so, so RECEIVER is never contacted.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Headers

ALLOWED = "127.0.0.0/8,::1"
RECEIVER = "http://127.0.0.1:9/hooks"


async def subscribe(api: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    """Create a subscription to RECEIVER (with `fields` changed) and return the 201's body."""
    response = await api.post(
        "/v1/subscriptions", json={"url": RECEIVER, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def log_of(
    api: httpx.AsyncClient, headers: Headers, subscription_id: str, **params: Any
) -> list[dict[str, Any]]:
    """Every delivery of a subscription, oldest first, following the log's pages."""
    items: list[dict[str, Any]] = []
    while True:
        response = await api.get(
            f"/v1/subscriptions/{subscription_id}/deliveries", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_before"] is None:
            return items[::-1]
        params = {**params, "before": page["next_before"]}
