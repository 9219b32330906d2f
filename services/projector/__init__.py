"""The projector: follows the event log and keeps the read models, exactly once."""
