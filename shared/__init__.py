"""Domain and plumbing shared by the incident API, the projector and the notifier."""
