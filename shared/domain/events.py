"""The incident's events: one typed definition of every event's payload, and nothing else.

Each class is a frozen dataclass (eventsourcing makes every `Aggregate.Event` one). Its fields,
in the order declared, are what its stored JSON holds after the envelope: the JSON is written
in field order, so a field is never reordered, renamed or removed (see docs/events.md for how
an old payload is upcast when a field is added). Each class names its stored topic explicitly
(`irm:Incident.<Name>`), so a class or this module can move without orphaning stored events.

The events are pure data: `apply` hands the event to the incident's one state-evolution
function (`IncidentState._evolve`), and every follower (read models, webhooks, post-mortem)
dispatches on the event's class with `match`, ending in `assert_never`, so an event type added
here and forgotten by any of them fails the type check. The classes are final: an event's class
is its type, exactly (`as_incident_event` relies on it, and `type(event) is X` narrows).

Followers that run for every event of a rebuild list their `case`s most frequent first
(updates, then role changes and severity changes): a class pattern that does not match costs
an `isinstance` call through the event metaclass's `__instancecheck__`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, TypeAlias, cast, final, get_args
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.utils import get_topic, register_topic

from shared.domain.alert_events import AlertAttached as AlertAttached
from shared.domain.alert_events import AlertResolved as AlertResolved
from shared.domain.alert_events import AlertsAllResolved as AlertsAllResolved
from shared.domain.event_base import EventBase
from shared.domain.event_reading import event_actor as event_actor
from shared.domain.event_reading import event_data as event_data
from shared.domain.event_reading import event_name as event_name
from shared.domain.paging_events import Acknowledged as Acknowledged
from shared.domain.paging_events import HandoverDue as HandoverDue
from shared.domain.paging_events import Paged as Paged
from shared.domain.paging_events import PageEscalated as PageEscalated
from shared.domain.paging_events import PagingExhausted as PagingExhausted
from shared.domain.review_events import ContributingFactorAdded as ContributingFactorAdded
from shared.domain.review_events import ContributingFactorEdited as ContributingFactorEdited
from shared.domain.review_events import ContributingFactorWithdrawn as ContributingFactorWithdrawn
from shared.domain.review_events import FollowUpAdded as FollowUpAdded
from shared.domain.review_events import FollowUpCancelled as FollowUpCancelled
from shared.domain.review_events import FollowUpCompleted as FollowUpCompleted
from shared.domain.review_events import FollowUpDueDateChanged as FollowUpDueDateChanged
from shared.domain.review_events import FollowUpOverdue as FollowUpOverdue
from shared.domain.review_events import FollowUpReassigned as FollowUpReassigned
from shared.domain.review_events import PostmortemAmended as PostmortemAmended
from shared.domain.review_events import PostmortemPublished as PostmortemPublished
from shared.domain.review_events import PostmortemStarted as PostmortemStarted
from shared.domain.review_events import RecommendationAdded as RecommendationAdded
from shared.domain.review_events import RecommendationEdited as RecommendationEdited
from shared.domain.review_events import RecommendationWithdrawn as RecommendationWithdrawn
from shared.domain.review_events import RootCauseRecorded as RootCauseRecorded

# --- the response --------------------------------------------------------------------------


@final
class Declared(Aggregate.Created, EventBase):
    """An incident was declared: the first event of every incident (version 1)."""

    TOPIC = "irm:Incident.Declared"
    number: int
    title: str
    description: str | None
    criteria: list[str]
    severity: str | None
    services: list[str]
    owner: str
    actor: str
    # Added later, with defaults rather than a class version: a Declared stored before they
    # existed has neither key and reads None, and encodes back to exactly its stored bytes.
    started_at: datetime | None = None
    detected_at: datetime | None = None


@final
class RoleAssigned(EventBase):
    """Someone was given an incident role (also a handover at a shift change)."""

    TOPIC = "irm:Incident.RoleAssigned"
    role: str
    assignee: str
    previous_holder: str | None
    note: str | None
    actor: str
    break_glass: bool


@final
class SeverityChanged(EventBase):
    """The incident was classified anew, with the reason."""

    TOPIC = "irm:Incident.SeverityChanged"
    from_severity: str | None
    to_severity: str
    reason: str
    actor: str
    break_glass: bool


@final
class ImpactAssessed(EventBase):
    """The IC's view of what is affected (impact) and how widely (scope)."""

    TOPIC = "irm:Incident.ImpactAssessed"
    impact: str
    scope: str
    actor: str
    break_glass: bool


@final
class TicketLinked(EventBase):
    """The incident was linked to its ticket in a support system."""

    TOPIC = "irm:Incident.TicketLinked"
    system: str
    key: str
    url: str | None
    actor: str


@final
class UpdatePosted(EventBase):
    """An update for the response team (internal) or for the customers (customer)."""

    TOPIC = "irm:Incident.UpdatePosted"
    audience: str
    body: str
    actor: str
    break_glass: bool
    # Added later with a default, like Resolved's: a stored UpdatePosted reads "regular".
    kind: str = "regular"


@final
class CustomerUpdateOverdue(EventBase):
    """A customer update was due at `due_at` and none came: `missed_intervals` since the last
    customer contact, recorded once per missed interval or once for several missed at once."""

    TOPIC = "irm:Incident.CustomerUpdateOverdue"
    severity: str
    due_at: datetime
    last_customer_contact_at: datetime
    missed_intervals: int
    actor: str
    # Added later with defaults: whom to chase, the Communications Lead (the acting IC when
    # there is none) and the acting IC; a reminder stored before reads None for both.
    update_owner: str | None = None
    incident_commander: str | None = None


@final
class Escalated(EventBase):
    """The incident was escalated internally to a team or a person."""

    TOPIC = "irm:Incident.Escalated"
    target: str
    reason: str
    actor: str
    break_glass: bool


@final
class Resolved(EventBase):
    """The incident was resolved: restored, worked around, mitigated, a false alarm, or a
    duplicate of another incident (`duplicate_of`, its id and reference)."""

    TOPIC = "irm:Incident.Resolved"
    resolution: str
    summary: str
    actor: str
    break_glass: bool
    # Added later with defaults, as Declared's: a Resolved stored before reads None for both.
    duplicate_of: UUID | None = None
    duplicate_of_reference: str | None = None


@final
class Closed(EventBase):
    """The IC confirmed the resolution."""

    TOPIC = "irm:Incident.Closed"
    actor: str
    break_glass: bool


@final
class Reopened(EventBase):
    """A resolved incident is open again, because the fix did not hold; or a closed one
    (`was_closed`), within the reopen window of its closing."""

    TOPIC = "irm:Incident.Reopened"
    reason: str
    actor: str
    break_glass: bool
    # Added later with a default, like Resolved's: a Reopened stored before reads False.
    was_closed: bool = False


@final
class DetailsEdited(EventBase):
    """The title, description or services were corrected. `before` and `after` hold only the
    fields that changed, by name (`title`, `description`, `services`)."""

    TOPIC = "irm:Incident.DetailsEdited"
    before: dict[str, Any]
    after: dict[str, Any]
    actor: str
    break_glass: bool


@final
class RoleUnassigned(EventBase):
    """A Communications or Operations Lead was stood down, leaving the role empty."""

    TOPIC = "irm:Incident.RoleUnassigned"
    role: str
    previous_holder: str
    note: str | None
    actor: str
    break_glass: bool


# --- facts that happened outside the tool --------------------------------------------------


@final
class ImpactWindowSet(EventBase):
    """When the impact began and when someone noticed it, set or corrected after declaring."""

    TOPIC = "irm:Incident.ImpactWindowSet"
    started_at: datetime | None
    detected_at: datetime | None
    previous_started_at: datetime | None
    previous_detected_at: datetime | None
    actor: str
    break_glass: bool


@final
class TimelineEntryAdded(EventBase):
    """Something that happened outside the tool at `occurred_at`, recorded afterwards."""

    TOPIC = "irm:Incident.TimelineEntryAdded"
    occurred_at: datetime
    text: str
    actor: str


# --- relations between incidents -----------------------------------------------------------


@final
class IncidentLinked(EventBase):
    """Linked to another incident, recorded on both at once: `direction` "to" reads "this
    incident <relation> other", "from" reads "other <relation> this incident"."""

    TOPIC = "irm:Incident.IncidentLinked"
    other_id: UUID
    other_reference: str
    relation: str
    direction: str
    actor: str
    break_glass: bool


ChangeEvent: TypeAlias = (
    RoleAssigned
    | SeverityChanged
    | ImpactAssessed
    | TicketLinked
    | UpdatePosted
    | CustomerUpdateOverdue
    | Escalated
    | Resolved
    | Closed
    | Reopened
    | DetailsEdited
    | RoleUnassigned
    | PostmortemStarted
    | RootCauseRecorded
    | ContributingFactorAdded
    | RecommendationAdded
    | FollowUpAdded
    | FollowUpCompleted
    | FollowUpReassigned
    | FollowUpDueDateChanged
    | PostmortemPublished
    | ImpactWindowSet
    | TimelineEntryAdded
    | IncidentLinked
    | ContributingFactorEdited
    | ContributingFactorWithdrawn
    | RecommendationEdited
    | RecommendationWithdrawn
    | FollowUpCancelled
    | PostmortemAmended
    | FollowUpOverdue
    | Paged
    | Acknowledged
    | PageEscalated
    | PagingExhausted
    | HandoverDue
    | AlertAttached
    | AlertResolved
    | AlertsAllResolved
)
"""Every event that follows an incident's Declared."""

IncidentEvent: TypeAlias = Declared | ChangeEvent
"""Every event an incident records: what the store hands out and every follower matches on."""

EVENT_TYPES: Final[tuple[type[IncidentEvent], ...]] = get_args(IncidentEvent)
"""The event classes, in the order above (the union is their one list)."""

_EVENT_TYPES: Final = frozenset(EVENT_TYPES)

# Registered now, so stored topics resolve to these classes before any event is written.
for _event_type in EVENT_TYPES:
    register_topic(_event_type.TOPIC, _event_type)


class NotAnIncidentEventError(TypeError):
    """A decoded event is not one of the incident's event types (e.g. a snapshot)."""


def as_incident_event(event: DomainEventProtocol[UUID]) -> IncidentEvent:
    """The event as an incident event, or NotAnIncidentEventError if it is none of them."""
    if type(event) in _EVENT_TYPES:  # a set lookup: this runs for every event read
        return cast(IncidentEvent, event)
    raise NotAnIncidentEventError(
        f"{get_topic(type(event))} (version {event.originator_version} of "
        f"{event.originator_id}) is not an incident event"
    )
