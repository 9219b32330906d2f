"""Reading what monitoring sends: Alertmanager's webhook payload (version 4) and Grafana's
alerting webhook payload, each into one `AlertGroup`.

Both are read as their senders document them; fields irm does not use are allowed and kept in
the stored payload. What irm needs and does not find is a `MalformedPayloadError` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.incident_api.plain_text import PLAIN_TEXT

# Alertmanager and Grafana write this for an alert that has not ended.
_NOT_ENDED = "0001-01-01T00:00:00Z"


class MalformedPayloadError(Exception):
    """The payload is not one this integration's sender would send; `errors` say where."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a group, as firing or resolved."""

    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str | None
    ends_at: str | None

    @property
    def alertname(self) -> str:
        """The alert's name (`alertname` label), or `alert` when it has none."""
        return self.labels.get("alertname") or "alert"

    @property
    def summary(self) -> str | None:
        """The `summary` annotation (Grafana and most Prometheus rules write one)."""
        return self.annotations.get("summary") or None


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """The alerts one notification carries, and the key that names their group."""

    group_key: str
    status: str
    alerts: tuple[Alert, ...]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    external_url: str | None

    @property
    def firing(self) -> list[Alert]:
        """The alerts firing now."""
        return [a for a in self.alerts if a.status == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        """The alerts that have resolved."""
        return [a for a in self.alerts if a.status == "resolved"]


Labels = dict[str, str]
_Model = TypeVar("_Model", bound=BaseModel)
Status = Literal["firing", "resolved"]


class _AlertIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Status
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    startsAt: str | None = None  # noqa: N815 (the sender's name)
    endsAt: str | None = None  # noqa: N815
    fingerprint: Annotated[str, PLAIN_TEXT] | None = None


class _AlertmanagerIn(BaseModel):
    """Alertmanager's webhook body, version 4 (alertmanager/notify/webhook)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    # The group's key and the alerts' fingerprints are kept as text (PostgreSQL's text holds no
    # NUL), so a control character in them makes the payload malformed; labels and annotations
    # go into events, which keep any text.
    groupKey: Annotated[str, Field(min_length=1), PLAIN_TEXT]  # noqa: N815
    status: Status
    receiver: str | None = None
    groupLabels: Labels = Field(default_factory=dict)  # noqa: N815
    commonLabels: Labels = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: Labels = Field(default_factory=dict)  # noqa: N815
    externalURL: str | None = None  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    alerts: Annotated[list[_AlertIn], Field(min_length=1)]


class _GrafanaIn(BaseModel):
    """Grafana's alerting webhook body (its notifier's `version` "1"); `groupKey` since 8."""

    model_config = ConfigDict(extra="allow")

    status: Status
    groupKey: Annotated[str, PLAIN_TEXT] | None = None  # noqa: N815
    receiver: str | None = None
    commonLabels: Labels = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: Labels = Field(default_factory=dict)  # noqa: N815
    externalURL: str | None = None  # noqa: N815
    alerts: Annotated[list[_AlertIn], Field(min_length=1)]


def read_alertmanager(body: bytes) -> AlertGroup:
    """The group an Alertmanager notification carries."""
    payload = _validated(_AlertmanagerIn, body)
    return _group(payload.groupKey, payload.status, payload.alerts, payload.externalURL)


def read_grafana(body: bytes) -> AlertGroup:
    """The group a Grafana notification carries: its `groupKey`, or where it sends none (or
    an empty one), the set of its alerts' fingerprints."""
    payload = _validated(_GrafanaIn, body)
    alerts = [_alert(a) for a in payload.alerts]
    key = payload.groupKey
    if not key or key == "{}:{}":
        key = "fingerprints:" + ",".join(sorted({a.fingerprint for a in alerts}))
    return _group(key, payload.status, payload.alerts, payload.externalURL)


def _validated(model: type[_Model], body: bytes) -> _Model:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError as bad:
        raise MalformedPayloadError(f"the body is not JSON: {bad}") from None
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "code": e["type"]}
            for e in invalid.errors(include_url=False)
        ]
        where = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5])
        raise MalformedPayloadError(where, errors) from None


def _group(key: str, status: str, alerts: Sequence[_AlertIn], url: str | None) -> AlertGroup:
    read = tuple(_alert(a) for a in alerts)
    return AlertGroup(
        group_key=key,
        status=status,
        alerts=read,
        common_labels=_common([a.labels for a in read]),
        common_annotations=_common([a.annotations for a in read]),
        external_url=url,
    )


def _alert(alert: _AlertIn) -> Alert:
    return Alert(
        fingerprint=alert.fingerprint or _fingerprint(alert.labels),
        status=alert.status,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.startsAt,
        ends_at=None if alert.endsAt in (None, _NOT_ENDED) else alert.endsAt,
    )


def _fingerprint(labels: Mapping[str, str]) -> str:
    """An alert's identity when its sender gives none: a hash of its sorted labels."""
    canonical = orjson.dumps(dict(sorted(labels.items())))
    return hashlib.sha256(canonical).hexdigest()[:16]


def _common(maps: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The pairs every map has."""
    if not maps:
        return {}
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}
