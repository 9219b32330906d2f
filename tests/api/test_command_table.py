"""Each command's fields are the keyword arguments of the Incident method it calls."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields

import pytest

from services.incident_api import commands
from services.incident_api.commands import DeclareIncident, IncidentCommand
from shared.domain.incident import Incident


def keyword_arguments(method: Callable[..., object]) -> list[str]:
    """The names of a method's keyword-only parameters, in order."""
    parameters = inspect.signature(method).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def all_commands() -> list[type[IncidentCommand]]:
    """The command classes the API runs."""
    return [
        value
        for value in vars(commands).values()
        if isinstance(value, type)
        and issubclass(value, IncidentCommand)
        and value is not IncidentCommand
    ]


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: c.__name__)
def test_a_command_calls_a_method_that_takes_exactly_its_fields(
    command: type[IncidentCommand],
) -> None:
    assert sorted(f.name for f in fields(command)) == sorted(keyword_arguments(command.calls))


def test_each_command_calls_another_method() -> None:
    called = {command.calls.__name__ for command in all_commands()}

    assert len(called) == len(all_commands()) == 29


def test_declaring_takes_the_fields_of_declare_incident() -> None:
    arguments = set(keyword_arguments(Incident.declare)) - {"actor", "number"}

    assert {f.name for f in fields(DeclareIncident)} == arguments
