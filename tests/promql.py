"""The PromQL in deploy/: the Grafana dashboard's queries and the alert rules' expressions, and
the metric names and label matchers they use.

Run as `python -m tests.promql` it prints the dashboard's queries as a Prometheus rule file,
which `.ci/deploy-check` hands to `promtool check rules` to check their syntax.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

DEPLOY: Final = Path(__file__).resolve().parents[1] / "deploy"
DASHBOARD: Final = DEPLOY / "grafana" / "irm.json"
RULES: Final = DEPLOY / "prometheus" / "rules.yaml"

# Grafana's interval variables, as Prometheus would see them for a 15 s scrape interval.
_GRAFANA_VARIABLES: Final = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
_STRING: Final = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_SELECTOR: Final = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)\s*\{([^}]*)\}")
_MATCHER_LABEL: Final = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
_BRACES: Final = re.compile(r"\{[^}]*\}")
_BRACKETS: Final = re.compile(r"\[[^\]]*\]")
_GROUPING: Final = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_NAME: Final = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS: Final = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
    | {"group_left", "group_right", "start", "end"}
)


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL expression and where it is."""

    where: str
    expr: str


def dashboard_queries(path: Path = DASHBOARD) -> list[Query]:
    """Every target's expression of every panel (rows' panels too), Grafana variables set."""
    dashboard: dict[str, Any] = json.loads(path.read_text())

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield item
            yield from panels(item.get("panels", []))

    return [
        Query(
            f"{path.name}: {panel['title']} ({target['refId']})", grafana_to_promql(target["expr"])
        )
        for panel in panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]


def rule_queries(path: Path = RULES) -> list[Query]:
    """Every alerting and recording rule's expression."""
    groups = yaml.safe_load(path.read_text())["groups"]
    return [
        Query(f"{path.name}: {rule.get('alert') or rule.get('record')}", str(rule["expr"]))
        for group in groups
        for rule in group["rules"]
    ]


def grafana_to_promql(expr: str) -> str:
    """The expression with Grafana's interval variables replaced by durations."""
    for variable, duration in _GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, duration)
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers that are not functions,
    aggregations, keywords, label names or durations."""
    bare = _STRING.sub('""', expr)
    bare = _GROUPING.sub(" ", _BRACKETS.sub(" ", _BRACES.sub(" ", bare)))
    return {
        match[1]
        for match in _NAME.finditer(bare)
        if match[2] is None and match[1].lower() not in _KEYWORDS
    }


def matched_labels(expr: str) -> set[tuple[str, str]]:
    """(metric, label) for every label matcher written on a named selector."""
    bare = _STRING.sub('""', expr)
    return {
        (selector[1], label)
        for selector in _SELECTOR.finditer(bare)
        for label in _MATCHER_LABEL.findall(selector[2])
    }


def as_rule_file(queries: list[Query]) -> str:
    """The queries as recording rules (irm:dashboard:N), for promtool to parse."""
    rules = [{"record": f"irm:dashboard:{n}", "expr": q.expr} for n, q in enumerate(queries)]
    return yaml.safe_dump({"groups": [{"name": "irm-dashboard", "rules": rules}]}, sort_keys=False)


if __name__ == "__main__":
    print(as_rule_file(dashboard_queries()), end="")
