"""Work started under `uninterrupted` runs to its end when its caller is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from shared.background import uninterrupted


async def test_a_cancelled_caller_waits_for_the_work_then_is_cancelled() -> None:
    finished = asyncio.Event()

    async def work() -> int:
        await asyncio.sleep(0.05)
        finished.set()
        return 7

    caller = asyncio.create_task(uninterrupted(work()))
    await asyncio.sleep(0.01)
    caller.cancel()

    with pytest.raises(asyncio.CancelledError):
        await caller
    assert finished.is_set()


async def test_without_a_cancellation_the_result_comes_back() -> None:
    async def work() -> str:
        await asyncio.sleep(0)
        return "done"

    assert await uninterrupted(work()) == "done"


async def test_work_still_running_after_the_grace_is_cancelled_in_its_turn() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    caller = asyncio.create_task(uninterrupted(stuck(), grace=0.05))
    await started.wait()
    caller.cancel()

    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(cancelled.wait(), timeout=5)


async def test_an_error_in_the_work_reaches_the_caller() -> None:
    async def failing() -> None:
        await asyncio.sleep(0)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await uninterrupted(failing())
