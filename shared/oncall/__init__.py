"""On-call: how to reach people, schedules, escalation policies and the service catalogue."""
