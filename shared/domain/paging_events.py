"""The events of paging the on-call (issue 12), re-exported by `shared.domain.events`, which
holds the union of every event type; see its docstring for the rules every event class follows.

A policy runs in rounds (1, then one more per `repeat`) of levels (1 to the policy's last);
`round` and `level` say where a page or an escalation stands. The notifier records every one
of these but `Acknowledged`, as the system principal; and `HandoverDue` when a shift changes
under someone holding a role on an open incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

from shared.domain.event_base import EventBase


@final
class Paged(EventBase):
    """`person` was paged at `level` of the escalation policy `policy` (its id), in `round`;
    the level waits `timeout_seconds` for an acknowledgement before the next is paged."""

    TOPIC = "irm:Incident.Paged"
    person: str
    level: int
    reason: str
    policy: str
    round: int
    timeout_seconds: int
    actor: str


@final
class Acknowledged(EventBase):
    """A paged person acknowledged the page: paging stops. With no Incident Commander named,
    they became the owner (`took_ownership`), and so the acting IC, after `previous_owner`."""

    TOPIC = "irm:Incident.Acknowledged"
    level: int
    round: int
    took_ownership: bool
    previous_owner: str
    actor: str


@final
class PageEscalated(EventBase):
    """Nobody acknowledged `from_level` (of `from_round`) in time: `to_level` (of `to_round`)
    is paged next; levels between them had nobody to page (`reason` says)."""

    TOPIC = "irm:Incident.PageEscalated"
    from_level: int
    from_round: int
    to_level: int
    to_round: int
    reason: str
    actor: str


@final
class PagingExhausted(EventBase):
    """Every level of the policy was paged, `rounds` times, and nobody acknowledged (or the
    policy had nobody to page): no more pages."""

    TOPIC = "irm:Incident.PagingExhausted"
    policy: str
    rounds: int
    reason: str
    actor: str


@final
class HandoverDue(EventBase):
    """A shift of `schedule` (its id) changed at `shift_start` while `from_person`, going off
    call, held `role` on the open incident (the acting IC counts as `incident_commander`):
    they hand it over to `to_person`, now on call (the seed's "ownership moves at shift
    handover"). The handover itself is a role assignment with a note."""

    TOPIC = "irm:Incident.HandoverDue"
    from_person: str
    to_person: str
    role: str
    schedule: str
    shift_start: datetime
    actor: str
