"""The sandbox in a child process, reached over HTTP only, so a client is measured alone.

    with RemoteSandbox(fixture, workdir, latency=0.03) as box:
        box.url, box.google_credentials, box.call("add_event", event=...), box.request_log()
        tenant = box.add_tenants([tenant_fixture])[0]  # another user, another base
        tenant.google_credentials, tenant.call("drafts"), tenant.airtable("records", table=...)

The child is `python -m connectors.sandbox` (more of its options in `args`), started beside the
`connectors` package whatever the caller's working directory; it prints its connection info on
stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

CONTROL_TIMEOUT = 600.0
"""Seconds a control call may take (changing a world of 50,000 events is slow)."""

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The directory holding the `connectors` package: the child's working directory."""


class RemoteSandbox:
    """`python -m connectors.sandbox` serving `fixture`, driven through its control API."""

    def __init__(
        self,
        fixture: dict[str, Any],
        workdir: Path,
        *,
        latency: float = 0.0,
        args: Sequence[str] = (),
        stderr: IO[bytes] | None = None,
    ) -> None:
        path = (workdir / "fixture.json").resolve()
        path.write_text(json.dumps(fixture))
        command = [
            sys.executable, "-m", "connectors.sandbox", "--fixture", str(path),
            "--port", "0", "--latency", str(latency), *args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        info = _connection_info(self.process)
        self.url: str = info["url"]
        self.google_credentials: dict[str, Any] = info["google_credentials"]
        self.airtable_token: str = info["airtable_token"]
        self.airtable_base_id: str = info["airtable_base_id"]
        self.http = requests.Session()

    def call(self, action: str, **kwargs: Any) -> Any:
        """Call a control method (e.g. `add_event`) and return its result."""
        return self._post(f"{self.url}/_sandbox/{action}", kwargs)

    def airtable(self, action: str, **kwargs: Any) -> Any:
        """Call a control method of the Airtable part (e.g. `records`)."""
        return self._post(f"{self.url}/_sandbox/airtable/{action}", kwargs)

    def add_tenants(
        self, fixtures: list[dict[str, Any]], names: list[str] | None = None
    ) -> list[RemoteTenant]:
        """Add a tenant per fixture (connectors.sandbox.tenants), each reached as its own user."""
        infos = self.call("add_tenants", fixtures=fixtures, names=names)
        return [RemoteTenant(self, info) for info in infos]

    def request_counts(self) -> dict[str, int]:
        """Requests served per route name since the last reset."""
        return self.call("request_counts")  # type: ignore[no-any-return]

    def request_log(self) -> list[dict[str, Any]]:
        """Every request since the last reset: method, path, route, status."""
        return self.call("requests_log")  # type: ignore[no-any-return]

    def stop(self) -> None:
        """End the child process."""
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=30)

    def __enter__(self) -> RemoteSandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _post(self, url: str, kwargs: dict[str, Any]) -> Any:
        reply = self.http.post(url, json=kwargs, timeout=CONTROL_TIMEOUT)
        reply.raise_for_status()
        return reply.json()["result"]


class RemoteTenant:
    """One tenant of a `RemoteSandbox`: its credentials, and its control methods."""

    def __init__(self, box: RemoteSandbox, info: dict[str, Any]) -> None:
        self.box, self.url, self.name = box, box.url, str(info["name"])
        self.user_email: str = info["user_email"]
        self.google_credentials: dict[str, Any] = info["google_credentials"]
        self.airtable_token: str = info["airtable_token"]
        self.airtable_base_id: str = info["airtable_base_id"]

    def call(self, action: str, **kwargs: Any) -> Any:
        """Call a control method on this tenant's world (e.g. `add_event`, `drafts`)."""
        return self.box._post(f"{self.url}/_sandbox/tenants/{self.name}/{action}", kwargs)

    def airtable(self, action: str, **kwargs: Any) -> Any:
        """Call a control method of this tenant's base (e.g. `records`)."""
        return self.box._post(f"{self.url}/_sandbox/tenants/{self.name}/airtable/{action}", kwargs)


def _connection_info(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON object the child prints first (its other output goes to stderr)."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        if line.rstrip() == "{" or lines:
            lines.append(line)
        if line.rstrip() == "}":
            return json.loads("".join(lines))  # type: ignore[no-any-return]
    raise RuntimeError("the sandbox process ended before printing its connection info")
