"""Read models: what the projector folds the event log into, and what queries read."""
