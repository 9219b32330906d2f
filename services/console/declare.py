"""Declaring an incident from the console (`/ui/declare`)."""

from __future__ import annotations

import secrets
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.api_client import Problem
from services.console.board import SEVERITIES
from services.console.web import PostedForm, ViewerDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)

CRITERIA: Final = (
    ("production_workloads_affected", "Production workloads are affected"),
    ("customer_sla_at_risk", "A customer SLA may be impacted"),
    ("service_stability_at_risk", "Service stability is at risk"),
)


@router.get("/declare")
async def declare_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The declaration form."""
    return render(request, "declare.html", _context({}, [], None), viewer=viewer)


@router.post("/declare")
async def declare(request: Request, viewer: ViewerDep, fields: PostedForm) -> Response:
    """Declare through the API; the form's key makes a double submit declare once."""
    criteria = [c for c in (await request.form()).getlist("criteria") if isinstance(c, str)]
    body: dict[str, Any] = {
        "title": fields.get("title", "").strip(),
        "criteria": criteria,
        "services": [s.strip() for s in fields.get("services", "").split(",") if s.strip()],
    }
    if fields.get("severity") in SEVERITIES:
        body["severity"] = fields["severity"]
    if fields.get("description", "").strip():
        body["description"] = fields["description"].strip()
    key = fields.get("idempotency_key", "")
    answer = await viewer.api.call(
        "POST", "/v1/incidents", json=body, headers={"Idempotency-Key": key} if key else None
    )
    if answer.is_success:
        created = answer.json()
        return RedirectResponse(
            f"/ui/incidents/{created['reference']}?at={created['position']}", status_code=303
        )
    context = _context(fields, criteria, Problem.of(answer))
    return render(request, "declare.html", context, viewer=viewer, status_code=answer.status_code)


def _context(
    fields: dict[str, str], criteria: list[str], problem: Problem | None
) -> dict[str, Any]:
    return {
        "criteria": CRITERIA,
        "severities": SEVERITIES,
        "submitted": fields,
        "checked": set(criteria),
        "problem": problem,
        # A new key for each form shown: a refused declaration declared nothing.
        "idempotency_key": secrets.token_urlsafe(16),
    }
