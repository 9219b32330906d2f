"""Processes a benchmark starts: the services, the baselines, the load generator, the receiver.

Every process is started inside `supervised()`, which stops each one on the way out (SIGTERM,
then SIGKILL after a grace period), so no benchmark leaves anything running behind it, whatever
happens. Their stderr goes to files in a temporary directory, shown if one dies early.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
"""The project root: on PYTHONPATH for `python -m bench.…` processes."""
IRM = str(Path(sys.executable).with_name("irm"))
LOOPBACK = "127.0.0.1"
LOOPBACK_TARGETS = "127.0.0.0/8"
"""IRM_WEBHOOK_ALLOWED_TARGETS for a notifier that must reach receivers on this machine."""
STOP_GRACE_S = 10.0
BIND_ATTEMPTS = 3
READY_DEADLINE_S = 60.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_INHERITED_PREFIXES = ("IRM_", "POSTGRES_", "PERSISTENCE_", "BENCH_")

Ready = Callable[[], Awaitable[bool]]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without inherited service settings, plus `overrides`.

    The project root goes on PYTHONPATH, so `python -m bench.…` works from any directory.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


def service_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of an `irm` service on the benchmark's database, logging only
    warnings (`clean_env` with IRM_DATABASE_URL, IRM_LOG_LEVEL and `overrides`)."""
    return clean_env(IRM_DATABASE_URL=database_url, IRM_LOG_LEVEL="WARNING", **overrides)


def http_ready(url: str) -> Ready:
    """Ready once GET `url` answers 200."""
    tls = ssl.create_default_context()  # made once: each client would build its own (~30 ms)

    async def check() -> bool:
        try:
            async with httpx.AsyncClient(timeout=1.0, trust_env=False, verify=tls) as client:
                return (await client.get(url)).status_code == 200
        except httpx.TransportError:
            return False

    return check


class PortTakenError(RuntimeError):
    """A server could not bind its port: someone took it between choosing and binding."""


@dataclass
class Process:
    """A started process: its name, handle and stderr file."""

    name: str
    popen: subprocess.Popen[bytes]
    stderr_path: Path
    stop_signal: signal.Signals

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    def stderr(self) -> str:
        """What the process has written to stderr so far (the last 4,000 characters)."""
        return self.stderr_path.read_text(errors="replace")[-4_000:]

    def peak_rss_mb(self) -> float:
        """Peak resident set size so far (VmHWM), in MiB; the process must still run."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM for {self.name} (pid {self.pid})")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def pause(self) -> None:
        """Stop the process in its tracks (SIGSTOP) until `resume`."""
        self.popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused process run again (SIGCONT)."""
        self.popen.send_signal(signal.SIGCONT)

    def check_alive(self) -> None:
        """Raise, with what it printed, if the process has exited."""
        if self.popen.poll() is not None:
            printed = self.stderr()
            taken = "address already in use" in printed.lower()
            error = PortTakenError if taken else RuntimeError
            raise error(f"{self.name} exited with {self.popen.returncode}:\n{printed}")


@dataclass
class Supervisor:
    """Starts processes and remembers them, so that all of them are stopped at the end."""

    logs: Path
    started: list[Process] = field(default_factory=list)
    _ports: set[int] = field(default_factory=set)

    def free_port(self) -> int:
        """A free port on 127.0.0.1 that this supervisor has not handed out before (a port is
        free again as soon as it is chosen, until the process it is meant for binds it)."""
        while (port := free_port()) in self._ports:
            pass
        self._ports.add(port)
        return port

    async def start_http(
        self,
        name: str,
        args_for: Callable[[int], list[str]],
        *,
        env: dict[str, str],
        health: str,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> tuple[Process, str]:
        """Start a server listening on a free port, ready when GET `health` answers 200.

        `args_for(port)` gives its command line. If another program takes the port before the
        server binds it (other test suites choose free ports too), it starts again on another.
        """
        for attempt in range(BIND_ATTEMPTS):
            port = self.free_port()
            base_url = f"http://{LOOPBACK}:{port}"
            try:
                process = await self.start(
                    name,
                    args_for(port),
                    env=env,
                    ready=http_ready(base_url + health),
                    stop_signal=stop_signal,
                )
            except PortTakenError:
                if attempt + 1 == BIND_ATTEMPTS:
                    raise
                continue
            return process, base_url
        raise AssertionError("unreachable")

    async def start(
        self,
        name: str,
        args: list[str],
        *,
        env: dict[str, str],
        ready: Ready | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        stdin: bool = False,
        stdout: bool = False,
    ) -> Process:
        """Start `args`; if `ready` is given, wait until it holds (or the process dies)."""
        stderr_path = self.logs / f"{name}-{len(self.started)}.err"
        popen = _spawn(args, env, stderr_path, stdin=stdin, stdout=stdout)
        process = Process(name, popen, stderr_path, stop_signal)
        self.started.append(process)
        if ready is not None:
            await wait_until_ready(process, ready)
        return process

    def stop_all(self) -> None:
        """Stop every process started here: ask all at once, give them STOP_GRACE_S together,
        then kill what is left.

        Blocking on purpose: it runs on the way out, also when the run was cancelled or
        interrupted, and must not depend on the event loop or its threads still working.
        """
        running = [p for p in self.started if p.popen.poll() is None]
        try:
            for process in running:
                process.popen.send_signal(signal.SIGCONT)  # a paused one could not obey
                process.popen.send_signal(process.stop_signal)
            deadline = time.monotonic() + STOP_GRACE_S
            for process in running:
                with suppress(subprocess.TimeoutExpired):
                    process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for process in self.started:
                if process.popen.poll() is None:
                    process.popen.kill()
                    process.popen.wait()
                for stream in (process.popen.stdin, process.popen.stdout):
                    if stream is not None:
                        stream.close()


async def wait_until_ready(
    process: Process, ready: Ready, *, deadline_s: float = READY_DEADLINE_S
) -> None:
    """Poll `ready` until it holds; raise if the process exits or the deadline passes."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        process.check_alive()
        if await ready():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.name} did not become ready:\n{process.stderr()}")


@asynccontextmanager
async def supervised() -> AsyncIterator[Supervisor]:
    """A supervisor whose processes are all stopped, and whose logs are removed, on exit."""
    logs = Path(tempfile.mkdtemp(prefix="irm-bench-logs-"))
    supervisor = Supervisor(logs)
    try:
        yield supervisor
    finally:
        try:
            supervisor.stop_all()
        finally:
            shutil.rmtree(logs, ignore_errors=True)


def _spawn(
    args: list[str], env: dict[str, str], stderr_path: Path, *, stdin: bool, stdout: bool
) -> subprocess.Popen[bytes]:
    # Starting a process does not block; waiting for it is what `wait_until_ready` is for.
    with stderr_path.open("wb") as stderr:
        return subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=stderr,
        )
