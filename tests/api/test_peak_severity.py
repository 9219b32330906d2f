"""The peak severity: the highest an incident has had, which the review rules and the metrics
follow, so a P1 downgraded before it closes is still counted and reviewed as a P1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.conftest import RESOLVE, Headers, declare, post, read


async def downgraded_p1(client: httpx.AsyncClient, alice: Headers) -> dict[str, Any]:
    """A P1 downgraded to P3 and closed; the close's answer."""
    incident = await declare(client, alice, severity="P1")
    for action, body in (
        ("severity", {"severity": "P3", "reason": "one region only"}),
        ("resolve", RESOLVE),
        ("close", None),
    ):
        response = await post(client, alice, incident, action, body)
        assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_downgraded_p1_keeps_its_peak_and_still_needs_a_review(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    closed = await downgraded_p1(client, alice)

    assert (closed["severity"], closed["peak_severity"]) == ("P3", "P1")
    view = (await read(client, alice, closed)).json()
    assert (view["severity"], view["peak_severity"]) == ("P3", "P1")
    assert (view["postmortem_required"], view["review_pending"]) == (True, True)
    markdown = await client.get(
        f"/v1/incidents/{closed['id']}/postmortem",
        headers={**alice, "Accept": "text/markdown"},
    )
    assert markdown.status_code == 200, markdown.text
    assert "- **Severity:** P3 (peak P1)\n" in markdown.text
    assert "- **Review:** not started (required, pending)\n" in markdown.text


async def test_metrics_count_the_peak_by_default_and_the_current_severity_on_request(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    since = (datetime.now(tz=UTC) - timedelta(minutes=1)).isoformat()
    closed = await downgraded_p1(client, alice)
    window = {"since": since, "min_position": closed["position"]}

    async def metrics(**params: str) -> dict[str, Any]:
        response = await client.get(
            "/v1/metrics/incidents", params={**window, **params}, headers=alice
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    by_peak, by_current = await metrics(), await metrics(severity_basis="current")
    assert (by_peak["severity_basis"], by_current["severity_basis"]) == ("peak", "current")
    assert (by_peak["by_severity"]["P1"], by_peak["by_severity"]["P3"]) == (1, 0)
    assert (by_current["by_severity"]["P1"], by_current["by_severity"]["P3"]) == (0, 1)
    assert (await metrics(severity="P1"))["incidents"] == 1
    assert (await metrics(severity="P1", severity_basis="current"))["incidents"] == 0
    assert (await metrics(severity="P3", severity_basis="current"))["incidents"] == 1
