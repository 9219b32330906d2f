"""`irm`: run the services, and manage what they need, from one console script.

Each command imports what it runs only when it runs, so `irm projector` does not pay for
FastAPI and `irm tokens create` starts quickly; a restarted worker is back sooner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from services.cli.client import add_client_commands
from services.cli.people import people_app
from shared.logs import configure_logging
from shared.tokens import Scope

if TYPE_CHECKING:
    from datetime import datetime, timedelta
    from uuid import UUID

    from services.incident_api.settings import ApiSettings
    from shared.settings import CommonSettings
    from shared.tokens import TokenRecord

app = typer.Typer(help="Incident response management on an event log.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
app.add_typer(people_app, name="people")
projector_app = typer.Typer(
    help="The projector: keeps the read models in step with the event log.",
    invoke_without_command=True,
)
app.add_typer(projector_app, name="projector")
add_client_commands(app)

# Messages for people go to stderr, so stdout carries only what a script may capture.
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the API, the projector and the notifier in one process (embedded PostgreSQL
    unless IRM_DATABASE_URL is set)."""
    from services.cli import serve as serving

    settings = _api_settings(host, port)
    configure_logging(settings.log_level)
    asyncio.run(serving.serve(settings, console))


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the API alone, without the projector and the notifier, as a deployment runs it; the
    schema must be current (irm migrate)."""
    from services.cli import serve as serving

    settings = _api_settings(host, port)
    configure_logging(settings.log_level)
    _refusing_a_behind_schema(lambda: asyncio.run(serving.serve_api(settings, console)))


def _api_settings(host: str | None, port: int | None) -> ApiSettings:
    """The API's settings from the environment, with --host and --port when given."""
    from services.incident_api.settings import ApiSettings

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    return ApiSettings(**overrides)  # type: ignore[arg-type]


@app.command()
def migrate() -> None:
    """Apply the schema migrations the database lacks, print them, and exit: for a Kubernetes
    Job or a compose one-shot before the other processes start."""
    import asyncpg

    from shared.database import migrate_database
    from shared.settings import CommonSettings

    settings = CommonSettings()
    configure_logging(settings.log_level)
    try:
        applied, version = asyncio.run(migrate_database(settings))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        console.print(f"irm migrate failed: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if applied:
        typer.echo(f"applied schema migrations {', '.join(map(str, applied))}")
    else:
        typer.echo("no schema migration to apply")
    typer.echo(f"schema version {version}")


def _refusing_a_behind_schema(run: Callable[[], None]) -> None:
    """Run a process that does not migrate; on a schema that is behind, say so and exit 3."""
    from shared.database import SchemaBehindError

    try:
        run()
    except SchemaBehindError as error:
        console.print(f"irm: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(SCHEMA_BEHIND_EXIT) from None


SCHEMA_BEHIND_EXIT = 3
"""The exit code of `irm api`, `irm projector` and `irm notifier` on a schema that is behind."""


@tokens_app.command("create")
def tokens_create(
    principal: Annotated[str, typer.Option(help="Who the token acts as, e.g. alice.")],
    scope: Annotated[Scope, typer.Option(help="read, write or admin.")] = Scope.WRITE,
    expires_in: Annotated[
        str | None,
        typer.Option(help="Expire after this long: 90d, 12h, 30m, 45s or 2w (default: never)."),
    ] = None,
) -> None:
    """Create an API token and print it once; only its hash is stored."""
    from shared.settings import CommonSettings
    from shared.tokens import parse_duration

    lifetime = None
    if expires_in is not None:
        try:
            lifetime = parse_duration(expires_in)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--expires-in") from None
    settings = CommonSettings()
    configure_logging(settings.log_level)
    token = asyncio.run(_create_token(settings, principal, scope, lifetime))
    typer.echo(token)


async def _create_token(
    settings: CommonSettings, principal: str, scope: Scope, lifetime: timedelta | None
) -> str:
    from shared.database import open_database
    from shared.tokens import create_token

    async with open_database(settings) as database:
        expires_at = None
        if lifetime is not None:
            now: datetime = await database.pool.fetchval("SELECT now()")
            expires_at = now + lifetime
        return await create_token(
            database.pool, principal=principal, scope=scope, expires_at=expires_at
        )


@tokens_app.command("list")
def tokens_list() -> None:
    """List every token: its public id, principal, scope, status, expiry and last use (never
    the secret). Tab-separated, one token a line, after a header line."""
    from shared.settings import CommonSettings

    settings = CommonSettings()
    configure_logging(settings.log_level)
    records = asyncio.run(_list_tokens(settings))
    typer.echo("\t".join(_TOKEN_COLUMNS))
    for record in records:
        typer.echo(
            "\t".join(
                [
                    str(record.id),
                    record.principal,
                    record.scope.value,
                    record.status(),
                    _when(record.created_at),
                    _when(record.expires_at),
                    _when(record.last_used_at),
                    _when(record.revoked_at),
                ]
            )
        )


_TOKEN_COLUMNS = (
    "id",
    "principal",
    "scope",
    "status",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="seconds")


async def _list_tokens(settings: CommonSettings) -> list[TokenRecord]:
    from shared.database import open_database
    from shared.tokens import list_tokens

    async with open_database(settings) as database:
        return await list_tokens(database.pool)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The id `irm tokens list` shows.")],
) -> None:
    """Revoke a token: every API process refuses it within a second."""
    from uuid import UUID

    from shared.settings import CommonSettings

    try:
        public_id = UUID(token_id)
    except ValueError:
        raise typer.BadParameter(
            f"{token_id!r} is not a token id (see irm tokens list)", param_hint="ID"
        ) from None
    settings = CommonSettings()
    configure_logging(settings.log_level)
    record = asyncio.run(_revoke_token(settings, public_id))
    if record is None:
        console.print(f"No token {public_id}.")
        raise typer.Exit(1)
    console.print(f"Revoked token {record.id} of {record.principal} ({record.scope.value}).")


async def _revoke_token(settings: CommonSettings, token_id: UUID) -> TokenRecord | None:
    from services.cli.who import cli_user
    from shared.database import open_database
    from shared.tokens import revoke_token

    async with open_database(settings) as database:
        return await revoke_token(database.pool, token_id, revoked_by=cli_user())


@projector_app.callback()
def projector(ctx: typer.Context) -> None:
    """Run the projector until stopped (SIGINT or SIGTERM); the schema must be current (irm
    migrate)."""
    if ctx.invoked_subcommand is not None:
        return
    from services.projector.runner import run_projector
    from services.projector.settings import ProjectorSettings
    from shared.follower_process import run_follower_process

    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    _refusing_a_behind_schema(lambda: asyncio.run(run_follower_process(settings, run_projector)))


@projector_app.command("rebuild")
def projector_rebuild(
    batch_size: Annotated[int, typer.Option(min=1, help="Events read per batch.")] = 5_000,
) -> None:
    """Rebuild every read model from the log, then switch over atomically."""
    from services.cli import workers
    from services.projector.settings import ProjectorSettings

    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    result = asyncio.run(workers.rebuild(settings, batch_size, console))
    console.print(
        f"Rebuilt {result.incidents} incidents from {result.events} events "
        f"(up to position {result.position})."
    )


@app.command()
def notifier() -> None:
    """Run the notifier until stopped: webhooks, retries and overdue-update reminders; the
    schema must be current (irm migrate)."""
    from services.notifier.runner import run_notifier
    from services.notifier.settings import NotifierSettings
    from shared.follower_process import run_follower_process

    settings = NotifierSettings()
    configure_logging(settings.log_level)
    _refusing_a_behind_schema(lambda: asyncio.run(run_follower_process(settings, run_notifier)))


def run() -> None:
    """Entry point of the console script."""
    app()
