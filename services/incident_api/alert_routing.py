"""Routing rules: what an alert group becomes, from its labels.

An integration's rules are tried in order; the first whose `match` the group's labels satisfy
decides. A rule names the service (or leaves it to the `service` label), the severity (or
leaves it to the `severity` label), the declaration criteria, and whether the group declares an
incident or only pages. With no rule matching, the defaults below decide: declare, service from
the `service` label, severity from the `severity` label, criterion
`production_workloads_affected`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.incident_api.alert_payloads import AlertGroup
from services.incident_api.command_fields import Name
from services.incident_api.plain_text import PLAIN_TEXT, PLAIN_TEXT_PATTERN
from shared.domain.values import Criterion, Severity

SEVERITY_LABELS: Final = {
    "critical": Severity.P1.value,
    "error": Severity.P2.value,
    "high": Severity.P2.value,
    "warning": Severity.P3.value,
    "info": Severity.P4.value,
}
"""The `severity` label's usual values (as Prometheus rules and Grafana write them), as irm's."""

DEFAULT_CRITERIA: Final = (Criterion.PRODUCTION_WORKLOADS_AFFECTED.value,)

# Any label name the sender may use (Prometheus's and Grafana's rules differ), so that the
# documented schema and the validation accept the same keys; only control characters are
# refused, as in every text irm takes (PostgreSQL's text cannot hold a NUL).
LabelName = Annotated[str, Field(min_length=1, max_length=200), PLAIN_TEXT]
LabelValue = Annotated[str, Field(max_length=1000), PLAIN_TEXT]
_LABEL_NAME_SCHEMA: Final = {"minLength": 1, "maxLength": 200, "pattern": PLAIN_TEXT_PATTERN}
_LABEL_VALUE_SCHEMA: Final = {"type": "string", "maxLength": 1000, "pattern": PLAIN_TEXT_PATTERN}


def _labels_schema(schema: dict[str, Any]) -> None:
    """Say what the keys may be in `propertyNames`: pydantic writes a key's pattern as
    `patternProperties`, which would leave a key with a control character schema-valid."""
    schema.pop("patternProperties", None)
    schema["propertyNames"] = dict(_LABEL_NAME_SCHEMA)
    schema["additionalProperties"] = dict(_LABEL_VALUE_SCHEMA)


class RoutingRule(BaseModel):
    """One rule: when every label of `match` has its value, the group is routed so."""

    model_config = ConfigDict(extra="forbid")

    match: Annotated[dict[LabelName, LabelValue], Field(max_length=20)] = Field(
        default_factory=dict,
        description="Labels and the values they must have (all of them).",
        json_schema_extra=_labels_schema,
    )
    action: Literal["declare", "page"] = Field(
        "declare",
        description="`declare` an incident, or only `page` the service's on-call "
        "(recorded as the delivery's outcome: paging without an incident is not built yet).",
    )
    service: Name | None = Field(None, description="The service; default: the `service` label.")
    severity: Severity | None = Field(
        None, description="The severity; default: from the `severity` label."
    )
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=3)] | None = Field(
        None, description="Why it is an incident; default: `production_workloads_affected`."
    )


@dataclass(frozen=True, slots=True)
class Route:
    """What a group becomes: the rule that decided (its index, or None for the defaults)."""

    action: str
    service: str | None
    severity: str | None
    criteria: tuple[str, ...]
    rule: int | None


def route(rules: Sequence[RoutingRule], group: AlertGroup) -> Route:
    """The route of `group`: by the first matching rule, else by the defaults."""
    labels = _labels(group)
    for index, rule in enumerate(rules):
        if all(labels.get(name) == value for name, value in rule.match.items()):
            return Route(
                action=rule.action,
                service=rule.service or _service(labels),
                severity=rule.severity.value if rule.severity else _severity(labels),
                criteria=tuple(c.value for c in rule.criteria or ()) or DEFAULT_CRITERIA,
                rule=index,
            )
    return Route("declare", _service(labels), _severity(labels), DEFAULT_CRITERIA, None)


def _labels(group: AlertGroup) -> Mapping[str, str]:
    """The labels the group's alerts share, or the first firing alert's where they share none
    of the ones routing reads."""
    firing = group.firing
    first = firing[0].labels if firing else group.alerts[0].labels
    return {**first, **group.common_labels}


def _service(labels: Mapping[str, str]) -> str | None:
    return labels.get("service") or None


def _severity(labels: Mapping[str, str]) -> str | None:
    return SEVERITY_LABELS.get(labels.get("severity", "").strip().lower())
