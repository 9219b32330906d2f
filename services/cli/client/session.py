"""`irm login`, `irm logout` and `irm whoami`: which server the client talks to, as whom."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from services.cli.client.config import (
    Login,
    forget_login,
    login_path,
    normalized_url,
    save_login,
)
from services.cli.client.connection import api, done, err, print_json

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]


def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://irm.example.com.")],
    token: Annotated[
        str | None,
        # Hidden: a token typed on the command line stays in the shell's history; IRM_TOKEN
        # (or the prompt) is the way in.
        typer.Option(envvar="IRM_TOKEN", hidden=True, show_default=False),
    ] = None,
) -> None:
    """Check a token against a server and save both for the other commands (0600)."""
    secret = token or _ask_token()
    attempt = Login(url=normalized_url(url), token=secret.strip())
    with api(attempt) as client:
        me = client.get("/v1/me")
    path = save_login(attempt)
    done(
        f"Logged in to {escape(attempt.url)} as [bold]{escape(me['principal'])}[/] "
        f"(scope {me['scope']}); saved in {escape(str(path))}"
    )


def _ask_token() -> str:
    """The token from the terminal without echo, or the first line of piped input."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().strip()
        if not line:
            raise typer.BadParameter("no token on standard input", param_hint="TOKEN")
        return line
    secret: str = typer.prompt("Token", hide_input=True)
    return secret


def logout() -> None:
    """Forget the saved login (the token itself stays valid: an admin revokes it)."""
    if forget_login():
        done(f"Logged out: removed {escape(str(login_path()))}")
    else:
        err().print("irm: no saved login")


def whoami(as_json: JsonOption = False) -> None:
    """Who the token acts as, on which server."""
    with api() as client:
        me = client.get("/v1/me")
        if as_json:
            print_json(me)
            return
        expiry = me["expires_at"] or "never"
        done(
            f"{escape(me['principal'])} on {escape(client.url)} "
            f"(scope {me['scope']}, expires {expiry})"
        )
