"""Running `irm` as a real process: start it, wait for it, read what it printed, stop it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

IRM = str(Path(sys.executable).with_name("irm"))
TOKEN_PATTERN = re.compile(r"irm_[A-Za-z0-9_-]{20,}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_log_line(log: Path, line: str, *, times: int, within: float) -> None:
    """Wait until `line` appears `times` times in the log file (e.g. once per process started
    into it); fail the test after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await asyncio.to_thread(log.read_text, errors="replace")).count(line) < times:
        if loop.time() > deadline:
            pytest.fail(f"{line!r} appeared fewer than {times} times in {log} within {within} s")
        await asyncio.sleep(0.05)


def irm_env(**overrides: str) -> dict[str, str]:
    """The environment for an `irm` process: no inherited IRM_* settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRM_")}
    env.update(overrides)
    return env


@dataclass
class RunningServer:
    """An `irm serve` process and where to reach it."""

    process: subprocess.Popen[bytes]
    base_url: str
    stderr_path: Path

    def stderr(self) -> str:
        """Everything the process has written to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def printed_token(self) -> str | None:
        """The first-start token the server printed, if it printed one."""
        match = TOKEN_PATTERN.search(self.stderr())
        return match.group(0) if match else None

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Ask the server to shut down (SIGINT is Ctrl-C) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return int(self.process.returncode)


def start_server(tmp_path: Path, env: dict[str, str], *, deadline_s: float = 90) -> RunningServer:
    """Start `irm serve` on a free port and wait until /readyz answers 200."""
    port = free_port()
    stderr_path = tmp_path / f"irm-serve-{port}.err"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [IRM, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", stderr_path)
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"irm serve exited early:\n{server.stderr()}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"irm serve did not become ready:\n{server.stderr()}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[RunningServer]]:
    """Servers a test started; any still running at the end are stopped."""
    started: list[RunningServer] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.stop()
