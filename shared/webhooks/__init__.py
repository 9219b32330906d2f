"""Webhooks: subscriptions, the URL guard, and the signed CloudEvents messages."""
