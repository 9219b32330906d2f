"""The Incident aggregate: every fact about an incident is one of the events it records.

Public methods are commands. Each checks its rules first and then records exactly one event
(`shared.domain.events`); a refused command raises a `DomainError` and records nothing. An
event changes the state only through the one fold, `IncidentState._evolve`, which also runs
on every replay.

Every event records the acting principal (`actor`). Events that need the Incident
Commander's authority also record `break_glass`: true when an admin acted in the IC's place.
The commands are grouped by concern, one module each:

- `roles`: roles and authority (`assign_role`, `unassign_role`, who the acting IC is, the
  authority checks);
- `lifecycle`: `declare`, `change_severity`, `assess_impact`, `escalate`, `resolve`,
  `close`, `reopen`;
- `communications`: `post_update`, `link_ticket`, `record_update_overdue`;
- `editing`: `edit_details` (title, description, services);
- `relations`: `link` (to another incident, recorded on both);
- `reviewing`: the post-incident review, from `start_postmortem` to `publish_postmortem`;
- `review_corrections`: editing and withdrawing findings, cancelling a follow-up, amending a
  published review.
- `paging`: paging the on-call (`page`, `escalate_page`, `exhaust_paging`, `acknowledge`).
- `alerting`: alerts from monitoring (`attach_alert`, `resolve_alert`,
  `prompt_alerts_all_resolved`).

Stored topics are explicit (`irm:Incident`, `irm:Incident.<Name>`), so moving or renaming
these modules never orphans a stored event or snapshot.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from shared.domain.alerting import Alerting
from shared.domain.communications import Communications
from shared.domain.editing import Editing
from shared.domain.lifecycle import Lifecycle
from shared.domain.paging import Paging
from shared.domain.relations import Relations
from shared.domain.review_corrections import ReviewCorrections


class Incident(Lifecycle, Communications, Editing, Relations, ReviewCorrections, Alerting, Paging):
    """One incident, from declaration to closure and its review."""

    TOPIC = "irm:Incident"

    class Created(Aggregate.Created):
        # The library's default creation event: reserved, never recorded (incidents start
        # with `Declared`).
        TOPIC = "irm:Incident.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "irm:Incident.Snapshot"
