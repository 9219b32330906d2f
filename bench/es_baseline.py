"""The baseline for loading: eventsourcing's own Application on its PostgreSQL persistence.

It lives in the benchmark's database under its own table prefix (`esbaseline_events`,
`esbaseline_snapshots`), configured the documented way, through POSTGRES_* settings.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from bench.server import conn_params
from shared.eventstore.mapper import FollowUpAsDict, ReviewAsDict

APP_NAME = "EsBaseline"


class EsBaseline(Application[UUID]):
    """A plain eventsourcing application; snapshots are enabled but taken explicitly."""

    name = APP_NAME
    is_snapshotting_enabled = True

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """eventsourcing's defaults plus the review's state, which snapshots carry."""
        super().register_transcodings(transcoder)
        transcoder.register(ReviewAsDict())
        transcoder.register(FollowUpAsDict())


def eventsourcing_env(url: str, **settings: str) -> dict[str, str]:
    """eventsourcing's documented configuration for the database at `url` (POSTGRES_*
    variables, tables created on construction), plus `settings`."""
    params = conn_params(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params.dbname,
        "POSTGRES_HOST": params.host,
        "POSTGRES_PORT": params.port,
        "POSTGRES_USER": params.user,
        "POSTGRES_PASSWORD": params.password,
        "CREATE_TABLE": "y",
        **settings,
    }


def open_baseline(url: str) -> EsBaseline:
    """The application on the database at `url` (its tables are created on construction)."""
    return EsBaseline(env=eventsourcing_env(url, POSTGRES_SCHEMA=""))
