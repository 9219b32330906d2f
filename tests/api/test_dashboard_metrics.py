"""Every metric the Grafana dashboard (deploy/grafana/irm.json) and the alert rules
(deploy/prometheus/rules.yaml) query is one irm's /metrics exports, with the labels they match
on: the names come from a real API's scrape after a real command, not from a list.

Only the API serves /metrics (the projector and the notifier serve at most /healthz and
/readyz); it reads the followers' state from the database, so its scrape is all irm exports.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Headers, declare, post
from tests.promql import Query, dashboard_queries, matched_labels, metric_names, rule_queries

# Queried, but not exported by irm: each with what exports it.
NOT_IRMS = {
    "kube_job_failed": "kube-state-metrics (a failed migrate Job leaves no irm process to tell)",
}
# What the issue asks the dashboard to show, by the metric that shows it.
DASHBOARD_SHOWS = {
    "irm_commands_total": "commands per second",
    "irm_command_duration_seconds_bucket": "their latency",
    "irm_follower_lag_seconds": "projector lag",
    "irm_webhook_deliveries_pending": "the notifier's queue",
    "irm_webhook_deliveries_failed": "the notifier's failure counts",
    "irm_customer_updates_overdue": "overdue customer updates",
    "irm_open_incidents": "open incidents by severity",
}


def all_queries() -> Iterator[Query]:
    """The dashboard's queries, then the rules'."""
    yield from dashboard_queries()
    yield from rule_queries()


async def exported(client: httpx.AsyncClient, alice: Headers) -> dict[str, set[str]]:
    """Every sample name /metrics exports after a declare and a refused command, with the
    label names its samples carry."""
    incident = await declare(client, alice)
    await post(client, alice, incident, "severity", {"severity": "P9", "reason": "typo"})
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    return labels


async def test_every_queried_metric_is_exported_with_the_labels_matched(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    labels = await exported(client, alice)

    unknown = {
        (query.where, name)
        for query in all_queries()
        for name in metric_names(query.expr)
        if name not in labels and name not in NOT_IRMS
    }
    assert unknown == set()
    wrong_labels = {
        (query.where, name, label)
        for query in all_queries()
        for name, label in matched_labels(query.expr)
        if name in labels and label not in labels[name]
    }
    assert wrong_labels == set()
    assert not {name for name in NOT_IRMS if name in labels}, "an irm metric listed as not irm's"
    used = {name for query in all_queries() for name in metric_names(query.expr)}
    assert set(NOT_IRMS) <= used, "NOT_IRMS names a metric nothing queries"


def test_the_dashboard_shows_what_an_operator_needs() -> None:
    queried = {name for query in dashboard_queries() for name in metric_names(query.expr)}

    assert {name for name in DASHBOARD_SHOWS if name not in queried} == set()
    assert all(name.startswith("irm_") for name in queried)


def test_names_and_labels_are_read_from_promql_as_prometheus_would() -> None:
    expr = (
        'sum by (le, command) (rate(irm_command_duration_seconds_bucket{status!~"5..",'
        ' command=~"declare.*"}[5m] offset 1h)) > 0.95 and on (follower) '
        "irm_follower_lag_seconds unless max without (instance) (up == bool 1)"
    )

    assert metric_names(expr) == {
        "irm_command_duration_seconds_bucket",
        "irm_follower_lag_seconds",
        "up",
    }
    assert matched_labels(expr) == {
        ("irm_command_duration_seconds_bucket", "status"),
        ("irm_command_duration_seconds_bucket", "command"),
    }
    assert metric_names('label_replace(irm_x, "dst", "$1", "src", "(.*)")') == {"irm_x"}
