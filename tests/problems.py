"""Checking RFC 9457 answers, for every suite that talks to the API."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM = "urn:irm:problem:"


def assert_problem(
    response: httpx.Response, status: int, slug: str, *, field: str | None = None
) -> dict[str, Any]:
    """Check an RFC 9457 answer: status, content type, stable type and (if given) the field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == PROBLEM + slug, problem
    assert problem["status"] == status
    assert problem["title"]
    assert problem["instance"] == response.request.url.path
    if field is not None:
        assert problem["field"] == field, problem
    return problem
