"""Answering a query in Markdown when the client asks for it (timeline, post-mortem)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header
from fastapi.responses import PlainTextResponse

Accept = Annotated[str | None, Header()]


def wants_markdown(accept: str | None) -> bool:
    """Whether the Accept header asks for Markdown rather than JSON."""
    return bool(accept and "text/markdown" in accept and "application/json" not in accept)


def markdown(document: str, *, headers: dict[str, str] | None = None) -> PlainTextResponse:
    """A Markdown answer."""
    return PlainTextResponse(document, media_type="text/markdown; charset=utf-8", headers=headers)
