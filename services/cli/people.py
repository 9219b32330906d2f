"""`irm people`: the people irm knows, whom incident roles may be given to, and how to reach
them."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from services.cli.who import cli_user
from shared.logs import configure_logging

if TYPE_CHECKING:
    from services.notifier.contact_delivery import Sent
    from services.notifier.contact_settings import ContactSettings
    from shared.oncall.contacts import ContactMethod, ContactTarget
    from shared.people import Person
    from shared.settings import CommonSettings

people_app = typer.Typer(help="The people who may be given incident roles.", no_args_is_help=True)
console = Console(stderr=True)


@people_app.command("add")
def people_add(
    handle: Annotated[
        str, typer.Argument(metavar="NAME", help="Their handle: the principal they act as.")
    ],
    display_name: Annotated[
        str | None, typer.Option(help="How to show their name, e.g. 'Alice Liddell'.")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option(help="Their IANA time zone, e.g. Europe/Berlin.")
    ] = None,
    email: Annotated[
        list[str] | None, typer.Option(help="An email address to page (repeatable).")
    ] = None,
    webhook: Annotated[
        list[str] | None, typer.Option(help="A webhook URL to page (repeatable).")
    ] = None,
) -> None:
    """Add someone who may be given incident roles (a token's principal is known already).
    A webhook's signing secret is printed on stdout, once."""
    from shared.oncall.contacts import ContactTarget
    from shared.oncall.time_zones import zone
    from shared.people import PersonExistsError, checked_handle
    from shared.settings import CommonSettings
    from shared.webhooks.url_guard import UnsafeUrlError

    try:
        handle = checked_handle(handle)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="NAME") from None
    if time_zone is not None:
        try:
            zone(time_zone)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--time-zone") from None
    targets = [ContactTarget("email", a) for a in email or []]
    targets += [ContactTarget("webhook", u) for u in webhook or []]
    settings = CommonSettings()
    configure_logging(settings.log_level)
    try:
        person, methods = asyncio.run(_add(settings, handle, display_name, time_zone, targets))
    except PersonExistsError as exists:
        console.print(f"{exists}.")
        raise typer.Exit(1) from None
    except UnsafeUrlError as refused:
        console.print(f"Refused: {refused}")
        raise typer.Exit(1) from None
    console.print(f"Added {person.handle}.")
    for method in methods:
        if method.secret is not None:
            console.print(f"Signing secret of {method.target} (shown only now):")
            typer.echo(method.secret)


@people_app.command("list")
def people_list() -> None:
    """List everyone known: handle and display name, tab-separated, after a header line."""
    from shared.settings import CommonSettings

    settings = CommonSettings()
    configure_logging(settings.log_level)
    typer.echo("handle\tdisplay_name")
    for person in asyncio.run(_list(settings)):
        typer.echo(f"{person.handle}\t{person.display_name or '-'}")


@people_app.command("test")
def people_test(
    handle: Annotated[str, typer.Argument(metavar="NAME", help="Whom to send it to.")],
) -> None:
    """Send a test notification to each of the person's contact methods, as a page would go
    (email through IRM_SMTP_URL), and print what became of each, tab-separated: type,
    target, delivered|failed, detail. Exits 1 if any failed or there is none."""
    from services.notifier.contact_settings import ContactSettings

    settings = ContactSettings()
    configure_logging(settings.log_level)
    found, results = asyncio.run(_test(settings, handle.strip()))
    if not found:
        console.print(f"Nobody is {handle.strip()!r}.")
        raise typer.Exit(1)
    if not results:
        console.print(f"{handle.strip()} has no contact methods.")
        raise typer.Exit(1)
    for sent in results:
        outcome = "delivered" if sent.delivered else "failed"
        typer.echo(f"{sent.type}\t{sent.target}\t{outcome}\t{sent.detail}")
    if not all(sent.delivered for sent in results):
        raise typer.Exit(1)


async def _add(
    settings: CommonSettings,
    handle: str,
    display_name: str | None,
    time_zone: str | None,
    targets: list[ContactTarget],
) -> tuple[Person, list[ContactMethod]]:
    from shared.database import open_database
    from shared.oncall.contacts import set_contact_methods
    from shared.people import add_person
    from shared.webhooks.url_guard import check_url

    for target in targets:
        if target.type == "webhook":
            await check_url(target.target, settings.allowlist())
    async with (
        open_database(settings) as database,
        database.pool.acquire() as conn,
        conn.transaction(),
    ):
        person = await add_person(
            conn, handle, display_name=display_name, time_zone=time_zone, created_by=cli_user()
        )
        methods = await set_contact_methods(conn, handle, targets, set_by=cli_user())
    return person, methods


async def _list(settings: CommonSettings) -> list[Person]:
    from shared.database import open_database
    from shared.people import list_people

    async with open_database(settings) as database:
        return await list_people(database.pool)


async def _test(settings: ContactSettings, handle: str) -> tuple[bool, list[Sent]]:
    from services.notifier.contact_delivery import ContactSender, Notice
    from shared.database import open_database
    from shared.oncall.contacts import reachable
    from shared.people import find_person

    async with open_database(settings) as database:
        if await find_person(database.pool, handle) is None:
            return False, []
        methods = await reachable(database.pool, handle)
    notice = Notice(
        id=f"msg_{uuid.uuid4().hex}",
        kind="test_notification",
        subject=f"irm: test notification for {handle}",
        text=f"This is a test notification from irm for {handle}. Pages will reach you here.",
        data={"handle": handle},
    )
    async with ContactSender(settings) as sender:
        results = await asyncio.gather(*(sender.send(m, notice) for m in methods))
    return True, list(results)
