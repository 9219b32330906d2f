"""What a 405 answer's `Allow` names: every method of the path, not only the first route's.

Starlette answers a method no route takes with the `Allow` of the first route whose path
matched; a path served by several routes (GET and POST of `/v1/subscriptions`) would then
leave some out. RFC 9110 (section 15.5.6) wants the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import Scope


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The `Allow` value for the request's path: the methods of every route that serves it."""
    path = _route_path(scope)
    methods: set[str] = set()
    for context in iter_route_contexts(routes):
        if context.path is not None and context.methods and _regex(context.path).match(path):
            methods |= context.methods
    return ", ".join(sorted(methods))


def _route_path(scope: Scope) -> str:
    """The path as the routes see it: without the prefix the app is mounted under, if any."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    return path[len(root_path) :] if root_path and path.startswith(root_path) else path


@lru_cache(maxsize=512)
def _regex(route_path: str) -> re.Pattern[str]:
    return compile_path(route_path)[0]
