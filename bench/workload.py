"""Realistic incident histories, driven through the aggregate's own commands.

A long incident is mostly internal updates, with role handovers, severity changes, customer
updates, escalations and impact assessments in between; every command is issued by someone
allowed to issue it, so each records exactly one event. Seeded, so runs are comparable.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from shared.domain.incident import Incident
from shared.domain.values import Actor, Role, Severity

Events = Sequence[DomainEventProtocol[UUID]]
"""Pending events of an incident, as `collect_events` hands them over."""

PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank")
_VOCABULARY = (
    "checkout latency error rate p99 rollback canary deploy region eu-west us-east database "
    "replica lag connection pool saturated retries timeout queue backlog cache miss hit ratio "
    "mitigation customers affected traffic shifted failover dashboard alert pager on-call "
    "investigating root cause suspected config change feature flag disabled recovering stable"
)
_WORDS = _VOCABULARY.split()

# (command, weight): what fills the log of a long-running incident.
_MIX = (
    ("internal_update", 55),
    ("customer_update", 10),
    ("role_handover", 12),
    ("severity_change", 10),
    ("impact", 6),
    ("escalation", 6),
    ("ticket", 1),
)


def declare(number: int) -> Incident:
    """A freshly declared P2 incident owned by alice, its Declared event pending."""
    return Incident.declare(
        actor=Actor(principal="alice"),
        number=number,
        title=f"Checkout returns 500 for EU customers ({number})",
        description="Error rate on checkout-api above 5% since the 14:02 deploy.",
        criteria=["customer_sla_at_risk", "production_workloads_affected"],
        severity="P2",
        services=["checkout-api", "payments"],
    )


class Script:
    """Issues realistic commands on one incident, each recording one pending event."""

    def __init__(self, incident: Incident, *, seed: int) -> None:
        self._incident = incident
        self._rng = random.Random(seed)
        self._tickets = 0
        names, weights = zip(*_MIX, strict=True)
        self._names: tuple[str, ...] = names
        self._weights: tuple[int, ...] = weights

    def run(self, commands: int) -> None:
        """Issue `commands` commands."""
        for _ in range(commands):
            (name,) = self._rng.choices(self._names, self._weights)
            getattr(self, f"_{name}")()

    def _text(self, low: int, high: int) -> str:
        return " ".join(self._rng.choices(_WORDS, k=self._rng.randint(low, high)))

    def _commander(self) -> Actor:
        return Actor(principal=self._incident.acting_commander)

    def _internal_update(self) -> None:
        actor = Actor(principal=self._rng.choice(PEOPLE))
        self._incident.post_update(actor, audience="internal", body=self._text(15, 90))

    def _customer_update(self) -> None:
        lead = self._incident.roles.get(Role.COMMUNICATIONS_LEAD.value)
        actor = Actor(principal=lead) if lead else self._commander()
        self._incident.post_update(actor, audience="customer", body=self._text(20, 60))

    def _role_handover(self) -> None:
        role = self._rng.choice([r.value for r in Role])
        holder = self._incident.roles.get(role)
        assignee = self._rng.choice([p for p in PEOPLE if p != holder])
        self._incident.assign_role(
            self._commander(), role=role, assignee=assignee, note=self._text(5, 25)
        )

    def _severity_change(self) -> None:
        current = self._incident.severity
        severity = self._rng.choice([s.value for s in Severity if s.value != current])
        self._incident.change_severity(
            self._commander(), severity=severity, reason=self._text(5, 20)
        )

    def _impact(self) -> None:
        self._incident.assess_impact(
            self._commander(), impact=self._text(10, 40), scope=self._text(5, 15)
        )

    def _escalation(self) -> None:
        target = self._rng.choice(("payments-team", "database-oncall", "network", "vendor-psp"))
        self._incident.escalate(self._commander(), target=target, reason=self._text(5, 20))

    def _ticket(self) -> None:
        self._tickets += 1
        key = f"SUP-{self._incident.number}-{self._tickets}"
        self._incident.link_ticket(
            self._commander(), system="zendesk", key=key, url=f"https://support.example/{key}"
        )
