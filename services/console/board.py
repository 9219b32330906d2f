"""The live board (`/ui/`): open incidents by severity, with filters; refreshed live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.console.web import ViewerDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)

SEVERITIES: Final = ("P1", "P2", "P3", "P4")
STATUSES: Final = ("open", "resolved", "closed")
_PAGE: Final = 200
_MOST_PAGES: Final = 25
"""The board shows at most 5,000 incidents; a filter narrows it."""


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """What the board's filters ask for."""

    mine: bool
    severity: str
    service: str
    status: str

    def query(self, viewer_name: str) -> dict[str, Any]:
        """The list endpoint's query parameters for this filter."""
        return {
            "involves": viewer_name if self.mine else None,
            "severity": self.severity if self.severity in SEVERITIES else None,
            "service": self.service.strip() or None,
            "status": self.status if self.status in STATUSES else None,
        }

    def link(self) -> str:
        """The board fragment's address with this filter (for the live refresh)."""
        parts = {
            "mine": "1" if self.mine else "",
            "severity": self.severity,
            "service": self.service,
            "status": self.status,
        }
        from urllib.parse import urlencode

        return "/ui/board?" + urlencode({k: v for k, v in parts.items() if v})


Mine = Annotated[str, Query(max_length=10)]
Text = Annotated[str, Query(max_length=200)]


def board_filter(
    mine: Mine = "", severity: Text = "", service: Text = "", status: Text = "open"
) -> BoardFilter:
    """The board's filters from the query (the page's and its live fragment's alike)."""
    return BoardFilter(
        mine=mine in ("1", "on", "true"),
        severity=severity,
        service=service,
        status=status if status in (*STATUSES, "any") else "open",
    )


FilterDep = Annotated[BoardFilter, Depends(board_filter)]


@router.get("/")
async def board_page(request: Request, viewer: ViewerDep, wanted: FilterDep) -> HTMLResponse:
    """The board with its filters."""
    context = await _board(viewer, wanted)
    return render(request, "board.html", context, viewer=viewer)


@router.get("/board")
async def board_fragment(request: Request, viewer: ViewerDep, wanted: FilterDep) -> HTMLResponse:
    """Only the board's groups: what the live script swaps in when something happens."""
    context = await _board(viewer, wanted)
    return render(request, "_board.html", context, viewer=viewer)


async def _board(viewer: ViewerDep, wanted: BoardFilter) -> dict[str, Any]:
    incidents: list[dict[str, Any]] = []
    cursor = None
    for _ in range(_MOST_PAGES):
        page = await viewer.api.read(
            "/v1/incidents", **wanted.query(viewer.name), limit=_PAGE, cursor=cursor
        )
        incidents.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    groups: dict[str, list[dict[str, Any]]] = {s: [] for s in (*SEVERITIES, "unclassified")}
    for incident in incidents:
        groups[incident["severity"] or "unclassified"].append(incident)
    return {
        "groups": [(severity, items) for severity, items in groups.items() if items],
        "count": len(incidents),
        "filter": wanted,
        "severities": SEVERITIES,
        "statuses": STATUSES,
        "fragment_url": wanted.link(),
        "truncated": cursor is not None,
    }
