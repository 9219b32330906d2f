-- irm schema migration 4: read models gain the review and follow-ups; rebuilt from the log
-- A landed migration never changes; a change is a new file with the next number.
-- Frozen as the code ran it when migrations became files: the read models as they were then,
-- and the projector (the follower named 'projector') sent back to the start of the log.
-- The statements below are, byte for byte, what the code executed before migrations became files.
DROP TABLE IF EXISTS public.rm_incidents, public.rm_timeline, public.rm_follow_ups;
    CREATE TABLE IF NOT EXISTS public.rm_incidents (
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
        factor_categories text[] NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rm_incidents_declared_idx ON public.rm_incidents (declared_at, id);
    CREATE INDEX IF NOT EXISTS rm_incidents_status_idx ON public.rm_incidents (status, severity);
    CREATE INDEX IF NOT EXISTS rm_incidents_due_idx
        ON public.rm_incidents (next_customer_update_due)
        WHERE next_customer_update_due IS NOT NULL;
    CREATE TABLE IF NOT EXISTS public.rm_timeline (
        incident_id uuid NOT NULL,
        version bigint NOT NULL,
        position bigint NOT NULL UNIQUE,
        occurred_at timestamptz NOT NULL,
        actor text,
        type text NOT NULL,
        summary text NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (incident_id, version)
    );
    CREATE TABLE IF NOT EXISTS public.rm_follow_ups (
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
        completion_note text
    );
    CREATE INDEX IF NOT EXISTS rm_follow_ups_open_idx
        ON public.rm_follow_ups (status, due_date, id);
    UPDATE irm_tracking SET notification_id = 0 WHERE application_name = 'projector';