"""The incident room (`/ui/incidents/INC-12`): state, roles, live timeline, the command forms."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.api_client import Problem
from services.console.commands import FORM_COMMANDS
from services.console.web import PostedForm, Viewer, ViewerDep, render

router = APIRouter(prefix="/ui/incidents", include_in_schema=False)

Reference = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
At = Annotated[int | None, Query(ge=0, le=2**63 - 1)]
_VERSION_CHANGED: Final = 412


@router.get("/{reference}")
async def room_page(
    request: Request, viewer: ViewerDep, reference: Reference, at: At = None
) -> HTMLResponse:
    """The room, as the read models have it (at least up to `at`, a command's position)."""
    context = await room_context(viewer, reference, at=at)
    return render(request, "room.html", context, viewer=viewer)


@router.get("/{reference}/live")
async def room_live(request: Request, viewer: ViewerDep, reference: Reference) -> HTMLResponse:
    """Only the room's state, roles and timeline: what the live script swaps in."""
    context = await room_context(viewer, reference, at=None, people=False)
    return render(request, "_room_live.html", context, viewer=viewer)


@router.post("/{reference}/commands/{name}")
async def give_command(
    request: Request,
    viewer: ViewerDep,
    fields: PostedForm,
    reference: Reference,
    name: Annotated[str, Path(pattern=r"^[a-z_]{1,30}$")],
) -> Response:
    """Send one form's command to the API; on success back to the room, else the problem."""
    form = FORM_COMMANDS.get(name)
    if form is None:
        return render(
            request, "message.html", {"message": "No such form."}, viewer=viewer, status_code=404
        )
    version = fields.get("version", "").strip()
    path = form.path.format(role=fields.get("role", ""))
    answer = await viewer.api.call(
        form.method,
        f"/v1/incidents/{reference}{path}",
        json=form.body(fields),
        headers={"If-Match": f'"{version}"'} if version.isdigit() else None,
    )
    if answer.is_success:
        position = answer.json()["position"]
        return RedirectResponse(
            f"/ui/incidents/{reference}?at={position}#timeline", status_code=303
        )
    problem = Problem.of(answer)
    context = await room_context(viewer, reference, at=None)
    changes: list[dict[str, Any]] = []
    if answer.status_code == _VERSION_CHANGED and version.isdigit():
        changes = [e for e in context["timeline"] if e["version"] > int(version)]
    context.update(
        failed_form=name, problem=problem, submitted=fields, changes=changes,
        conflict=answer.status_code == _VERSION_CHANGED,
    )  # fmt: skip
    return render(request, "room.html", context, viewer=viewer, status_code=answer.status_code)


async def room_context(
    viewer: Viewer, reference: str, *, at: int | None, people: bool = True
) -> dict[str, Any]:
    """What the room shows: the incident, its timeline, the forms the viewer may use."""
    incident = await viewer.api.read(f"/v1/incidents/{reference}", min_position=at)
    timeline = await viewer.api.read(f"/v1/incidents/{reference}/timeline", min_position=at)
    known: list[str] = []
    if people and viewer.may_write:
        known = [p["handle"] for p in (await viewer.api.read("/v1/people"))["items"]]
    forms = [
        f for f in FORM_COMMANDS.values() if viewer.may_write and incident["status"] in f.statuses
    ]
    return {
        "incident": incident,
        "timeline": timeline["items"],
        "forms": forms,
        "people": known,
        "failed_form": None,
        "problem": None,
        "submitted": {},
        "changes": [],
        "conflict": False,
    }
