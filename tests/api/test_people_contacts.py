"""People's time zones and contact methods (issue 12): an admin sets them, anyone reads them;
a webhook method's signing secret is shown once; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.api.conftest import Headers
from tests.problems import assert_problem

HOOK = "http://127.0.0.1:9/pages/ines"  # the api fixture allows loopback targets


async def add_ines(api: httpx.AsyncClient, root: Headers, **fields: Any) -> dict[str, Any]:
    """Add ines with a time zone, an email and a webhook; the 201's body."""
    body = {
        "handle": "ines",
        "display_name": "Ines",
        "time_zone": "Europe/Berlin",
        "contact_methods": [
            {"type": "webhook", "url": HOOK},
            {"type": "email", "address": "ines@example.com"},
        ],
        **fields,
    }
    response = await api.post("/v1/people", json=body, headers=root)
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


async def test_a_person_is_added_with_how_to_reach_them_and_the_secret_is_shown_once(
    api: httpx.AsyncClient, root: Headers, carol: Headers
) -> None:
    added = await add_ines(api, root)
    read = await api.get("/v1/people/ines", headers=carol)
    listed = await api.get("/v1/people", headers=carol)

    assert added["time_zone"] == "Europe/Berlin"
    webhook, email = added["contact_methods"]
    assert (webhook["type"], webhook["url"], webhook["address"]) == ("webhook", HOOK, None)
    assert webhook["secret"].startswith("whsec_")
    assert (email["type"], email["address"], email["secret"]) == ("email", "ines@example.com", None)
    assert read.status_code == 200, read.text
    assert [m["id"] for m in read.json()["contact_methods"]] == [webhook["id"], email["id"]]
    assert [m["secret"] for m in read.json()["contact_methods"]] == [None, None]
    [ines] = [p for p in listed.json()["items"] if p["handle"] == "ines"]
    assert ines == read.json()


async def test_patch_replaces_the_methods_and_a_kept_webhook_keeps_its_secret(
    api: httpx.AsyncClient, root: Headers, pool: asyncpg.Pool
) -> None:
    added = await add_ines(api, root)
    webhook = added["contact_methods"][0]
    stored_secret = await pool.fetchval(
        "SELECT secret FROM irm_contact_methods WHERE id = $1", webhook["id"]
    )
    other = "http://127.0.0.1:9/pages/ines-phone"

    changed = await api.patch(
        "/v1/people/ines",
        json={
            "time_zone": "America/New_York",
            "contact_methods": [
                {"type": "email", "address": "ines@example.org"},
                {"type": "webhook", "url": HOOK},
                {"type": "webhook", "url": other},
            ],
        },
        headers=root,
    )

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["display_name"], body["time_zone"]) == ("Ines", "America/New_York")
    email, kept, new = body["contact_methods"]
    assert email["address"] == "ines@example.org"
    assert (kept["id"], kept["secret"]) == (webhook["id"], None)
    assert new["url"] == other
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != stored_secret
    assert stored_secret == await pool.fetchval(
        "SELECT secret FROM irm_contact_methods WHERE id = $1", webhook["id"]
    )
    assert await pool.fetchval("SELECT count(*) FROM irm_contact_methods") == 3


async def test_patch_clears_with_null_and_leaves_what_it_does_not_name(
    api: httpx.AsyncClient, root: Headers
) -> None:
    added = await add_ines(api, root)

    cleared = await api.patch("/v1/people/ines", json={"display_name": None}, headers=root)
    emptied = await api.patch("/v1/people/ines", json={"contact_methods": []}, headers=root)

    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["display_name"] is None
    assert cleared.json()["time_zone"] == "Europe/Berlin"
    assert [m["id"] for m in cleared.json()["contact_methods"]] == [
        m["id"] for m in added["contact_methods"]
    ]
    assert emptied.json()["contact_methods"] == []


async def test_refused_changes_change_nothing(
    api: httpx.AsyncClient, root: Headers, alice: Headers
) -> None:
    before = await add_ines(api, root)
    before["contact_methods"][0]["secret"] = None  # shown once, in the 201 only

    writer = await api.patch("/v1/people/ines", json={"time_zone": "UTC"}, headers=alice)
    zone = await api.patch("/v1/people/ines", json={"time_zone": "Mars/Olympus"}, headers=root)
    internal = await api.patch(
        "/v1/people/ines",
        json={
            "time_zone": "UTC",
            "contact_methods": [{"type": "webhook", "url": "http://10.1.2.3/"}],
        },
        headers=root,
    )
    email = await api.patch(
        "/v1/people/ines",
        json={"contact_methods": [{"type": "email", "address": "ines at example"}]},
        headers=root,
    )
    null = await api.patch(
        "/v1/people/ines", json={"time_zone": "UTC", "contact_methods": None}, headers=root
    )
    unknown_type = await api.patch(
        "/v1/people/ines", json={"contact_methods": [{"type": "sms", "number": "1"}]}, headers=root
    )
    nobody = await api.patch("/v1/people/mallory", json={"time_zone": "UTC"}, headers=root)
    after = await api.get("/v1/people/ines", headers=root)

    assert_problem(writer, 403, "insufficient-scope")
    assert_problem(zone, 422, "validation-error")
    assert_problem(internal, 422, "unsafe-url")
    assert_problem(email, 422, "validation-error")
    problem = assert_problem(null, 422, "validation-error")
    assert problem["field"] == "contact_methods"
    assert_problem(unknown_type, 422, "validation-error")
    assert_problem(nobody, 404, "person-not-found")
    assert after.json() == before


async def test_a_new_person_with_an_unsafe_webhook_is_not_added(
    client: httpx.AsyncClient, root: Headers
) -> None:
    # The default API allows no internal targets: a loopback URL is refused before any write.
    refused = await client.post(
        "/v1/people",
        json={"handle": "ines", "contact_methods": [{"type": "webhook", "url": HOOK}]},
        headers=root,
    )
    after = await client.get("/v1/people/ines", headers=root)

    assert_problem(refused, 422, "unsafe-url")
    assert_problem(after, 404, "person-not-found")
