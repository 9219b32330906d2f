"""The post-mortem document over HTTP: `GET …/postmortem` with `Accept: text/markdown` tells a
reviewed incident in its sections, measured against the deployment's own cadence."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import ClientFactory, Headers, declare, post
from tests.postmortem_sections import sections

CADENCE = "P1=2m,P2=5m,P3=4h,P4=24h"  # not the default: the document must use this one


async def command(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any], action: str, body: Any
) -> dict[str, Any]:
    """Run a command that must succeed; its answer."""
    response = await post(client, headers, incident, action, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def a_reviewed_p1(
    client: httpx.AsyncClient, alice: Headers, bob: Headers, dave: Headers
) -> tuple[dict[str, Any], str]:
    """A P1 declared by alice, handed to bob with a long note, resolved and reviewed, with one
    follow-up completed and the review published; and the handover note."""
    incident = await declare(client, alice, severity="P1")
    note = "End of shift.\n" + "The rollback is prepared but not started; " * 8 + "ask dave."
    await command(
        client,
        alice,
        incident,
        "roles",
        {"role": "incident_commander", "assignee": "bob", "note": note},
    )
    await command(client, bob, incident, "tickets", {"system": "jira", "key": "OPS-7", "url": None})
    await command(
        client, bob, incident, "escalations", {"target": "database-team", "reason": "pool"}
    )
    await command(
        client, bob, incident, "updates", {"audience": "customer", "body": "We are on it."}
    )
    await command(
        client, bob, incident, "resolve", {"resolution": "restored", "summary": "rolled back"}
    )
    await command(client, bob, incident, "postmortem", {"facilitator": "dave"})
    await command(client, dave, incident, "postmortem/root-cause", {"text": "a config push"})
    added = await command(
        client,
        dave,
        incident,
        "postmortem/follow-ups",
        {"title": "Canary config pushes", "owner": "dave", "due_date": "2030-01-01"},
    )
    follow_up_id = added["follow_up_id"]
    await command(client, dave, incident, f"postmortem/follow-ups/{follow_up_id}/complete", {})
    await command(client, dave, incident, "postmortem/publish", {})
    return incident, note


async def test_the_document_tells_the_response_and_the_review_apart(
    open_client: ClientFactory, alice: Headers, bob: Headers, dave: Headers
) -> None:
    async with open_client(update_cadence=CADENCE) as client:
        incident, note = await a_reviewed_p1(client, alice, bob, dave)
        response = await client.get(
            f"/v1/incidents/{incident['id']}/postmortem",
            headers={**alice, "Accept": "text/markdown"},
        )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    found = sections(response.text)
    assert "- **Severity:** P1 (peak P1)" in found[""]
    assert "- **Incident Commander:** bob" in found[""]
    assert "- **Resolution:** restored" in found[""]
    roles = "\n".join(found["Roles and handovers"])
    assert all(f"  > {line}" in roles for line in note.splitlines()), "the note in full"
    assert found["Tickets"][2].startswith("| OPS-7 | jira |")
    assert found["Escalations"][2].endswith("| bob | database-team | pool |")
    assert found["Customer communication"][0] == "- Cadence: a customer update every 2m 00s at P1"
    assert found["Customer communication"][-1].endswith("| We are on it. |")
    timeline = "\n".join(found["Incident timeline"])
    review_log = "\n".join(found["Review log"])
    assert "linked ticket jira OPS-7" in timeline
    assert "follow-up" not in timeline
    assert "root cause" not in timeline
    assert "dave completed follow-up 'Canary config pushes'" in review_log
    assert "| Canary config pushes | dave | 2030-01-01 | done " in "\n".join(found["Follow-ups"])
