"""An incident's state, and the one function that evolves it by its events.

`IncidentState._evolve` is the aggregate's whole fold: every event's `apply` calls it, when a
command records the event and again on every replay, so it only changes state and never
checks anything. It matches on the event's class and ends in `assert_never`, so an event
type it does not handle fails the type check. The commands are in the modules of their
concern (`roles`, `lifecycle`, `communications`, `reviewing`), composed in `incident`.

The state's attribute names are part of the snapshot format (a snapshot stores the
aggregate's attributes by name, in the order `_start` sets them): they never change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import assert_never

from eventsourcing.domain import Aggregate

from shared.domain import events as ev
from shared.domain.errors import IllegalTransitionError
from shared.domain.events import IncidentEvent, as_incident_event
from shared.domain.review import FollowUp, Review, ReviewStatus
from shared.domain.rules import handover_key, peak_severity, restarts_cadence
from shared.domain.values import Status


class IncidentState(Aggregate):
    """Everything known about one incident, as its events left it."""

    # Version 2 added `peak_severity`, which no older snapshot can know, and version 3 the
    # impact window (`started_at`, `detected_at`), version 4 the links to other incidents
    # (`links`): the repository loads an incident whose newest snapshot is older than this
    # from its events instead. Version 5: the cadence restarts at the first classification of
    # an incident declared without a severity (`rules.restarts_cadence`), which an older
    # snapshot's `customer_contact_at` does not reflect. Version 6: numbered factors and
    # recommendations, cancelled follow-ups and amendments in the review (issue 11); version 7
    # each follow-up's first due date, due-date changes and overdue reminder; version 8 the
    # alerts attached from monitoring (`alerts`, `alerts_all_resolved`); version 9 paging
    # (`paged`, `page_policy`, `page_round`, `page_level`, `page_escalates_at`,
    # `acknowledged_by`, `paging_exhausted`); version 10 the shift handovers recorded due
    # (`handovers_due`).
    class_version = 10

    def _start(self, event: ev.Declared) -> None:
        """The state of a newly declared incident."""
        self.number: int = event.number
        self.title: str = event.title
        self.description: str | None = event.description
        self.criteria: list[str] = event.criteria
        self.severity: str | None = event.severity
        self.services: list[str] = event.services
        self.owner: str = event.owner
        self.declared_by: str = event.actor
        self.status: str = Status.OPEN.value
        self.roles: dict[str, str] = {}
        self.impact: str | None = None
        self.scope: str | None = None
        self.tickets: list[dict[str, str | None]] = []
        self.resolution: str | None = None
        self.resolution_summary: str | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        # The customer-update cadence runs from the last customer contact (declaration, then
        # `restarts_cadence`); reminders count the intervals missed since then.
        self.customer_contact_at: datetime = event.timestamp
        self.overdue_reminders: int = 0
        self.last_overdue_due_at: datetime | None = None
        self.review: Review = Review()
        # Added in class version 2 (see `class_version`).
        self.peak_severity: str | None = event.severity
        # Added in class version 3: when the impact began and when someone noticed it.
        self.started_at: datetime | None = event.started_at
        self.detected_at: datetime | None = event.detected_at
        # Added in class version 4: links to other incidents, both directions.
        self.links: list[dict[str, str]] = []
        # Added in class version 8: attached alerts by fingerprint ("firing" or "resolved"),
        # and whether the IC was prompted that all of them resolved since the last one fired.
        self.alerts: dict[str, str] = {}
        self.alerts_all_resolved: bool = False
        # Added in class version 9: paging (issue 12). Who was paged (any level, in order),
        # the policy and where it stands (round 0: not paged yet), when the current level
        # escalates unless someone acknowledges, who did, and whether the policy ran out.
        self.paged: list[str] = []
        self.page_policy: str | None = None
        self.page_round: int = 0
        self.page_level: int = 0
        self.page_escalates_at: datetime | None = None
        self.acknowledged_by: str | None = None
        self.paging_exhausted: bool = False
        # Added in class version 10: each handover recorded due, as "<role>@<shift start>".
        self.handovers_due: list[str] = []

    def _evolve(self, event: IncidentEvent) -> None:
        """Change the state by one event."""
        match event:  # the most frequent first: see shared/domain/events.py
            case ev.UpdatePosted() | ev.Escalated():
                pass  # on the record; only the cadence (below) follows from an update
            case ev.RoleAssigned():
                self.roles[event.role] = event.assignee
            case ev.SeverityChanged():
                self.severity = event.to_severity
                self.peak_severity = peak_severity(self.peak_severity, event.to_severity)
            case ev.ImpactAssessed():
                self.impact = event.impact
                self.scope = event.scope
            case ev.TicketLinked():
                self.tickets.append({"system": event.system, "key": event.key, "url": event.url})
            case ev.CustomerUpdateOverdue():
                self.overdue_reminders = event.missed_intervals
                self.last_overdue_due_at = event.due_at
            case ev.Resolved():
                self.status = Status.RESOLVED.value
                self.resolution = event.resolution
                self.resolution_summary = event.summary
                self.resolved_at = event.timestamp
            case ev.Closed():
                self.status = Status.CLOSED.value
                self.closed_at = event.timestamp
            case ev.Reopened():
                self.status = Status.OPEN.value
                self.resolution = None
                self.resolution_summary = None
                self.resolved_at = None
                self.closed_at = None
            case ev.DetailsEdited():
                self.title = event.after.get("title", self.title)
                self.description = event.after.get("description", self.description)
                self.services = list(event.after.get("services", self.services))
            case ev.RoleUnassigned():
                del self.roles[event.role]
            case ev.Declared():
                self._start(event)
            case ev.PostmortemStarted():
                self.review.status = ReviewStatus.STARTED.value
                self.review.facilitator = event.facilitator
                self.review.started_at = event.timestamp
            case ev.RootCauseRecorded():
                self.review.root_cause = event.text
            case ev.ContributingFactorAdded():
                self.review.factors_added += 1
                factor_id = str(self.review.factors_added)
                factor = {"id": factor_id, "text": event.text, "category": event.category}
                self.review.contributing_factors.append(factor)
            case ev.RecommendationAdded():
                self.review.recommendations_added += 1
                self.review.recommendations.append(event.text)
                self.review.recommendation_ids.append(str(self.review.recommendations_added))
            case ev.FollowUpAdded():
                self.review.follow_ups[event.follow_up_id] = FollowUp(
                    id=event.follow_up_id,
                    title=event.title,
                    owner=event.owner,
                    due_date=event.due_date,
                    ticket=event.ticket,
                    added_at=event.timestamp,
                    original_due_date=event.due_date,
                )
            case ev.FollowUpCompleted():
                follow_up = self.review.follow_ups[event.follow_up_id]
                follow_up.completed_at = event.timestamp
                follow_up.completed_by = event.actor
                follow_up.completion_note = event.note
            case ev.FollowUpReassigned():
                self.review.follow_ups[event.follow_up_id].owner = event.owner
            case ev.FollowUpDueDateChanged():
                follow_up = self.review.follow_ups[event.follow_up_id]
                follow_up.due_date = event.due_date
                follow_up.due_date_changes += 1
            case ev.FollowUpOverdue():
                self.review.follow_ups[event.follow_up_id].overdue_for = event.due_date
            case ev.PostmortemPublished():
                self.review.status = ReviewStatus.PUBLISHED.value
                self.review.no_follow_up_reason = event.no_follow_up_reason
                self.review.published_at = event.timestamp
            case ev.ImpactWindowSet():
                self.started_at = event.started_at
                self.detected_at = event.detected_at
            case ev.TimelineEntryAdded():
                pass  # on the record, for the timeline; it changes nothing of the state
            case ev.ContributingFactorEdited():
                for factor in self.review.contributing_factors:
                    if factor["id"] == event.factor_id:
                        factor["text"], factor["category"] = event.text, event.category
            case ev.ContributingFactorWithdrawn():
                self.review.contributing_factors = [
                    f for f in self.review.contributing_factors if f["id"] != event.factor_id
                ]
            case ev.RecommendationEdited():
                at = self.review.recommendation_ids.index(event.recommendation_id)
                self.review.recommendations[at] = event.text
            case ev.RecommendationWithdrawn():
                at = self.review.recommendation_ids.index(event.recommendation_id)
                del self.review.recommendations[at]
                del self.review.recommendation_ids[at]
            case ev.FollowUpCancelled():
                follow_up = self.review.follow_ups[event.follow_up_id]
                follow_up.cancelled_at = event.timestamp
                follow_up.cancelled_by = event.actor
                follow_up.cancel_reason = event.reason
            case ev.PostmortemAmended():
                self.review.status = ReviewStatus.STARTED.value
                self.review.amendments.append(
                    {"at": event.timestamp.isoformat(), "by": event.actor, "reason": event.reason}
                )
            case ev.IncidentLinked():
                self.links.append(
                    {
                        "other_id": str(event.other_id),
                        "other_reference": event.other_reference,
                        "relation": event.relation,
                        "direction": event.direction,
                    }
                )
            case ev.AlertAttached():
                self.alerts[event.fingerprint] = "firing"
                self.alerts_all_resolved = False
            case ev.AlertResolved():
                self.alerts[event.fingerprint] = "resolved"
            case ev.AlertsAllResolved():
                self.alerts_all_resolved = True
            case ev.Paged():
                self._paged(event)
            case ev.Acknowledged():
                self.acknowledged_by = event.actor
                self.page_escalates_at = None
                if event.took_ownership:
                    self.owner = event.actor
            case ev.PageEscalated():
                self.page_round, self.page_level = event.to_round, event.to_level
                self.page_escalates_at = None  # set by the level's first Paged
            case ev.PagingExhausted():
                self.paging_exhausted = True
                self.page_escalates_at = None
            case ev.HandoverDue():
                self.handovers_due.append(handover_key(event.role, event.shift_start))
            case _:
                assert_never(event)
        if restarts_cadence(event):
            self.customer_contact_at = event.timestamp
            self.overdue_reminders = 0
            self.last_overdue_due_at = None

    def _paged(self, event: ev.Paged) -> None:
        if self.page_escalates_at is None or (event.round, event.level) != (
            self.page_round,
            self.page_level,
        ):
            # The first person of a level: the level's timeout runs from here.
            self.page_escalates_at = event.timestamp + timedelta(seconds=event.timeout_seconds)
        self.page_policy = event.policy
        self.page_round, self.page_level = event.round, event.level
        if event.person not in self.paged:
            self.paged.append(event.person)

    def collect_events(self) -> list[IncidentEvent]:
        """Take the events recorded since the last call, typed."""
        return [as_incident_event(e) for e in super().collect_events()]

    @property
    def reference(self) -> str:
        """The human reference used in conversation and tickets: INC-<number>."""
        return f"INC-{self.number}"

    # --- status rules, checked before authority --------------------------------------------

    def _check_not_closed(self) -> None:
        if self.status == Status.CLOSED:
            raise IllegalTransitionError(
                self.id, "incident-closed", f"{self.reference} is closed and cannot change"
            )

    def _check_resolved(self) -> None:
        self._check_not_closed()
        if self.status != Status.RESOLVED:
            raise IllegalTransitionError(
                self.id,
                "incident-not-resolved",
                f"{self.reference} is {self.status}; only a resolved incident can do that",
            )
