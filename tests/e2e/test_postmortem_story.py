"""A realistic P1 from declaration to a published post-mortem, over real HTTP against `irm serve`;
then the Markdown document is checked section by section against the incident's events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.tokens import Scope
from tests.conftest import TokenFactory, bearer
from tests.e2e.conftest import RunningServer, irm_env, start_server
from tests.postmortem_sections import SECTIONS, sections

pytestmark = pytest.mark.slow

TITLE = "EU card payments fail at checkout"
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank")


@dataclass
class Responders:
    """Everyone's client on the running server, and the incident they work on."""

    http: httpx.AsyncClient
    tokens: dict[str, str]
    incident_id: str = ""
    position: int = 0
    follow_ups: dict[str, str] = field(default_factory=dict)

    async def declare(self, person: str, body: dict[str, Any]) -> None:
        """Declare the incident as `person`."""
        response = await self.http.post("/v1/incidents", json=body, headers=self._auth(person))
        assert response.status_code == 201, response.text
        self.incident_id = response.json()["id"]
        self.position = response.json()["position"]

    async def do(self, person: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a command on the incident as `person`; it must succeed."""
        response = await self.http.post(
            f"/v1/incidents/{self.incident_id}/{path}", json=body, headers=self._auth(person)
        )
        assert response.status_code == 200, (person, path, response.text)
        answer: dict[str, Any] = response.json()
        assert answer["position"] > self.position
        self.position = answer["position"]
        return answer

    async def get(self, path: str, **headers: str) -> httpx.Response:
        """GET as a reader."""
        response = await self.http.get(path, headers={**self._auth("viewer"), **headers})
        assert response.status_code == 200, response.text
        return response

    def _auth(self, person: str) -> dict[str, str]:
        return bearer(self.tokens[person])


async def run_the_incident(team: Responders) -> None:
    """The response: a P2 that turns out to be a P1 (and for a while looks like a P2 again), an
    IC handover, an escalation, four customer updates from the CL (the last one after the
    resolution), then resolution and closure."""
    await team.declare(
        "alice",
        {
            "title": TITLE,
            "description": "Card payments in the EU fail with 502 since the 03:00 config push",
            "criteria": ["customer_sla_at_risk", "production_workloads_affected"],
            "severity": "P2",
            "services": ["checkout", "payments"],
        },
    )
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("alice", "roles", {"role": "incident_commander", "assignee": "bob",
                            "note": "bob is primary on call"}),
        ("bob", "roles", {"role": "communications_lead", "assignee": "carol"}),
        ("carol", "updates", {"audience": "customer",
                              "body": "We are investigating failed card payments in the EU."}),
        ("bob", "severity", {"severity": "P1", "reason": "all EU card payments fail"}),
        ("bob", "escalations", {"target": "database-team",
                                "reason": "connection pool exhausted on payments-db"}),
        ("bob", "impact", {"impact": "Card payments fail at checkout",
                           "scope": "All EU tenants, about 40% of traffic"}),
        ("dave", "updates", {"audience": "internal", "body": "pool at 100% on payments-db-1"}),
        ("bob", "roles", {"role": "incident_commander", "assignee": "frank",
                          "note": "end of shift; frank has the context"}),
        ("frank", "severity", {"severity": "P2", "reason": "failover restored most payments"}),
        ("carol", "updates", {"audience": "customer",
                              "body": "Most payments succeed again; we are restoring the rest."}),
        ("frank", "severity", {"severity": "P1", "reason": "failover pool exhausted too"}),
        ("carol", "updates", {"audience": "customer",
                              "body": "A fix is being deployed for all EU card payments."}),
        ("frank", "resolve", {"resolution": "restored",
                              "summary": "Rolled back the config push; pool sizes restored"}),
        ("carol", "updates", {"audience": "customer", "body": "Payments work again. Sorry."}),
        ("frank", "close", {}),
    ]  # fmt: skip
    for person, path, body in steps:
        await team.do(person, path, body)


async def run_the_review(team: Responders) -> None:
    """The review: root cause (twice), factors, recommendations, three follow-ups of which two
    are completed and one handed on, then publication."""
    await team.do("frank", "postmortem", {"facilitator": "dave"})
    for person, path, body in [
        ("dave", "root-cause", {"text": "A config push disabled the connection pool"}),
        ("dave", "root-cause", {"text": "A config push halved the payments-db connection pool"}),
        ("dave", "contributing-factors", {"text": "Config pushes skip the canary stage",
                                          "category": "change"}),
        ("frank", "contributing-factors", {"text": "Pool alerts fire only at 100%",
                                           "category": "detection"}),
        ("dave", "contributing-factors", {"text": "The handover checklist has no DB section",
                                          "category": "process"}),
        ("dave", "recommendations", {"text": "Canary every config push"}),
        ("frank", "recommendations", {"text": "Alert on connection pool saturation early"}),
    ]:  # fmt: skip
        await team.do(person, f"postmortem/{path}", body)
    for key, title, owner, due, ticket in [
        ("canary", "Add a canary stage for config pushes", "erin", "2030-06-01", "OPS-2001"),
        ("alert", "Alert at 80% connection pool use", "bob", "2030-05-01", None),
        ("runbook", "Runbook: connection pool exhaustion", "carol", "2030-07-01", "OPS-2003"),
    ]:
        body = {"title": title, "owner": owner, "due_date": due}
        answer = await team.do("dave", "postmortem/follow-ups", {**body, "ticket": ticket})
        team.follow_ups[key] = answer["follow_up_id"]
    fid = team.follow_ups
    for person, path, body in [
        ("erin", f"{fid['canary']}/complete", {"note": "canary stage live for all pushes"}),
        ("dave", f"{fid['alert']}/complete", {}),
        ("dave", f"{fid['runbook']}/reassign", {"owner": "erin"}),
        ("erin", f"{fid['runbook']}/due-date", {"due_date": "2030-08-01",
                                               "reason": "after the DB migration"}),
    ]:  # fmt: skip
        await team.do(person, f"postmortem/follow-ups/{path}", body)
    published = await team.do("dave", "postmortem/publish", {})
    assert (published["review"]["status"], published["review"]["pending"]) == ("published", False)


async def test_a_p1_from_declaration_to_a_published_post_mortem(
    database_url: str, make_token: TokenFactory, tmp_path: Path, servers: list[RunningServer]
) -> None:
    tokens = {p: await make_token(p, Scope.WRITE) for p in PEOPLE}
    tokens["viewer"] = await make_token("viewer", Scope.READ)
    server = await asyncio.to_thread(start_server, tmp_path, irm_env(IRM_DATABASE_URL=database_url))
    servers.append(server)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as http:
        team = Responders(http, tokens)
        await run_the_incident(team)
        await run_the_review(team)
        events = (await team.get(f"/v1/incidents/{team.incident_id}/events")).json()["items"]
        markdown = await team.get(
            f"/v1/incidents/{team.incident_id}/postmortem", Accept="text/markdown"
        )
        review = (await team.get(f"/v1/incidents/{team.incident_id}/postmortem")).json()
        erins = await team.get(f"/v1/follow-ups?owner=erin&min_position={team.position}")
        listed = (await team.get(f"/v1/incidents?min_position={team.position}")).json()

    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    check_document(markdown.text, events, review["review"]["follow_ups"])
    assert [(i["title"], i["status"]) for i in erins.json()["items"]] == [
        ("Add a canary stage for config pushes", "done"),
        ("Runbook: connection pool exhaustion", "open"),
    ]
    (item,) = listed["items"]
    assert (item["severity"], item["postmortem_status"], item["review_pending"]) == (
        "P1",
        "published",
        False,
    )
    assert server.stop() == 0


# --- the document against the events ----------------------------------------------------------


def check_document(
    document: str, events: list[dict[str, Any]], follow_ups: list[dict[str, Any]]
) -> None:
    """Every section of the post-mortem, checked against the events it was made from."""
    found = sections(document)
    assert list(found) == SECTIONS
    of = Events(events)
    declared = of.first("Declared")
    reference = f"INC-{declared['data']['number']}"
    assert found[""] == [
        f"# Post-incident review: {reference} {TITLE}",
        "",
        f"- **Reference:** {reference}",
        f"- **Title:** {TITLE}",
        "- **Status:** closed",
        "- **Review:** published (required)",
        "- **Severity:** P1 (peak P1)",
        "- **Services:** checkout, payments",
        "- **Impact:** Card payments fail at checkout",
        "- **Scope:** All EU tenants, about 40% of traffic",
        "- **Resolution:** restored",
        "- **Declared by:** alice",
        "- **Owner:** alice",
        "- **Incident Commander:** frank (earlier: bob)",
        "- **Communications Lead:** carol",
        "- **Operations Lead:** none named",
        "- **Review facilitator:** dave",
    ]
    assert found["Summary"] == [
        "Card payments in the EU fail with 502 since the 03:00 config push",
        "",
        "**Resolution:** Rolled back the config push; pool sizes restored",
    ]
    check_impact_window(found["Impact window"], of)
    assert found["Severity history"] == [f"- {stamp(declared)}: declared as P2"] + [
        f"- {stamp(e)}: {e['data']['from_severity']} → {e['data']['to_severity']} "
        f"by {e['actor']}: {e['data']['reason']}"
        for e in of.all("SeverityChanged")
    ]
    assert len(found["Severity history"]) == 4
    assert found["Roles and handovers"] == [
        f"- {stamp(of.all('RoleAssigned')[0])}: alice named bob Incident Commander. "
        "Note: bob is primary on call",
        f"- {stamp(of.all('RoleAssigned')[1])}: bob named carol Communications Lead",
        f"- {stamp(of.all('RoleAssigned')[2])}: bob handed Incident Commander from bob to "
        "frank. Note: end of shift; frank has the context",
    ]
    assert found["Tickets"] == ["None linked."]
    (escalated,) = of.all("Escalated")
    assert found["Escalations"][2:] == [
        f"| {stamp(escalated)} | bob | database-team | connection pool exhausted on payments-db |"
    ]
    check_communication(found["Customer communication"], of)
    check_timeline(found["Incident timeline"], found["Review log"], events)
    assert found["Root cause"] == ["A config push halved the payments-db connection pool"]
    assert found["Contributing factors"] == [
        "**Detection**",
        "",
        "- Pool alerts fire only at 100%",
        "",
        "**Process**",
        "",
        "- The handover checklist has no DB section",
        "",
        "**Change**",
        "",
        "- Config pushes skip the canary stage",
    ]
    completed = {e["data"]["follow_up_id"]: e for e in of.all("FollowUpCompleted")}
    canary, alert, runbook = follow_ups
    assert found["Follow-ups"] == [
        "| Action | Owner | Due | Status | Ticket |",
        "|---|---|---|---|---|",
        "| Add a canary stage for config pushes | erin | 2030-06-01 "
        f"| done {stamp(completed[canary['id']])} by erin: canary stage live for all pushes "
        "| OPS-2001 |",
        f"| Alert at 80% connection pool use | bob | 2030-05-01 "
        f"| done {stamp(completed[alert['id']])} by dave | - |",
        "| Runbook: connection pool exhaustion | erin "
        "| 2030-08-01 (first due 2030-07-01, moved once) | open | OPS-2003 |",
    ]
    assert runbook["id"] not in completed
    assert found["Recommendations"] == [
        "1. Canary every config push",
        "2. Alert on connection pool saturation early",
    ]


def check_impact_window(lines: list[str], of: Events) -> None:
    """The milestones and durations, worked out from the events here."""
    declared, resolved, closed = of.first("Declared"), of.last("Resolved"), of.last("Closed")
    first_ic = next(e for e in of.all("RoleAssigned") if e["data"]["role"] == "incident_commander")
    assert lines == [
        "| Milestone | Time (UTC) | Detail |",
        "|---|---|---|",
        "| Impact started | - | not recorded |",
        "| Detected | - | not recorded |",
        f"| Declared | {stamp(declared)} | by alice |",
        f"| First Incident Commander | {stamp(first_ic)} | bob |",
        f"| Resolved | {stamp(resolved)} | restored, by frank |",
        f"| Closed | {stamp(closed)} |  |",
        "",
        "| Measure | From → to | Duration |",
        "|---|---|---|",
        "| Time to detect | impact started → detected | - |",
        "| Time to declare | detected → declared | - |",
        "| Time to acknowledge | declared → first Incident Commander "
        f"| {duration(at(first_ic) - at(declared))} |",
        f"| Time to resolve | declared → resolved | {duration(at(resolved) - at(declared))} |",
        f"| Time to close | resolved → closed | {duration(at(closed) - at(resolved))} |",
        "| Impact duration | impact started → resolved | - |",
    ]


def check_communication(lines: list[str], of: Events) -> None:
    """Each customer update with its time and the gap since the last contact; the updates were
    all posted within seconds, so each one was in time."""
    declared_at, resolved_at = at(of.first("Declared")), at(of.last("Resolved"))
    customer = [e for e in of.all("UpdatePosted") if e["data"]["audience"] == "customer"]
    assert len(customer) == 4
    in_time = ["yes" if at(e) < resolved_at else "after the resolution" for e in customer]
    contacts = [declared_at, *(at(e) for e in customer[:-1])]
    assert lines == [
        "- Cadence: a customer update every 30m 00s at P1",
        "- Customer updates: 4",
        "- Within cadence: 3 of 3 intervals (100%)",
        f"- Intervals missed (overdue reminders): {len(of.all('CustomerUpdateOverdue'))}",
        "",
        "| Time (UTC) | By | Since last contact | In time | Update |",
        "|---|---|---|---|---|",
        *(
            f"| {stamp(e)} | carol | {duration(at(e) - since)} | {kept} | {e['data']['body']} |"
            for e, since, kept in zip(customer, contacts, in_time, strict=True)
        ),
    ]


def check_timeline(table: list[str], review_log: list[str], events: list[dict[str, Any]]) -> None:
    """One row per event, in order, with its time and actor: the response in the incident
    timeline, the review in the review log; updates, escalations and severity changes say what
    they were."""
    assert table[:2] == review_log[:2] == ["| Time (UTC) | Who | What |", "|---|---|---|"]
    response = events[: next(n for n, e in enumerate(events) if e["type"] == "Closed") + 1]
    review = events[len(response) :]
    assert len(table[2:]) == len(response)
    assert len(review_log[2:]) == len(review)
    for row, event in zip(table[2:] + review_log[2:], events, strict=True):
        assert row.startswith(f"| {stamp(event)} | {event['actor']} | "), (row, event)
        data = event["data"]
        if event["type"] == "UpdatePosted":
            article = "an" if data["audience"] == "internal" else "a"
            assert f"posted {article} {data['audience']} update: {data['body']}" in row
        elif event["type"] == "Escalated":
            assert f"escalated to {data['target']}: {data['reason']}" in row
        elif event["type"] == "SeverityChanged":
            change = f"{data['from_severity']} → {data['to_severity']}: {data['reason']}"
            assert f"changed severity {change}" in row
        elif event["type"] == "RootCauseRecorded":
            assert data["text"] in row, "a superseded root cause stays in the review log"
        if "follow_up_id" in data:
            assert data["follow_up_id"][:8] not in row, "follow-ups are named by title"
    kinds = [e["type"] for e in response]
    assert (kinds.count("UpdatePosted"), kinds.count("Escalated")) == (5, 1)
    assert kinds.count("SeverityChanged") == 3


# --- reading events and the document ----------------------------------------------------------


@dataclass
class Events:
    """The incident's events as GET …/events answered them."""

    items: list[dict[str, Any]]

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every event of a type, in order."""
        return [e for e in self.items if e["type"] == kind]

    def first(self, kind: str) -> dict[str, Any]:
        """The first event of a type."""
        return self.all(kind)[0]

    def last(self, kind: str) -> dict[str, Any]:
        """The last event of a type."""
        return self.all(kind)[-1]


def at(event: dict[str, Any]) -> datetime:
    """When an event occurred."""
    return datetime.fromisoformat(event["occurred_at"]).astimezone(UTC)


def stamp(event: dict[str, Any]) -> str:
    """An event's time as the document writes it."""
    return at(event).strftime("%Y-%m-%d %H:%M:%S")


def duration(span: timedelta) -> str:
    """A duration as the document writes it: whole seconds, hours only when there are any."""
    hours, rest = divmod(int(span.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"
