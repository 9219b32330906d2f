"""Field types the on-call bodies share: a time zone, a clock time."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.oncall.time_zones import known_time_zones, zone


def _time_zone(name: str) -> str:
    zone(name)
    return name


class _ZoneNames:
    """The document lists every zone, so a client (and the fuzzer) knows which are taken."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema["enum"] = list(known_time_zones())
        schema["examples"] = ["Europe/Berlin"]
        return schema


TimeZone = Annotated[str, AfterValidator(_time_zone), _ZoneNames]
"""An IANA time zone name, e.g. Europe/Berlin."""

CLOCK_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
