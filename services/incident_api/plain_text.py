"""Plain text: what any text a client sends may hold.

No text field or query parameter may hold a C0 control character (U+0000 to U+001F) but tab,
newline and carriage return. PostgreSQL refuses NUL outright, and the others have no place in
an incident's record: they would be stored for good and sent on in webhooks and post-mortems.
DEL and the C1 range are ordinary characters here.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_PLAIN = r"[^\x00-\x08\x0b\x0c\x0e-\x1f]"
# What trimming (Pydantic's strip_whitespace: Unicode White_Space) leaves; spelled out, since
# `\s` of the document's regex dialect (ECMA-262) is another set.
_NOT_BLANK = r"[^\x00-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

PLAIN_TEXT_PATTERN = f"^{_PLAIN}*$"
"""The document's `pattern` of a text: no control character."""

NOT_BLANK_TEXT_PATTERN = f"^{_PLAIN}*{_NOT_BLANK}{_PLAIN}*$"
"""The document's `pattern` of a trimmed text that may not be empty: something but spaces too."""

CONTROL_CHARACTER_CODE = "control_character"
"""The error `code` of a text refused for a control character."""


def control_character_message(text: str) -> str | None:
    """Why `text` is refused (its first control character and where), or None if it is plain."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return (
        "must not contain control characters; "
        f"found U+{ord(found.group()):04X} at index {found.start()}"
    )


def _refuse_control_characters(value: Any) -> Any:
    if isinstance(value, str) and (message := control_character_message(value)) is not None:
        raise PydanticCustomError(CONTROL_CHARACTER_CODE, message)
    return value


class _PlainText:
    """Refuse a control character before the value is trimmed, and say so in the document."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(
            _refuse_control_characters, handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        # A pattern of its own (a due date's) admits no control character already.
        if json_schema.get("type") == "string" and "pattern" not in json_schema:
            text: dict[str, Any] = dict(schema.get("schema", {}))
            not_blank = text.get("strip_whitespace") and text.get("min_length", 0) > 0
            json_schema["pattern"] = NOT_BLANK_TEXT_PATTERN if not_blank else PLAIN_TEXT_PATTERN
        return json_schema


PLAIN_TEXT = _PlainText()
"""Annotated metadata for a `str` field: refuse a control character, before any trimming (so
one at either end is refused too, not trimmed away); its JSON schema gets the pattern that
says so (`NOT_BLANK_TEXT_PATTERN` when it is trimmed and may not be empty)."""
