"""DDL of the read-model tables, per schema, so a rebuild can build beside the live ones.

The migrations (`shared.migrations`, fixed SQL) create the live tables in `public`; this DDL is
what a rebuild creates in its side schema and swaps in. The two must agree: a migration that
changes a read model's shape comes with the same change here (a test compares them).
"""

from __future__ import annotations

from typing import Final

from shared.tracking import TRACKING

INCIDENTS: Final = "rm_incidents"
TIMELINE: Final = "rm_timeline"
FOLLOW_UPS: Final = "rm_follow_ups"

__all__ = ["FOLLOW_UPS", "INCIDENTS", "TIMELINE", "TRACKING", "read_model_ddl"]


def read_model_ddl(schema: str) -> str:
    """CREATE statements of the read-model tables in `schema` (idempotent)."""
    return f"""
    CREATE TABLE IF NOT EXISTS {schema}.{INCIDENTS} (
        id uuid PRIMARY KEY,
        number bigint NOT NULL UNIQUE,
        title text NOT NULL,
        description text,
        status text NOT NULL,
        severity text,
        criteria text[] NOT NULL,
        services text[] NOT NULL,
        owner text NOT NULL,
        declared_by text NOT NULL,
        declared_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version bigint NOT NULL,
        position bigint NOT NULL,
        roles jsonb NOT NULL,
        tickets jsonb NOT NULL,
        impact text,
        scope text,
        resolution text,
        resolution_summary text,
        ic_assigned_at timestamptz,
        resolved_at timestamptz,
        closed_at timestamptz,
        reopen_count integer NOT NULL,
        last_customer_update_at timestamptz,
        cadence_started_at timestamptz,
        next_customer_update_due timestamptz,
        customer_update_intervals integer NOT NULL,
        customer_update_intervals_met integer NOT NULL,
        postmortem_status text NOT NULL,
        postmortem_required boolean NOT NULL,
        review_pending boolean NOT NULL,
        factor_categories text[] NOT NULL,
        peak_severity text,
        started_at timestamptz,
        detected_at timestamptz,
        links jsonb NOT NULL DEFAULT '[]',
        factors jsonb NOT NULL DEFAULT '[]',
        paged_at timestamptz,
        acknowledged_at timestamptz,
        handovers jsonb NOT NULL DEFAULT '[]'
    );
    CREATE INDEX IF NOT EXISTS {INCIDENTS}_declared_idx ON {schema}.{INCIDENTS} (declared_at, id);
    CREATE INDEX IF NOT EXISTS {INCIDENTS}_status_idx ON {schema}.{INCIDENTS} (status, severity);
    CREATE INDEX IF NOT EXISTS {INCIDENTS}_due_idx
        ON {schema}.{INCIDENTS} (next_customer_update_due)
        WHERE next_customer_update_due IS NOT NULL;
    CREATE TABLE IF NOT EXISTS {schema}.{TIMELINE} (
        incident_id uuid NOT NULL,
        version bigint NOT NULL,
        position bigint NOT NULL UNIQUE,
        occurred_at timestamptz NOT NULL,
        actor text,
        type text NOT NULL,
        summary text NOT NULL,
        data jsonb NOT NULL,
        added_at timestamptz,
        PRIMARY KEY (incident_id, version)
    );
    CREATE TABLE IF NOT EXISTS {schema}.{FOLLOW_UPS} (
        id uuid PRIMARY KEY,
        incident_id uuid NOT NULL,
        title text NOT NULL,
        owner text NOT NULL,
        due_date date NOT NULL,
        ticket text,
        status text NOT NULL,
        added_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        completed_at timestamptz,
        completed_by text,
        completion_note text,
        original_due_date date,
        due_date_changes integer NOT NULL DEFAULT 0,
        overdue_for date
    );
    CREATE INDEX IF NOT EXISTS {FOLLOW_UPS}_open_idx
        ON {schema}.{FOLLOW_UPS} (status, due_date, id);
    """
