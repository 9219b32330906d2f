"""An event's message is built once: every subscriber gets the same bytes and message id, and
only the signature, made with each subscriber's own secret, differs."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from shared.webhooks.deliveries import deliveries_for
from shared.webhooks.facts import facts_after
from shared.webhooks.message import sign
from shared.webhooks.subscriptions import new_secret
from tests.unit.webhooks.conftest import recorded, story
from tests.unit.webhooks.test_subscriptions import subscription


def test_every_subscriber_gets_the_same_body_and_a_signature_of_its_own() -> None:
    event = recorded(story())[0]
    subscribers = [subscription(["incident.*"]) for _ in range(10)]
    secrets = {s.id: new_secret() for s in subscribers}

    deliveries = deliveries_for(event, facts_after(None, event), subscribers, cause="live")

    assert [d.subscription_id for d in deliveries] == [s.id for s in subscribers]
    assert len({d.body for d in deliveries}) == 1
    assert len({d.message_id for d in deliveries}) == 1
    # Built once, not ten equal copies.
    assert all(d.body is deliveries[0].body for d in deliveries)

    timestamp = datetime.now(tz=UTC)
    headers = [
        {
            "webhook-id": d.message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(
                d.message_id, timestamp, d.body, [secrets[d.subscription_id]]
            ),
        }
        for d in deliveries
    ]
    assert len({h["webhook-signature"] for h in headers}) == len(subscribers)
    for delivery, sent in zip(deliveries, headers, strict=True):
        Webhook(secrets[delivery.subscription_id]).verify(delivery.body, sent)
