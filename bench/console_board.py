"""`python -m bench.console_board [--quick]`: the console's board with 500 open incidents.

`irm serve` (API, console, projector and notifier in one process) on a fresh database, 500
incidents declared through the API, a console session made through the sign-in form. Then, from
this process, over one keep-alive connection on loopback (`http.client`, so the client costs
little), alternating blocks of:

- ours: `GET /ui/` signed in, the whole board (the page reads `/v1/incidents?status=open` in
  pages of 200 in process, with the session's token, and renders the HTML);
- baseline: the same list as JSON, the way the board asks for it: `GET /v1/incidents?status=open
  &limit=200`, then each `next_cursor`, three requests for 500 incidents, timed together.

Each sample is the time from sending the request to having read the whole answer: the server's
time plus a loopback round trip. Prints p50/p99 of each side and their ratio; the target
(issue 13) is the board's p99 at most 2x the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import statistics
import time
from urllib.parse import urlencode, urlsplit

import orjson
from rich.console import Console

from bench.console_common import SESSION_COOKIE, declare, irm_serve, sign_in
from bench.report import Row
from bench.stats import percentile

INCIDENTS = 500
PAGE = 200
"""The board's page size (services/console/board.py `_PAGE`)."""
TARGET_RATIO = 2.0


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, base_url: str, *, token: str, secret: str) -> None:
        parts = urlsplit(base_url)
        self._conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self._api = {"Authorization": f"Bearer {token}"}
        self._console = {"Cookie": f"{SESSION_COOKIE}={secret}"}

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _get(self, path: str, headers: dict[str, str]) -> bytes:
        self._conn.request("GET", path, headers=headers)
        response = self._conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return body

    def board(self) -> bytes:
        """The board page, signed in."""
        return self._get("/ui/", self._console)

    def incidents(self) -> int:
        """Every open incident as JSON, in pages as the board asks; how many."""
        count = 0
        cursor: str | None = None
        while True:
            query = {"status": "open", "limit": PAGE} | ({"cursor": cursor} if cursor else {})
            page = orjson.loads(self._get(f"/v1/incidents?{urlencode(query)}", self._api))
            count += len(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return count


def timed(fn: object) -> float:
    """Seconds one call of `fn` takes."""
    assert callable(fn)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def wait_projected(client: Client, count: int, *, deadline_s: float = 120) -> None:
    """Until the list shows `count` open incidents (the projector has caught up)."""
    give_up = time.monotonic() + deadline_s
    while (seen := client.incidents()) < count:
        if time.monotonic() > give_up:
            raise RuntimeError(f"only {seen} of {count} incidents projected")
        await asyncio.sleep(0.2)


async def run(server_url: str | None = None, *, quick: bool, console: Console) -> list[Row]:
    """Start, fill, measure; one row."""
    blocks, per_block = (4, 5) if quick else (20, 10)
    async with irm_serve(server_url) as served:
        base_url = served.server.base_url
        console.log(f"console_board: declaring {INCIDENTS} incidents")
        await declare(served, INCIDENTS)
        secret = await sign_in(base_url, served.token)
        client = Client(base_url, token=served.token, secret=secret)
        try:
            await wait_projected(client, INCIDENTS)
            page = client.board()
            shown = f"{INCIDENTS} incidents".encode()
            if shown not in page:
                raise RuntimeError("the board does not show the 500 incidents")
            console.log(f"console_board: board page {len(page):,} bytes; timing")
            for _ in range(3):  # warm-up
                client.board()
                client.incidents()
            samples: dict[str, list[float]] = {"board": [], "json": []}
            sides = [("board", client.board), ("json", client.incidents)]
            gc.collect()
            for block in range(blocks):
                for name, fn in sides if block % 2 == 0 else sides[::-1]:
                    samples[name] += [timed(fn) * 1e3 for _ in range(per_block)]
        finally:
            client.close()
    return [board_row(samples, page_bytes=len(page))]


def board_row(samples: dict[str, list[float]], *, page_bytes: int) -> Row:
    """The board's p50/p99 against the JSON list's."""
    board, json = samples["board"], samples["json"]
    b50, b99 = statistics.median(board), percentile(board, 99)
    j50, j99 = statistics.median(json), percentile(json, 99)
    ratio = b99 / j99
    return Row(
        benchmark=f"console board · GET /ui/ · {INCIDENTS} open incidents",
        measured=f"p50 {b50:.1f} · p99 {b99:.1f} ms",
        baseline=f"JSON list, 3 pages of {PAGE}: p50 {j50:.1f} · p99 {j99:.1f} ms",
        ratio=ratio,
        target=f"p99 ≤ {TARGET_RATIO:g}x the JSON list's",
        holds=ratio <= TARGET_RATIO,
        details={
            "kind": "console_board",
            "samples": len(board),
            "board_p50_ms": round(b50, 2),
            "board_p99_ms": round(b99, 2),
            "json_p50_ms": round(j50, 2),
            "json_p99_ms": round(j99, 2),
            "p50_ratio": round(b50 / j50, 3),
            "board_page_bytes": page_bytes,
        },
    )


def main(argv: list[str] | None = None) -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.console_board", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 samples a side instead of 100")
    args = parser.parse_args(argv)
    log = Console(stderr=True)
    started = time.perf_counter()
    (row,) = asyncio.run(run(quick=args.quick, console=log))
    d = row.details
    print(f"{row.benchmark}; {d['samples']} samples a side, alternating blocks, one connection")
    print(f"{'side':<28} {'p50 ms':>9} {'p99 ms':>9}")
    print(f"{'board GET /ui/':<28} {d['board_p50_ms']:>9.1f} {d['board_p99_ms']:>9.1f}")
    print(f"{'JSON list (3 pages of 200)':<28} {d['json_p50_ms']:>9.1f} {d['json_p99_ms']:>9.1f}")
    print(f"ratio board / JSON: p50 {d['p50_ratio']:.2f}x, p99 {row.ratio:.2f}x")
    holds = "yes" if row.holds else "no"
    print(f"target p99 ratio <= {TARGET_RATIO:g}x: holds: {holds}")
    print(f"took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
