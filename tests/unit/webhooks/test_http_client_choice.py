"""The notifier sends with aiohttp unless IRM_WEBHOOK_HTTP_CLIENT says httpx (issue 15 chose
aiohttp by measurement; httpx stays as the way back)."""

from __future__ import annotations

import pytest

from services.notifier.aiohttp_pools import AiohttpOriginClients
from services.notifier.origin_pools import OriginClients
from services.notifier.runner import origin_senders
from services.notifier.settings import NotifierSettings


def settings(monkeypatch: pytest.MonkeyPatch, **overrides: str) -> NotifierSettings:
    monkeypatch.delenv("IRM_WEBHOOK_HTTP_CLIENT", raising=False)
    return NotifierSettings(database_url="postgresql://localhost/irm", **overrides)  # type: ignore[arg-type]


def test_aiohttp_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(origin_senders(settings(monkeypatch)), AiohttpOriginClients)


def test_httpx_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = origin_senders(settings(monkeypatch, webhook_http_client="httpx"))
    assert isinstance(chosen, OriginClients)


def test_another_client_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="webhook_http_client"):
        settings(monkeypatch, webhook_http_client="requests")
