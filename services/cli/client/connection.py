"""Opening the API for one command, and turning what goes wrong into a message and an exit code.

Exit codes: 0 done; 1 the server refused (its problem's title and detail are printed); 2 the
command line is wrong (typer); 4 not logged in, or the server refused the token; 5 the server
cannot be reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import typer
from rich.console import Console
from rich.markup import escape

from services.cli.client.config import Login, NoLoginError, current_login

if TYPE_CHECKING:
    from services.cli.client.http import ApiClient

EXIT_REFUSED: Final = 1
EXIT_NO_LOGIN: Final = 4
EXIT_UNREACHABLE: Final = 5


def out() -> Console:
    """Where results go (stdout): tables, confirmations, JSON."""
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    """Where messages go (stderr)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def api(login: Login | None = None) -> Iterator[ApiClient]:
    """The API of the logged-in server (or `login`); a failure ends the command with its
    message and exit code."""
    from services.cli.client.http import ApiClient, ProblemError, UnreachableError

    try:
        with ApiClient(login or current_login()) as client:
            yield client
    except NoLoginError as error:
        err().print(f"irm: {escape(str(error))}")
        raise typer.Exit(EXIT_NO_LOGIN) from None
    except UnreachableError as error:
        err().print(f"irm: {escape(str(error))}")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    except ProblemError as problem:
        report_problem(problem)
        code = EXIT_NO_LOGIN if problem.status == 401 else EXIT_REFUSED
        raise typer.Exit(code) from None


def report_problem(problem: Any) -> None:
    """Print a problem's title, status and detail (and each invalid field) to stderr."""
    console = err()
    console.print(f"[bold red]{escape(problem.title)}[/] ({problem.status} {problem.kind})")
    if problem.detail:
        console.print(escape(str(problem.detail)))
    errors = problem.problem.get("errors")
    if isinstance(errors, list) and len(errors) > 1:
        for item in errors:
            if isinstance(item, dict):
                console.print(
                    f"  {escape(str(item.get('field')))}: {escape(str(item.get('message')))}"
                )
    if problem.status == 401:
        console.print("Log in again with `irm login URL`, or set IRM_TOKEN.")


def print_json(value: Any) -> None:
    """The API's JSON as it answered, indented, for scripts (`--json`)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def done(message: str) -> None:
    """A short confirmation on stdout."""
    out().print(message)
