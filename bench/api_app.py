"""The incident API alone, for `uvicorn --factory bench.api_app:create`.

`irm serve` runs the API, the projector and the notifier in one process; a deployment that
scales them apart runs the API like this, with `irm projector` and `irm notifier` beside it.
The memory benchmark measures each of those three processes.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from shared.logs import configure_logging


def create() -> FastAPI:
    """The API from `IRM_*` settings; its lifespan opens the database."""
    settings = ApiSettings()
    configure_logging(settings.log_level)
    return create_app(settings)
