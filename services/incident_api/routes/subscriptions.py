"""Webhook subscriptions (admin only): manage them, read their delivery log, redeliver, replay."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.incident_api.deps import Admin, ServicesDep
from services.incident_api.errors import DeliveryNotFoundError, InvalidParameterError
from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.openapi_responses import (
    ADMIN,
    ANY_BODY,
    BODY,
    DELIVERY_LOOKUP,
    PARAMETERS,
    SUBSCRIPTION_LOOKUP,
    SUBSCRIPTION_URL,
    answers,
)
from services.incident_api.replay import replay
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.subscription_schemas import (
    DeliveryPage,
    DeliveryRead,
    Redelivered,
    ReplayQueued,
    ReplayRequest,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
    SubscriptionUpdate,
)
from shared.webhooks import subscriptions as subs
from shared.webhooks.deliveries import delivery_log, redeliver
from shared.webhooks.url_guard import check_url

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"], route_class=CheckedRoute)

# What a route on one subscription may answer, by whether it reads a body.
_ONE = answers(ADMIN, PARAMETERS, SUBSCRIPTION_LOOKUP)
_ONE_CHANGED = answers(ADMIN, PARAMETERS, ANY_BODY, SUBSCRIPTION_LOOKUP)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(
        ADMIN, BODY, SUBSCRIPTION_URL, status=status.HTTP_201_CREATED, headers=("Location",)
    ),
)
async def create_subscription(
    body: SubscriptionCreate, actor: Admin, services: ServicesDep, response: Response
) -> SubscriptionCreated:
    """Subscribe a URL; the answer carries its signing secret, shown only this once."""
    await check_url(body.url, services.webhook_allowlist)
    subscription, secret = await subs.create_subscription(
        services.pool,
        url=body.url,
        event_types=body.event_types,
        severities=[s.value for s in body.severities],
        description=body.description,
        created_by=actor.principal,
    )
    response.headers["Location"] = f"/v1/subscriptions/{subscription.id}"
    return SubscriptionCreated.of(subscription, secret=secret)


@router.get("", responses=answers(ADMIN))
async def list_subscriptions(_: Admin, services: ServicesDep) -> SubscriptionList:
    """Every subscription."""
    found = await subs.list_subscriptions(services.pool)
    return SubscriptionList(items=[SubscriptionRead.of(s) for s in found])


@router.get("/{subscription_id}", responses=_ONE)
async def get_subscription(
    subscription_id: UUID, _: Admin, services: ServicesDep
) -> SubscriptionRead:
    """One subscription."""
    return SubscriptionRead.of(await subs.get_subscription(services.pool, subscription_id))


@router.patch(
    "/{subscription_id}", responses=answers(ADMIN, BODY, SUBSCRIPTION_LOOKUP, SUBSCRIPTION_URL)
)
async def update_subscription(
    subscription_id: UUID, body: SubscriptionUpdate, _: Admin, services: ServicesDep
) -> SubscriptionRead:
    """Change the URL, the event types, the severities or the description."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        await check_url(changes["url"], services.webhook_allowlist)
    if "severities" in changes and changes["severities"] is not None:
        changes["severities"] = [str(s) for s in changes["severities"]]
    for field in ("url", "event_types", "severities"):
        if field in changes and changes[field] is None:
            raise InvalidParameterError(f"{field}: may not be null", field=field)
    updated = await subs.update_subscription(services.pool, subscription_id, changes)
    return SubscriptionRead.of(updated)


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ONE_CHANGED)
async def delete_subscription(subscription_id: UUID, _: Admin, services: ServicesDep) -> None:
    """Delete the subscription, its secrets and its delivery log."""
    await subs.delete_subscription(services.pool, subscription_id)


@router.post("/{subscription_id}/pause", responses=_ONE_CHANGED)
async def pause(subscription_id: UUID, _: Admin, services: ServicesDep) -> SubscriptionRead:
    """Stop sending; new events keep queueing and go out on resume."""
    return SubscriptionRead.of(await subs.set_status(services.pool, subscription_id, "paused"))


@router.post("/{subscription_id}/resume", responses=_ONE_CHANGED)
async def resume(subscription_id: UUID, _: Admin, services: ServicesDep) -> SubscriptionRead:
    """Send again (also re-enables a subscription disabled by a 410)."""
    return SubscriptionRead.of(await subs.set_status(services.pool, subscription_id, "active"))


@router.post("/{subscription_id}/rotate-secret", responses=_ONE_CHANGED)
async def rotate_secret(subscription_id: UUID, _: Admin, services: ServicesDep) -> SecretRotated:
    """A new secret; the old one keeps signing beside it for the grace period."""
    secret, expires_at = await subs.rotate_secret(
        services.pool, subscription_id, grace=services.webhook_secret_grace
    )
    return SecretRotated(secret=secret, previous_secrets_expire_at=expires_at)


@router.get("/{subscription_id}/deliveries", responses=_ONE)
async def list_deliveries(
    subscription_id: UUID,
    _: Admin,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=BIGINT_MAX, description="next_before of the last page")
    ] = None,
    delivery_status: Annotated[
        str | None, Query(alias="status", pattern="^(pending|succeeded|failed)$")
    ] = None,
) -> DeliveryPage:
    """The delivery log: newest first, with every attempt's time, status, latency and error."""
    await subs.get_subscription(services.pool, subscription_id)
    records = await delivery_log(
        services.pool, subscription_id, limit=limit, before_seq=before, status=delivery_status
    )
    next_before = records[-1].seq if len(records) == limit else None
    return DeliveryPage(items=[DeliveryRead.of(r) for r in records], next_before=next_before)


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses=answers(ADMIN, PARAMETERS, ANY_BODY, SUBSCRIPTION_LOOKUP, DELIVERY_LOOKUP),
)
async def redeliver_one(
    subscription_id: UUID, delivery_id: UUID, _: Admin, services: ServicesDep
) -> Redelivered:
    """Queue the same message again: same webhook-id, same body."""
    await subs.get_subscription(services.pool, subscription_id)
    new_id = await redeliver(services.pool, subscription_id, delivery_id)
    if new_id is None:
        raise DeliveryNotFoundError(subscription_id, delivery_id)
    return Redelivered(delivery_id=new_id)


@router.post(
    "/{subscription_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    responses=answers(ADMIN, BODY, SUBSCRIPTION_LOOKUP),
)
async def replay_history(
    subscription_id: UUID, body: ReplayRequest, _: Admin, services: ServicesDep
) -> ReplayQueued:
    """Queue every event from `from_position` on, as it was, to this subscription."""
    subscription = await subs.get_subscription(services.pool, subscription_id)
    result = await replay(
        services.pool,
        services.store,
        services.repository,
        subscription,
        from_position=body.from_position,
        max_events=body.max_events,
    )
    return ReplayQueued(
        queued=result.queued, events_read=result.events_read, next_position=result.next_position
    )
