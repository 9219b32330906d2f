"""Hostile input to the alert intake (issue 16's rules for every text): a NUL or another control
character in a routing rule, or anywhere in a notification, never answers 500. A rule is refused
with a problem naming the field; a notification is stored as it arrived, and what irm cannot
hold as text is either refused as malformed or recorded in a form PostgreSQL's `text` holds."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import Headers, events_of
from tests.api.test_alert_intake import an_integration, payload
from tests.problems import assert_problem


def firing_with(**changes: str) -> dict[str, Any]:
    """The firing fixture with some of its texts replaced (`group_key`, `label`, `summary`), or
    a label named `bad_label` added whose value is not even text."""
    body: dict[str, Any] = json.loads(payload("alertmanager_firing.json"))
    if "bad_label" in changes:
        body["alerts"][0]["labels"][changes["bad_label"]] = 5
    if "group_key" in changes:
        body["groupKey"] = changes["group_key"]
    if "label" in changes:
        body["alerts"][0]["labels"]["instance"] = changes["label"]
    if "service" in changes:
        for alert in body["alerts"]:
            alert["labels"]["service"] = changes["service"]
        body["commonLabels"]["service"] = changes["service"]
    if "summary" in changes:
        body["alerts"][0]["annotations"]["summary"] = changes["summary"]
    return body


@pytest.mark.parametrize("where", ["key", "value"])
async def test_a_rule_with_a_control_character_is_refused_naming_it(
    client: httpx.AsyncClient, root: Headers, where: str
) -> None:
    match = {"team\x00": "payments"} if where == "key" else {"team": "pay\x00ments"}

    answer = await client.post(
        "/v1/integrations",
        json={"type": "alertmanager", "name": "prod", "rules": [{"match": match}]},
        headers=root,
    )

    problem = assert_problem(answer, 422, "validation-error")
    assert problem["field"].startswith("rules.0.match")
    assert (await client.get("/v1/integrations", headers=root)).json()["items"] == []


@pytest.mark.parametrize("field", ["group_key", "label", "summary", "bad_label", "service"])
async def test_a_notification_with_a_nul_never_answers_500_and_is_kept(
    client: httpx.AsyncClient, root: Headers, field: str
) -> None:
    created = await an_integration(client, root)
    key = created["key"]

    answer = await client.post(
        "/v1/integrations/alertmanager",
        json=firing_with(**{field: "a\x00b\x1bc"}),
        headers={"Authorization": f"Bearer {key}"},
    )

    deliveries = await client.get(f"/v1/integrations/{created['id']}/deliveries", headers=root)
    assert deliveries.status_code == 200, deliveries.text
    [delivery] = deliveries.json()["items"]
    if field in ("group_key", "bad_label"):
        assert_problem(answer, 400, "malformed-payload")
        assert delivery["outcome"] == "malformed"
    else:
        assert delivery["outcome"] == "declared"
        events = await events_of(client, root, answer.json()["incident_id"])
        assert [e["type"] for e in events] == ["Declared", "AlertAttached"]
