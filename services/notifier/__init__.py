"""The notifier: turns events into signed webhooks and records overdue-update reminders."""
