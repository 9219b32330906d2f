"""`create_app_with_console(settings)`: the incident API with the console's pages, its static
files, and the offline API docs, as `irm serve` and `irm api` serve it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from services.console import auth, board, declare, metrics_page, reviews, room, stream
from services.console.api_client import ProblemAnswerError, SessionRefusedError
from services.console.api_docs import install_api_docs
from services.console.sessions import end_session
from services.console.web import (
    SESSION_COOKIE,
    CsrfRefusedError,
    SignInRequiredError,
    delete_cookie,
    install_templates,
    render,
    sign_in_redirect,
)
from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from shared.database import Database

STATIC: Final = Path(__file__).parent / "static"


def create_app_with_console(settings: ApiSettings, *, database: Database | None = None) -> FastAPI:
    """The API app (`create_app`) with the console installed on it."""
    app = create_app(settings, database=database)
    install_console(app)
    return app


def install_console(app: FastAPI) -> None:
    """Add the console to the API app, and /docs with assets served from this process."""
    install_templates(app)
    for module in (auth, board, declare, room, reviews, metrics_page, stream):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(SignInRequiredError, _sign_in_required)
    app.add_exception_handler(SessionRefusedError, _session_refused)
    app.add_exception_handler(CsrfRefusedError, _csrf_refused)
    app.add_exception_handler(ProblemAnswerError, _problem_answer)
    install_api_docs(app)


async def _sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequiredError)
    if request.url.path == "/ui/stream" or request.method != "GET":
        return render(request, "message.html", {"message": "Sign in first."}, status_code=401)
    return sign_in_redirect(error.back_to)


async def _session_refused(request: Request, error: Exception) -> Response:
    """The token behind the session stopped working (revoked, expired): sign in again."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret is not None:
        await end_session(request.app.state.services.pool, secret)
    response = sign_in_redirect(request.url.path)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


async def _csrf_refused(request: Request, _: Exception) -> Response:
    message = (
        "This form was refused: it did not come from this console's page (its CSRF token was "
        "missing or wrong, or it was sent from another site). Reload the page and try again."
    )
    return render(request, "message.html", {"message": message}, status_code=403)


async def _problem_answer(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemAnswerError)
    problem = error.problem
    return render(
        request,
        "message.html",
        {"message": f"{problem.title}: {problem.detail}"},
        status_code=problem.status,
    )
