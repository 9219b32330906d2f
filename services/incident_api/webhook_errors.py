"""Problem responses for the errors of the webhook subscription API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.incident_api.problems import ProblemError, problem_response
from shared.webhooks.subscriptions import SubscriptionNotFoundError
from shared.webhooks.url_guard import UnsafeUrlError


def install_webhook_error_handlers(app: FastAPI) -> None:
    """Register the handlers of the webhook errors."""
    app.add_exception_handler(SubscriptionNotFoundError, _not_found)
    app.add_exception_handler(UnsafeUrlError, _unsafe_url)


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem_response(
        request, ProblemError(404, "subscription-not-found", "Subscription not found", str(exc))
    )


async def _unsafe_url(request: Request, exc: Exception) -> Response:
    return problem_response(
        request,
        ProblemError(
            422,
            "unsafe-url",
            "The URL may not receive webhooks",
            str(exc),
            field="url",
            errors=[{"field": "url", "message": str(exc), "code": "unsafe_url"}],
        ),
    )
