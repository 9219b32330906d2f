"""The webhook receiver with a pager's door too: `python -m bench.page_receiver PORT DEAD_PORT`.

Everything `bench/receiver.py` does (subscriptions' deliveries at `POST /s/<subscriber>`,
`GET /arrivals`, `/progress`, `/healthz`, the dead port), and at `POST /pages` a person's page:
a CloudEvent `dev.irm.person.page.v1`, recorded as arriving for subscriber `PAGES` (-1) at the
position of its incident's number (`INC-<n>`), answered 200 at once. One process, one clock for
the pages and the subscription's deliveries they are compared with.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Final

import orjson

from bench.receiver import _OK, LOOPBACK, Receiver, hang

PAGES: Final = -1
PAGES_PATH: Final = "/pages"


class PageReceiver(Receiver):
    """Records pages beside the subscriptions' deliveries."""

    def _answer(self, method: bytes, path: bytes, body: bytes, at: float) -> bytes:
        if method == b"POST" and path == PAGES_PATH.encode():
            number = int(orjson.loads(body)["data"]["reference"].removeprefix("INC-"))
            self.arrivals.append((PAGES, number, at))
            self.progress[PAGES] = max(self.progress.get(PAGES, -1), number)
            return _OK
        return super()._answer(method, path, body, at)


async def main(port: int, dead_port: int) -> None:
    """Serve both ports until terminated."""
    receiver = PageReceiver()
    healthy = await asyncio.start_server(receiver.serve, LOOPBACK, port, backlog=1024)
    dead = await asyncio.start_server(hang, LOOPBACK, dead_port, backlog=1024)
    async with healthy, dead:
        await asyncio.gather(healthy.serve_forever(), dead.serve_forever())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
