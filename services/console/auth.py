"""Signing in to the console with a token, once, and signing out."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.api_client import ApiClient, Problem, SessionRefusedError
from services.console.sessions import end_session, start_session
from services.console.web import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CsrfRefusedError,
    PostedForm,
    ViewerDep,
    check_same_origin,
    delete_cookie,
    render,
    safe_next,
    set_cookie,
)
from services.incident_api.deps import ServicesDep

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next_page: Annotated[str, Query(alias="next", max_length=2000)] = "/ui/"
) -> HTMLResponse:
    """The sign-in form: paste a token."""
    return _sign_in_form(request, next_page, error=None, status_code=200)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=2000)] = "/ui/",
) -> Response:
    """Check the token with the API (GET /v1/me), then start a session for it."""
    check_same_origin(request)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        raise CsrfRefusedError
    token = token.strip()
    if not token:
        return _sign_in_form(request, next_page, error="Paste a token.", status_code=422)
    api = ApiClient(request, token)
    try:
        answer = await api.call("GET", "/v1/me")
    except SessionRefusedError as refused:
        return _sign_in_form(
            request, next_page, error=f"The token was refused: {refused}", status_code=401
        )
    finally:
        await api.aclose()
    if answer.is_error:
        problem = Problem.of(answer)
        return _sign_in_form(
            request,
            next_page,
            error=f"{problem.title}: {problem.detail}",
            status_code=answer.status_code,
        )
    me = answer.json()
    expires = me.get("expires_at")
    secret, _ = await start_session(
        services.pool,
        principal=me["principal"],
        scope=me["scope"],
        token=token,
        token_expires_at=datetime.fromisoformat(expires) if expires else None,
    )
    response = RedirectResponse(safe_next(next_page), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, secret)
    delete_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(
    request: Request, viewer: ViewerDep, services: ServicesDep, _: PostedForm
) -> Response:
    """End the session: its cookie opens nothing any more."""
    await end_session(services.pool, viewer.secret)
    response = RedirectResponse("/ui/sign-in?signed_out=1", status_code=303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


def _sign_in_form(
    request: Request, next_page: str, *, error: str | None, status_code: int
) -> HTMLResponse:
    """The form, with a fresh CSRF token in a cookie of its own (there is no session yet)."""
    csrf_token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        {
            "next_page": safe_next(next_page),
            "sign_in_csrf": csrf_token,
            "error": error,
            "signed_out": request.query_params.get("signed_out") == "1",
        },
        status_code=status_code,
    )
    set_cookie(request, response, SIGN_IN_COOKIE, csrf_token)
    return response
