-- irm schema migration 8: the incidents read model keeps the peak severity
-- A landed migration never changes; a change is a new file with the next number.
-- The highest severity an incident ever had; the review rules follow it, so a P1 downgraded to
-- P3 still needs a review. Existing rows get theirs from the log itself: the least of the
-- Declared severity and every SeverityChanged target ('P1' < 'P2' < ... as text). The value is
-- read with a pattern, not a jsonb cast, because an older version may have stored text that
-- jsonb refuses (a NUL); inside a JSON string a quote is always escaped, so the pattern only
-- matches the field itself.

ALTER TABLE rm_incidents ADD COLUMN peak_severity text;

UPDATE rm_incidents AS incident
SET peak_severity = peaks.peak
FROM (
    SELECT originator_id,
           min(substring(convert_from(state, 'UTF8')
                         FROM '"(?:to_)?severity":"(P[1-4])"')) AS peak
    FROM irm_events
    WHERE topic IN ('irm:Incident.Declared', 'irm:Incident.SeverityChanged')
    GROUP BY originator_id
) AS peaks
WHERE peaks.originator_id = incident.id;

UPDATE rm_incidents
SET postmortem_required = coalesce(peak_severity IN ('P1', 'P2'), false),
    review_pending = coalesce(peak_severity IN ('P1', 'P2'), false)
                     AND postmortem_status <> 'published';
