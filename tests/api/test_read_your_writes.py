"""A client that got a 2xx from a command reads its write from the same API process, without
passing `min_position`: the API remembers what it appended and a read waits for the projector
to have it. The API and the projector run in one process, as `irm serve` runs them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import ClientFactory, Headers, assert_problem, declare, post

PAIRS = 200


async def test_every_declare_is_found_by_the_next_read(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    misses: list[tuple[str, int]] = []
    for n in range(PAIRS):
        declared = await declare(client, alice, title=f"Pair {n}")
        response = await client.get(f"/v1/incidents/{declared['id']}", headers=alice)
        if response.status_code != 200 or response.json()["version"] != declared["version"]:
            misses.append((declared["reference"], response.status_code))

    assert misses == []


async def test_a_command_is_seen_by_the_read_the_list_and_the_timeline(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    for n in range(20):
        incident = await declare(client, alice, severity="P3", title=f"Escalating {n}")
        changed = await post(
            client, alice, incident, "severity", {"severity": "P1", "reason": "spreading"}
        )
        assert changed.status_code == 200, changed.text

        one = await client.get(f"/v1/incidents/{incident['id']}", headers=alice)
        timeline = await client.get(f"/v1/incidents/{incident['id']}/timeline", headers=alice)
        listed = await client.get(
            "/v1/incidents", params={"severity": "P1", "q": f"Escalating {n}"}, headers=alice
        )

        assert one.json()["severity"] == "P1"
        assert one.headers["ETag"] == changed.headers["ETag"]
        assert [e["version"] for e in timeline.json()["items"]] == [1, 2]
        assert [i["id"] for i in listed.json()["items"]] == [incident["id"]]


async def test_another_reader_of_the_same_process_sees_it_too(
    client: httpx.AsyncClient, alice: Headers, carol: Headers
) -> None:
    declared = await declare(client, alice)

    response = await client.get(f"/v1/incidents/{declared['id']}", headers=carol)

    assert response.status_code == 200, response.text


async def test_without_a_projector_the_read_answers_read_model_behind_not_a_stale_404(
    open_client: ClientFactory, alice: Headers
) -> None:
    async with open_client(read_wait_seconds=0.1) as lonely:
        declared = await declare(lonely, alice)

        response = await lonely.get(f"/v1/incidents/{declared['id']}", headers=alice)

    problem = assert_problem(response, 503, "read-model-behind")
    assert problem["min_position"] == declared["position"]
    assert response.headers["Retry-After"] == "1"


async def test_a_replica_that_wrote_nothing_does_not_wait_for_another_ones_writes(
    open_client: ClientFactory, alice: Headers
) -> None:
    # No projector runs: the writer's own reads would wait; the other replica answers at once
    # from the read model as it is, and min_position is how its client asks for more.
    async with open_client() as writer, open_client(read_wait_seconds=0.1) as other:
        declared: dict[str, Any] = await declare(writer, alice)

        listed = await other.get("/v1/incidents", headers=alice)
        asked = await other.get(
            f"/v1/incidents/{declared['id']}",
            params={"min_position": declared["position"]},
            headers=alice,
        )

    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert_problem(asked, 503, "read-model-behind")
