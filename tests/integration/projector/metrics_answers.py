"""GET /v1/metrics/incidents as the metrics tests ask it, and the figures of an answer that has
nothing to count."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.projector.conftest import FACTOR_CATEGORIES, Headers

NO_FOLLOW_UPS = {
    "total": 0,
    "completed": 0,
    "completed_on_time": 0,
    "on_time_ratio": None,
    "open": 0,
    "overdue": 0,
    "median_days_to_complete": None,
    "cancelled": 0,
}
NO_FACTORS = dict.fromkeys(FACTOR_CATEGORIES, 0)


def durations(
    count: int, mean: float | None, median: float | None, p90: float | None
) -> dict[str, float | None]:
    """A duration figure as the API answers it."""
    return {"count": count, "mean_seconds": mean, "median_seconds": median, "p90_seconds": p90}


NO_TIMES = durations(0, None, None, None)


async def metrics_answer(
    client: httpx.AsyncClient,
    headers: Headers,
    position: int,
    window: dict[str, str],
    **query: Any,
) -> dict[str, Any]:
    """The JSON metrics answer for `query` over `window`, once the read model has `position`."""
    response = await client.get(
        "/v1/metrics/incidents",
        params={**window, "min_position": position, **query},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
