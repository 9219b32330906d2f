"""RFC 9457 problem details: the one shape every error of the API takes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:irm:problem:"


def _no_defaults(schema: dict[str, Any]) -> None:
    """Leave the optional members' `default: null` out: an absent member is not null."""
    for member in schema.get("properties", {}).values():
        member.pop("default", None)


class FieldProblem(BaseModel):
    """One offending field of a validation problem."""

    field: str | None = Field(description="The field as the client sent it, e.g. `criteria.0`.")
    message: str
    code: str | None = Field(description="Machine-readable, e.g. `missing`, `control_character`.")


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error answers (`application/problem+json`).

    Members beyond the standard ones are extensions a client may act on: `field` and `errors`
    for validation problems, `expected_version` and `current_version` for `version-mismatch`,
    `projected_position`, `min_position` and `log_position` for a read that cannot be served.
    """

    model_config = ConfigDict(extra="allow", title="Problem", json_schema_extra=_no_defaults)

    type: str = Field(
        description="`urn:irm:problem:<name>`: stable, the thing to branch on.",
        examples=[PROBLEM_TYPE_PREFIX + "incident-not-found"],
    )
    title: str = Field(description="A short human summary of the type.")
    status: int = Field(description="The HTTP status, repeated.")
    instance: str = Field(description="The request path.")
    detail: str | SkipJsonSchema[None] = Field(
        default=None, description="What exactly was wrong this time; absent when nothing to add."
    )
    field: str | None = Field(
        default=None, description="Validation problems: the first offending field."
    )
    errors: list[FieldProblem] | SkipJsonSchema[None] = Field(
        default=None, description="Validation problems: every offending field."
    )


class ProblemError(Exception):
    """An error answered as a problem document; `slug` makes its stable `type`."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(request: Request, problem: ProblemError) -> Response:
    """Render a ProblemError as `application/problem+json`."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extensions)
    return Response(
        content=orjson.dumps(body),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )
