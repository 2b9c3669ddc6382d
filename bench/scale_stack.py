"""What the scale benchmark runs on: a Redis server of its own, a fresh PostgreSQL schema,
one sandbox process, and the service's processes (`Fleet`: a scheduler, two workers, the web
app) started as a deployment starts them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import redis
import sqlalchemy as sa

from bench.latency import free_port
from connectors.sandbox.remote import RemoteSandbox
from service.settings import child_environment
from workflows.migrations import upgrade

REPO = Path(__file__).resolve().parent.parent
PROCESSES = {
    "scheduler": ["scheduler"],
    "worker-1": ["worker"],
    "worker-2": ["worker"],
    "web": ["web"],
}
"""The deployment the issue names: one scheduler, two workers (8 threads each), the web app."""


@contextlib.contextmanager
def own_redis(workdir: Path, url: str | None) -> Iterator[str]:
    """A Redis server of the benchmark's own (so its command counts are ours alone), or the
    database at `url`, flushed before and after."""
    if url is None and shutil.which("redis-server"):
        port = free_port()
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_for_redis(url)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
        return
    url = url or "redis://127.0.0.1:6379/13"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def _wait_for_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    for _ in range(100):
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            client.close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"the benchmark's Redis server at {url} did not start")


@contextlib.contextmanager
def fresh_schema(admin_url: str, tag: str) -> Iterator[str]:
    """A new schema in `admin_url`'s database, migrated; its URL names the application `tag`
    (how pg_stat_activity tells our connections). Dropped afterwards."""
    schema = f"scale_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in admin_url else "?"
    url = f"{admin_url}{sep}options=-csearch_path%3D{schema}&application_name={tag}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def start_sandbox(workdir: Path, latency: float) -> RemoteSandbox:
    """The one sandbox process, its own world empty (every account is a tenant)."""
    log = (workdir / "sandbox.log").open("wb")
    return RemoteSandbox({}, workdir, latency=latency, stderr=log)


class Fleet:
    """The service's processes for one phase; stopped with SIGTERM as a deployment stops."""

    def __init__(self, workdir: Path, phase: str, settings: dict[str, str]) -> None:
        env = child_environment(os.environ, settings)
        env["PYTHONPATH"] = str(REPO)
        env["XDG_CONFIG_HOME"] = str(workdir / "config")  # no default account's credentials
        self.workdir, self.phase = workdir, phase
        self.processes = {
            name: subprocess.Popen(
                [sys.executable, "-m", "service.cli", *args],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(workdir / f"{phase}-{name}.log").open("wb"),
            )
            for name, args in PROCESSES.items()
        }

    @property
    def pids(self) -> list[int]:
        """The processes' ids."""
        return [process.pid for process in self.processes.values()]

    def check(self) -> None:
        """RuntimeError naming a process that has ended, with its log's last lines."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = self.workdir / f"{self.phase}-{name}.log"
                tail = log.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"`followthrough {name}` exited {process.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM to every process, then wait (a worker finishes what it holds)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
