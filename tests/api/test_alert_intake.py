"""Alert intake from Alertmanager (issue 12): an admin creates an integration and its key; the
payloads Alertmanager sends (tests/fixtures/alerts/) declare an incident, attach and resolve
alerts on it and prompt the IC, each payload stored as it arrived with its outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Headers, events_of
from tests.problems import assert_problem

ALERTS = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"


def payload(name: str) -> bytes:
    """A fixture payload's bytes, exactly as checked in."""
    return (ALERTS / name).read_bytes()


async def an_integration(
    client: httpx.AsyncClient, root: Headers, type_: str = "alertmanager", **fields: Any
) -> dict[str, Any]:
    """A new integration's answer, key included."""
    response = await client.post(
        "/v1/integrations", json={"type": type_, "name": f"{type_}-prod", **fields}, headers=root
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def send(
    client: httpx.AsyncClient, key: str, name: str, *, type_: str = "alertmanager"
) -> httpx.Response:
    """POST a fixture payload as its sender does, with the key as a bearer token."""
    return await client.post(
        f"/v1/integrations/{type_}",
        content=payload(name),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_the_key_is_shown_once_and_the_integration_is_read_without_it(
    client: httpx.AsyncClient, root: Headers, carol: Headers
) -> None:
    created = await an_integration(client, root)
    assert created["key"].startswith("irmi_")
    assert created["type"] == "alertmanager"

    one = await client.get(f"/v1/integrations/{created['id']}", headers=root)
    listed = await client.get("/v1/integrations", headers=root)

    assert one.status_code == 200
    assert "key" not in one.json()
    assert [i["id"] for i in listed.json()["items"]] == [created["id"]]
    assert "key" not in listed.json()["items"][0]
    assert_problem(await client.get("/v1/integrations", headers=carol), 403, "insufficient-scope")


async def test_a_firing_group_declares_an_incident_from_its_labels(
    client: httpx.AsyncClient, root: Headers
) -> None:
    key = (await an_integration(client, root))["key"]

    answer = await send(client, key, "alertmanager_firing.json")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["outcome"] == "declared"
    assert body["events"] == ["Declared", "AlertAttached"]
    events = await events_of(client, root, body["incident_id"])
    assert types(events) == ["Declared", "AlertAttached"]
    declared = events[0]["data"]
    assert declared["title"] == "CheckoutHighErrorRate: Checkout error rate above 5%"
    assert declared["severity"] == "P1"
    assert declared["services"] == ["checkout"]
    assert declared["criteria"] == ["production_workloads_affected"]
    assert events[1]["data"]["fingerprint"] == "2f6b3c8a1e0d9f47"
    assert events[1]["actor"] == "integration:alertmanager-prod"


async def test_the_same_payload_again_records_nothing(
    client: httpx.AsyncClient, root: Headers
) -> None:
    created = await an_integration(client, root)
    first = (await send(client, created["key"], "alertmanager_firing.json")).json()

    again = await send(client, created["key"], "alertmanager_firing.json")

    assert again.json()["outcome"] == "unchanged"
    assert again.json()["incident_id"] == first["incident_id"]
    assert types(await events_of(client, root, first["incident_id"])) == [
        "Declared",
        "AlertAttached",
    ]
    deliveries = await client.get(f"/v1/integrations/{created['id']}/deliveries", headers=root)
    assert [d["outcome"] for d in deliveries.json()["items"]] == ["unchanged", "declared"]


async def test_a_group_attaches_new_alerts_resolves_them_and_prompts_the_ic_once(
    client: httpx.AsyncClient, root: Headers
) -> None:
    key = (await an_integration(client, root))["key"]
    incident = (await send(client, key, "alertmanager_firing.json")).json()["incident_id"]

    grouped = (await send(client, key, "alertmanager_grouped_firing.json")).json()
    one_resolved = (await send(client, key, "alertmanager_grouped_one_resolved.json")).json()
    all_resolved = (await send(client, key, "alertmanager_grouped_resolved.json")).json()
    again = (await send(client, key, "alertmanager_grouped_resolved.json")).json()

    assert {grouped["incident_id"], one_resolved["incident_id"]} == {incident}
    assert grouped["events"] == ["AlertAttached"]
    assert one_resolved["events"] == ["AlertResolved"]
    assert all_resolved["events"] == ["AlertResolved", "AlertsAllResolved"]
    assert again["outcome"] == "unchanged"
    events = await events_of(client, root, incident)
    assert types(events) == [
        "Declared",
        "AlertAttached",
        "AlertAttached",
        "AlertResolved",
        "AlertResolved",
        "AlertsAllResolved",
    ]
    assert events[-1]["data"]["alerts"] == 2
    # The prompt leaves the decision to the IC: the incident is still open.
    view = await client.get(
        f"/v1/incidents/{incident}",
        params={"min_position": all_resolved["position"]},
        headers=root,
    )
    assert view.json()["status"] == "open"


async def test_once_its_incident_is_resolved_a_new_firing_declares_another(
    client: httpx.AsyncClient, root: Headers
) -> None:
    key = (await an_integration(client, root))["key"]
    first = (await send(client, key, "alertmanager_firing.json")).json()
    resolved = await client.post(
        f"/v1/incidents/{first['incident_id']}/resolve",
        json={"resolution": "restored", "summary": "rolled back"},
        headers=root,
    )
    assert resolved.status_code == 200, resolved.text

    still_firing = (await send(client, key, "alertmanager_firing.json")).json()
    another = (await send(client, key, "alertmanager_grouped_firing.json")).json()

    assert still_firing["outcome"] == "unchanged"
    assert another["outcome"] == "declared"
    assert another["incident_id"] != first["incident_id"]
    assert types(await events_of(client, root, another["incident_id"])) == [
        "Declared",
        "AlertAttached",
        "AlertAttached",
    ]


async def test_a_malformed_payload_is_a_400_problem_and_stays_stored(
    client: httpx.AsyncClient, root: Headers
) -> None:
    created = await an_integration(client, root)
    headers = {"Authorization": f"Bearer {created['key']}", "Content-Type": "application/json"}
    broken = b'{"version": "4", "status": "firing", "alerts": []'
    wrong = b'{"version": "3", "groupKey": "g", "status": "firing", "alerts": []}'

    not_json = await client.post("/v1/integrations/alertmanager", content=broken, headers=headers)
    not_v4 = await client.post("/v1/integrations/alertmanager", content=wrong, headers=headers)

    assert_problem(not_json, 400, "malformed-payload")
    assert_problem(not_v4, 400, "malformed-payload")
    deliveries = await client.get(f"/v1/integrations/{created['id']}/deliveries", headers=root)
    items = deliveries.json()["items"]
    assert [(d["outcome"], d["body"]) for d in items] == [
        ("malformed", wrong.decode()),
        ("malformed", broken.decode()),
    ]
    assert "version" in items[0]["detail"]["error"]
    assert not_v4.json()["errors"][0] == {
        "field": "version",
        "message": "Input should be '4'",
        "code": "literal_error",
    }


async def test_the_key_comes_as_a_bearer_token_or_a_query_parameter_and_nothing_else(
    client: httpx.AsyncClient, root: Headers, pool: Any
) -> None:
    created = await an_integration(client, root)
    grafana = await an_integration(client, root, "grafana")
    body = payload("alertmanager_firing.json")
    json_type = {"Content-Type": "application/json"}

    by_query = await client.post(
        "/v1/integrations/alertmanager",
        params={"key": created["key"]},
        content=body,
        headers=json_type,
    )
    no_key = await client.post("/v1/integrations/alertmanager", content=body, headers=json_type)
    admin_token = await client.post(
        "/v1/integrations/alertmanager", content=body, headers={**root, **json_type}
    )
    other_type = await send(client, grafana["key"], "alertmanager_firing.json")

    assert by_query.json()["outcome"] == "declared"
    for refused in (no_key, admin_token, other_type):
        assert_problem(refused, 401, "unauthorized")
    assert await pool.fetchval("SELECT count(*) FROM irm_alert_deliveries") == 1


async def test_a_rule_routes_by_labels_and_one_that_only_pages_declares_nothing(
    client: httpx.AsyncClient, root: Headers
) -> None:
    rules = [
        {"match": {"severity": "critical", "job": "batch"}, "action": "page"},
        {
            "match": {"service": "checkout"},
            "service": "storefront",
            "severity": "P2",
            "criteria": ["customer_sla_at_risk"],
        },
    ]
    created = await an_integration(client, root, rules=rules)

    answer = (await send(client, created["key"], "alertmanager_firing.json")).json()

    events = await events_of(client, root, answer["incident_id"])
    declared = events[0]["data"]
    assert (declared["services"], declared["severity"], declared["criteria"]) == (
        ["storefront"],
        "P2",
        ["customer_sla_at_risk"],
    )
    pager = await an_integration(
        client, root, rules=[{"match": {"job": "checkout"}, "action": "page"}]
    )
    paged = (await send(client, pager["key"], "alertmanager_firing.json")).json()
    assert (paged["outcome"], paged["incident_id"]) == ("page-only", None)
    assert "not built" in paged["note"]


async def test_grafana_declares_from_its_payload_and_records_the_resolution(
    client: httpx.AsyncClient, root: Headers
) -> None:
    key = (await an_integration(client, root, "grafana"))["key"]

    firing = (await send(client, key, "grafana_firing.json", type_="grafana")).json()
    resolved = (await send(client, key, "grafana_resolved.json", type_="grafana")).json()

    assert firing["outcome"] == "declared"
    assert resolved["incident_id"] == firing["incident_id"]
    assert resolved["events"] == ["AlertResolved", "AlertsAllResolved"]
    declared = (await events_of(client, root, firing["incident_id"]))[0]["data"]
    assert declared["title"] == "High memory usage: Payments workers near their memory limit"
    assert (declared["severity"], declared["services"]) == ("P3", ["payments"])
