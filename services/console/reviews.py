"""The post-mortem page (`/ui/incidents/INC-12/postmortem`) and the follow-ups (`/ui/follow-ups`).

The post-mortem shown is the API's own Markdown document (GET …/postmortem with Accept:
text/markdown), rendered to HTML with raw HTML switched off; the download is that document.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt

from services.console.api_client import Problem, ProblemAnswerError
from services.console.commands import Fields, FormCommand, body_of
from services.console.room import Reference
from services.console.web import PostedForm, Viewer, ViewerDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)

_REVIEW: Final = ("open", "resolved", "closed")
REVIEW_COMMANDS: Final = {
    c.name: c
    for c in (
        FormCommand("start", "Start the review", "POST", "", body_of("facilitator"), _REVIEW),
        FormCommand("root-cause", "Root cause", "POST", "/root-cause", body_of("text"), _REVIEW),
        FormCommand("contributing-factors", "Add a contributing factor", "POST",
                    "/contributing-factors", body_of("text", "category"), _REVIEW),
        FormCommand("recommendations", "Add a preventive recommendation", "POST",
                    "/recommendations", body_of("text"), _REVIEW),
        FormCommand("follow-ups", "Add a follow-up action", "POST", "/follow-ups",
                    body_of("title", "owner", "due_date", "ticket"), _REVIEW),
        FormCommand("publish", "Publish the review", "POST", "/publish",
                    body_of("no_follow_up_reason"), _REVIEW),
    )
}  # fmt: skip
FollowUpId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]


@router.get("/incidents/{reference}/postmortem")
async def postmortem_page(
    request: Request, viewer: ViewerDep, reference: Reference
) -> HTMLResponse:
    """The review as the API's Markdown document, with the forms that edit it."""
    context = await _postmortem_context(viewer, reference)
    return render(request, "postmortem.html", context, viewer=viewer)


@router.get("/incidents/{reference}/postmortem.md")
async def postmortem_download(viewer: ViewerDep, reference: Reference) -> Response:
    """The post-mortem document, as the API renders it, to save."""
    document = await _markdown(viewer, reference)
    return Response(
        document,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{reference}-postmortem.md"'},
    )


@router.post("/incidents/{reference}/postmortem/commands/{name}")
async def review_command(
    request: Request,
    viewer: ViewerDep,
    fields: PostedForm,
    reference: Reference,
    name: Annotated[str, Path(pattern=r"^[a-z-]{1,30}$")],
) -> Response:
    """One review form's command, through the API."""
    form = REVIEW_COMMANDS.get(name)
    if form is None:
        return render(
            request, "message.html", {"message": "No such form."}, viewer=viewer, status_code=404
        )
    return await _send(
        request, viewer, reference, f"/postmortem{form.path}", form.body(fields), fields, name
    )


@router.post("/incidents/{reference}/postmortem/follow-ups/{follow_up}/complete")
async def complete_follow_up(
    request: Request,
    viewer: ViewerDep,
    fields: PostedForm,
    reference: Reference,
    follow_up: FollowUpId,
) -> Response:
    """Mark a follow-up done, through the API."""
    path = f"/postmortem/follow-ups/{follow_up}/complete"
    body = body_of("note")(fields)
    back = fields.get("back", "")
    if back == "follow-ups":
        answer = await viewer.api.call("POST", f"/v1/incidents/{reference}{path}", json=body)
        if answer.is_success:
            return RedirectResponse("/ui/follow-ups", status_code=303)
        raise ProblemAnswerError(Problem.of(answer))
    return await _send(request, viewer, reference, path, body, fields, f"complete-{follow_up}")


async def _send(
    request: Request,
    viewer: Viewer,
    reference: str,
    path: str,
    body: dict[str, Any] | None,
    fields: Fields,
    name: str,
) -> Response:
    version = fields.get("version", "").strip()
    answer = await viewer.api.call(
        "POST",
        f"/v1/incidents/{reference}{path}",
        json=body,
        headers={"If-Match": f'"{version}"'} if version.isdigit() else None,
    )
    if answer.is_success:
        return RedirectResponse(f"/ui/incidents/{reference}/postmortem", status_code=303)
    context = await _postmortem_context(viewer, reference)
    context.update(failed_form=name, problem=Problem.of(answer), submitted=fields)
    status = answer.status_code
    return render(request, "postmortem.html", context, viewer=viewer, status_code=status)


async def _markdown(viewer: Viewer, reference: str) -> str:
    answer = await viewer.api.call(
        "GET", f"/v1/incidents/{reference}/postmortem", headers={"Accept": "text/markdown"}
    )
    if answer.is_error:
        raise ProblemAnswerError(Problem.of(answer))
    return answer.text


async def _postmortem_context(viewer: Viewer, reference: str) -> dict[str, Any]:
    # The review is read from the incident's events, so it already has the last command.
    postmortem = await viewer.api.read(f"/v1/incidents/{reference}/postmortem")
    document = await _markdown(viewer, reference)
    people = [p["handle"] for p in (await viewer.api.read("/v1/people"))["items"]]
    return {
        "reference": reference,
        "postmortem": postmortem,
        "review": postmortem["review"],
        # Raw HTML in the document (a title, a root cause) stays text: html is off.
        "document_html": MarkdownIt("commonmark", {"html": False}).enable("table").render(document),
        "forms": list(REVIEW_COMMANDS.values()) if viewer.may_write else [],
        "people": people,
        "failed_form": None,
        "problem": None,
        "submitted": {},
    }


@router.get("/follow-ups")
async def follow_ups_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """Open follow-ups by owner, overdue ones first and marked."""
    listed = await viewer.api.read("/v1/follow-ups", status="open", limit=500)
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in listed["items"]:
        by_owner[item["owner"]].append(item)
    owners = [
        (owner, sorted(items, key=lambda i: (not i["overdue"], i["due_date"])))
        for owner, items in sorted(by_owner.items())
    ]
    overdue = sum(1 for i in listed["items"] if i["overdue"])
    context = {"owners": owners, "count": len(listed["items"]), "overdue": overdue}
    return render(request, "follow_ups.html", context, viewer=viewer)
