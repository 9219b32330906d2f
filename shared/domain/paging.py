"""Paging the on-call: who was paged at which level of an escalation policy, who acknowledged,
and the escalation from level to level when nobody does; and the handover due when a shift
changes under someone holding a role (issue 12).

The notifier decides when (a level's timeout passed) and whom (the level's targets resolved to
the people on call then); the incident decides whether: a page for a position the incident has
passed, a second acknowledgement or paging after someone acknowledged is refused, so a
restarted or a second notifier never skips nor doubles a page. The acknowledgement is the paged
person's own command; with no Incident Commander named, it makes them the owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.domain import arguments
from shared.domain.errors import (
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
)
from shared.domain.events import (
    Acknowledged,
    HandoverDue,
    Paged,
    PageEscalated,
    PagingExhausted,
)
from shared.domain.roles import RolesAndAuthority
from shared.domain.rules import handover_key
from shared.domain.values import NAME_MAX_CHARS, TEXT_MAX_CHARS, Actor, Role, Status

Position = tuple[int, int]
"""(round, level), both from 1; (0, 0) before the first page."""


def next_position(position: Position, *, levels: int, repeat: int) -> Position | None:
    """The position after `position` in a policy of `levels` levels run `repeat` more times
    after the first round, or None after the last level of the last round."""
    round_, level = position
    if round_ == 0:
        return (1, 1)
    if level < levels:
        return (round_, level + 1)
    if round_ < repeat + 1:
        return (round_ + 1, 1)
    return None


class Paging(RolesAndAuthority):
    """The commands of paging: page, escalate, exhaust (the notifier's) and acknowledge."""

    @property
    def page_position(self) -> Position:
        """Where paging stands: (round, level), (0, 0) before the first page."""
        return (self.page_round, self.page_level)

    def paging_active(self) -> bool:
        """Whether a page may still follow: open, nobody acknowledged, the policy not run out."""
        return (
            self.status == Status.OPEN
            and self.acknowledged_by is None
            and not self.paging_exhausted
        )

    def page(
        self,
        actor: Actor,
        *,
        people: Sequence[str],
        policy: str,
        position: Position,
        timeout_seconds: int,
        reason: str,
    ) -> None:
        """Page `people` at `position` of `policy`: one Paged each. The first page (position
        (0, 0) so far) or the level an escalation just moved to; anything else is refused."""
        self._check_paging()
        if position[0] < 1 or position[1] < 1:
            raise InvalidFieldError("position", "round and level start at 1")
        if self.page_round == 0:
            if self.page_policy is not None and self.page_policy != policy:
                raise InvalidFieldError("policy", "another policy pages this incident")
        elif position != self.page_position or self.page_escalates_at is not None:
            raise NoChangeError(
                f"{self.reference} was paged at round {self.page_round} level {self.page_level}"
            )
        elif policy != self.page_policy:
            raise InvalidFieldError("policy", "another policy pages this incident")
        if not people:
            raise InvalidFieldError("people", "nobody to page")
        if timeout_seconds < 1:
            raise InvalidFieldError("timeout_seconds", "must be 1 or more")
        reason = arguments.text("reason", reason, TEXT_MAX_CHARS)
        checked = [arguments.text("people", p, NAME_MAX_CHARS) for p in people]
        for person in dict.fromkeys(checked):  # each once, in order
            self.trigger_event(
                Paged,
                person=person,
                level=position[1],
                reason=reason,
                policy=policy,
                round=position[0],
                timeout_seconds=timeout_seconds,
                actor=actor.principal,
            )

    def escalate_page(self, actor: Actor, *, to: Position, now: datetime, reason: str) -> None:
        """Nobody acknowledged the current level by `now`, past its timeout: move to `to`."""
        self._check_paging()
        escalates_at = self.page_escalates_at
        if self.page_round == 0 or escalates_at is None:
            raise NoChangeError(f"{self.reference} has no page waiting to escalate")
        if now < escalates_at:
            raise NoChangeError(f"the page escalates at {escalates_at.isoformat()}, not yet")
        if to <= self.page_position:
            raise InvalidFieldError("to", "must come after the current level")
        self.trigger_event(
            PageEscalated,
            from_level=self.page_level,
            from_round=self.page_round,
            to_level=to[1],
            to_round=to[0],
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def exhaust_paging(self, actor: Actor, *, policy: str, now: datetime, reason: str) -> None:
        """The policy has nobody left to page: the last level timed out (or nobody was on call
        at any level). Paging stops."""
        self._check_paging()
        escalates_at = self.page_escalates_at
        if self.page_round != 0 and (escalates_at is None or now < escalates_at):
            raise NoChangeError(f"{self.reference} is still waiting for an acknowledgement")
        self.trigger_event(
            PagingExhausted,
            policy=policy,
            rounds=self.page_round,
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def acknowledge(self, actor: Actor) -> None:
        """A paged person acknowledges: paging stops; with no Incident Commander named yet, they
        become the owner and so the acting IC."""
        if self.status != Status.OPEN:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.reference} is {self.status}, not open"
            )
        if actor.principal not in self.paged:
            raise NotAuthorizedError(actor.principal, f"paged for {self.reference}")
        if self.acknowledged_by is not None:
            raise NoChangeError(f"{self.acknowledged_by} acknowledged {self.reference} already")
        took = Role.INCIDENT_COMMANDER.value not in self.roles
        self.trigger_event(
            Acknowledged,
            level=self.page_level,
            round=self.page_round,
            took_ownership=took,
            previous_owner=self.owner,
            actor=actor.principal,
        )

    def record_handover_due(
        self,
        actor: Actor,
        *,
        role: str,
        from_person: str,
        to_person: str,
        schedule: str,
        shift_start: datetime,
    ) -> None:
        """Record that `from_person`, whose shift of `schedule` ended at `shift_start`, hands
        `role` (`incident_commander` for the acting IC) over to `to_person`, now on call. Once
        per role and shift change; only while they hold the role on the open incident."""
        if self.status != Status.OPEN:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.reference} is {self.status}, not open"
            )
        role = arguments.member("role", role, Role)
        holder = (
            self.acting_commander if role == Role.INCIDENT_COMMANDER.value else self.roles.get(role)
        )
        if holder != from_person:
            raise NoChangeError(f"{from_person} does not hold {role} on {self.reference}")
        if to_person == from_person:
            raise InvalidFieldError("to_person", "must be someone else")
        if handover_key(role, shift_start) in self.handovers_due:
            raise NoChangeError(f"the handover of {role} at {shift_start.isoformat()} is recorded")
        self.trigger_event(
            HandoverDue,
            from_person=from_person,
            to_person=arguments.text("to_person", to_person, NAME_MAX_CHARS),
            role=role,
            schedule=schedule,
            shift_start=shift_start,
            actor=actor.principal,
        )

    def _check_paging(self) -> None:
        if not self.paging_active():
            raise NoChangeError(f"{self.reference} is not being paged")
