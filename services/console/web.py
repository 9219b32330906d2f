"""What every console page needs: the signed-in viewer, CSRF checks, and rendering."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.console.api_client import ApiClient
from services.console.sessions import ConsoleSession, find_session
from services.incident_api.deps import ServicesDep

SESSION_COOKIE: Final = "irm_console"
SIGN_IN_COOKIE: Final = "irm_console_sign_in"
"""Before a session exists, the sign-in form's CSRF token (double-submitted)."""
COOKIE_PATH: Final = "/ui"
TEMPLATES: Final = Path(__file__).parent / "templates"
CONTENT_SECURITY_POLICY: Final = (
    # Only the console's own script runs; no page may frame the console (clickjacking); forms
    # post only here. Inline styles are allowed for the SVG charts' own <style>.
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SignInRequiredError(Exception):
    """The page needs a session and the browser has none (or it ended)."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class CsrfRefusedError(Exception):
    """A form post without this session's CSRF token, or from another site."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person looking at a page, and the API on their behalf."""

    session: ConsoleSession
    secret: str
    api: ApiClient

    @property
    def name(self) -> str:
        """The principal's handle."""
        return self.session.principal

    @property
    def may_write(self) -> bool:
        """Whether the token may give commands (its scope is write or admin)."""
        return self.session.scope in ("write", "admin")


async def get_viewer(request: Request, services: ServicesDep) -> AsyncIterator[Viewer]:
    """The viewer behind the session cookie; without one, off to sign in. A post from another
    site is refused first (its cookie is not sent anyway: SameSite=Strict)."""
    if request.method == "POST":
        check_same_origin(request)
    secret = request.cookies.get(SESSION_COOKIE)
    session = None if secret is None else await find_session(services.pool, secret)
    if secret is None or session is None:
        raise SignInRequiredError(_here(request))
    api = ApiClient(request, session.token)
    try:
        # The token is checked on every page, as the API checks it on every request (cached
        # there, and forgotten on revocation), so a revoked token ends its sessions at once.
        await api.call("GET", "/v1/me")
        yield Viewer(session, secret, api)
    finally:
        await api.aclose()


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def check_csrf(request: Request, viewer: ViewerDep) -> dict[str, str]:
    """The posted form, once its CSRF token is this session's (and it came from this site)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sent = fields.pop("csrf_token", "")
    if not secrets.compare_digest(sent.encode(), viewer.session.csrf_token.encode()):
        raise CsrfRefusedError
    return fields


PostedForm = Annotated[dict[str, str], Depends(check_csrf)]


def check_same_origin(request: Request) -> None:
    """Refuse a post whose Origin is another site's (browsers send it with form posts)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        if origin == "null":
            raise CsrfRefusedError
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own:
        raise CsrfRefusedError


def _here(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page of this site, never elsewhere."""
    if not target:
        return "/ui/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in target:
        return "/ui/"
    return target


def sign_in_redirect(back_to: str) -> RedirectResponse:
    """To the sign-in page, remembering the page asked for."""
    return RedirectResponse(f"/ui/sign-in?next={quote(back_to, safe='')}", status_code=303)


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """An HttpOnly, SameSite=Strict cookie for the console's paths (Secure over HTTPS)."""
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def delete_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a console cookie."""
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def install_templates(app: FastAPI) -> None:
    """The app's Jinja2 environment, with the console's filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["ago"] = ago
    templates.env.filters["when"] = when
    templates.env.filters["role_name"] = role_name
    templates.env.filters["words"] = lambda s: str(s).replace("_", " ")
    app.state.console_templates = templates


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    viewer: Viewer | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page, with the viewer (for the header and the forms' CSRF token) and the time."""
    templates: Jinja2Templates = request.app.state.console_templates
    page = {
        "viewer": viewer.name if viewer else None,
        "csrf_token": viewer.session.csrf_token if viewer else None,
        "now": datetime.now(UTC),
        **context,
    }
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _parse(moment: str | datetime | None) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime.fromisoformat(moment)


def ago(moment: str | datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest two units ("3h 12m"); "never" for none."""
    at = _parse(moment)
    if at is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - at).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def when(moment: str | datetime | None) -> str:
    """A time in UTC, to the second."""
    at = _parse(moment)
    return "—" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def role_name(role: str) -> str:
    """The role's name as people say it."""
    return {
        "incident_commander": "Incident Commander",
        "communications_lead": "Communications Lead",
        "operations_lead": "Operations Lead",
    }.get(role, role.replace("_", " "))
