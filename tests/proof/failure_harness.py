"""What the failure suite drives: service processes, a webhook relay, faults, the broker's loss.

relay = TripleRelay(target_port).start()   # every webhook reaches the web app three times
fleet = Fleet(tmp_path, env)               # named `followthrough` processes; kill, stop
faults_on(sandbox) / sandbox.clear_faults()
lose_broker(broker_url)                    # the queues and their messages are gone
totals(sandbox, world.expected())          # what the user finds, compared with the plan
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

from connectors.sandbox.server import Sandbox
from tests.processes import sandbox_environment
from tests.proof.failure_world import NOW, Expected

DELIVERIES = 3
QUEUES = ("followthrough", "followthrough_sync")  # the service's (workflows.actors.declare_actors)
REDIS_NAMESPACE = "followthrough"  # service.broker's RedisBroker namespace

ERROR_RATES = {429: 0.075, 500: 0.075, 503: 0.065}
"""20% of API calls fail (the sandbox draws each status on its own: 1 - .925 * .925 * .935),
Google's and Airtable's alike, the OAuth token endpoint included."""
AMBIGUOUS_RATE = 0.05
"""5% of writes are applied and their response lost (the connection closes unanswered)."""

SHORT_TIMES = {
    "due_claim_seconds": "15",  # a killed worker's claims lapse after this
    "effect_hold_seconds": "20",  # longer than one call with its retries takes here
    "airtable_penalty_seconds": "0.5",  # the sandbox's penalty after a 429
    "poll_minutes": "0.5",  # the safety-net poll; pushes do the rest
    "safety_poll_minutes": "0.5",  # the same with pushes live: faults lose some of them
}


def wait_until(check: Callable[[], Any], timeout: float, what: str | Callable[[], str]) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` (called if callable,
    so that the message tells the state at the time of failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


class TripleRelay:
    """Stands at the public URL and delivers every POST to the web app three times."""

    def __init__(self, target_port: int) -> None:
        self.target = f"http://127.0.0.1:{target_port}"
        self.deliveries: Counter[int | None] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The public URL to configure (FOLLOWTHROUGH_PUBLIC_URL)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> TripleRelay:
        """Start relaying."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop relaying."""
        self._server.shutdown()
        self._server.server_close()

    def forward(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """POST the notification three times; answer with the first delivery's status."""
        statuses = [self._post(path, headers, body) for _ in range(DELIVERIES)]
        self.deliveries.update(statuses)
        return next((s for s in statuses if s is not None), 502)

    def _post(self, path: str, headers: dict[str, str], body: bytes) -> int | None:
        try:
            reply = requests.post(self.target + path, data=body, headers=headers, timeout=10)
        except requests.RequestException:
            return None
        return reply.status_code

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                skip = {"host", "content-length", "connection"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                status = relay.forward(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def service_env(
    tmp_path: Path,
    sandbox: Sandbox,
    *,
    database_url: str,
    broker_url: str,
    http_port: int,
    public_url: str,
    **settings: str,
) -> dict[str, str]:
    """The environment of every `followthrough` process of one scenario (`sandbox` is the
    default account's; `settings` are more FOLLOWTHROUGH_ settings)."""
    return sandbox_environment(
        tmp_path,
        sandbox,
        database_url=database_url,
        broker_url=broker_url,
        now=NOW.isoformat(),
        about_me="I'm a backend engineer exploring data infrastructure.",
        http_port=str(http_port),
        public_url=public_url,
        **SHORT_TIMES,
        **settings,
    )


@dataclass
class Fleet:
    """The scenario's `followthrough` processes by name; logs go to `<tmp>/<name>.log`."""

    tmp_path: Path
    env: dict[str, str]

    def __post_init__(self) -> None:
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start `python -m service.cli <args>` as `name`."""
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args],
            cwd=self.tmp_path,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.tmp_path / f"{name}.log").open("wb"),
        )
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL `name`: no clean-up of any kind."""
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM every process still running; their exit codes (None: had to be killed)."""
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {name: _wait(process) for name, process in self.running.items()}
        self.running.clear()
        return codes

    def log_tail(self, name: str, chars: int = 3000) -> str:
        """The end of a process's log, for failure messages."""
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def _wait(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        return None


def faults_on(sandbox: Sandbox) -> None:
    """20% of calls fail with 429, 500 or 503; 5% of writes lose their response."""
    for status, rate in ERROR_RATES.items():
        sandbox.set_error_rate("*", status, rate)
    sandbox.set_ambiguous_rate("*", AMBIGUOUS_RATE)


def tagged(broker_url: str, tag: str) -> str:
    """The broker URL with every connection of the service named `tag` (to drop them later)."""
    if urlsplit(broker_url).scheme.startswith("redis"):
        return f"{broker_url}?client_name={tag}"
    return f"{broker_url}?client_properties=" + quote(repr({"connection_name": tag}))


def restart_broker(broker_url: str, tag: str) -> int:
    """The broker restarts without its data: connections drop, every queued message is lost.

    The shared server is not really restarted (that would disturb other tests): the
    connections named `tag` are closed by the server and the service's queues emptied. For
    Redis every key of the dramatiq namespace goes (queues, delayed queues, acks,
    heartbeats); for RabbitMQ the three queues are purged (messages a worker holds unacked
    survive, as they would a real restart) and the connections are closed with
    `rabbitmqctl`, when it is at hand. Returns how many keys or messages were lost.
    """
    if urlsplit(broker_url).scheme.startswith("redis"):
        return _restart_redis(broker_url, tag)
    lost = _purge_rabbitmq(broker_url)
    _close_rabbitmq_connections(tag)
    return lost


def _restart_redis(broker_url: str, tag: str) -> int:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        _kill_redis_clients(client, tag)
        keys = [k for k in client.scan_iter(f"{REDIS_NAMESPACE}:*") if b"airtable-rate" not in k]
        lost = int(client.delete(*keys)) if keys else 0
        _kill_redis_clients(client, tag)  # any that reconnected meanwhile
        return lost
    finally:
        client.close()


def _kill_redis_clients(client: Any, tag: str) -> None:
    for entry in client.client_list():
        if entry.get("name") == tag:
            client.client_kill_filter(_id=entry["id"])


def _purge_rabbitmq(broker_url: str) -> int:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        channel = connection.channel()
        names = [name + end for name in QUEUES for end in ("", ".DQ", ".XQ")]
        return sum(channel.queue_purge(name).method.message_count for name in names)
    finally:
        connection.close()


def _close_rabbitmq_connections(tag: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        return
    columns = ["pid", "client_properties", "--quiet", "--no-table-headers"]
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", *columns], capture_output=True, text=True, timeout=60
    )
    marker = f'{{"connection_name","{tag}"}}'
    for line in listing.stdout.splitlines():
        if marker in line:
            pid = line.split("\t", 1)[0]
            reason = "broker restart (failure suite)"
            command = ["rabbitmqctl", "close_connection", pid, reason]
            subprocess.run(command, capture_output=True, timeout=60, check=True)


@dataclass(frozen=True)
class Totals:
    """What the user finds in Gmail and Airtable, as counts and keys."""

    drafts: Counter[str]
    thank_yous: Counter[str]
    actions: Counter[str]
    introducer_thanks: Counter[str]
    other_followups: int
    contacts: Counter[str]
    meetings: Counter[str]
    asks: Counter[str] = field(default_factory=Counter)

    def done(self, expected: Expected) -> bool:
        """True once every expected effect exists (duplicates are checked separately)."""
        return (
            set(self.drafts) >= expected.draft_message_ids
            and set(self.thank_yous) >= expected.thank_you_keys
            and set(self.actions) >= expected.action_keys
            and set(self.asks) >= expected.ask_keys
            and set(self.introducer_thanks) >= expected.introducer_keys
        )

    def problems(self, expected: Expected) -> dict[str, Any]:
        """Every difference from the plan: missing, unexpected and doubled effects."""
        found = {
            "drafts": (self.drafts, expected.draft_message_ids),
            "thank_yous": (self.thank_yous, expected.thank_you_keys),
            "actions": (self.actions, expected.action_keys),
            "introducer_thanks": (self.introducer_thanks, expected.introducer_keys),
            "contacts": (self.contacts, expected.contact_emails),
            "asks": (self.asks, expected.ask_keys),
        }
        report: dict[str, Any] = {}
        for name, (counts, wanted) in found.items():
            missing = sorted(wanted - set(counts))
            extra = sorted(set(counts) - wanted)
            doubled = sorted(k for k, c in counts.items() if c > 1)
            if missing or extra or doubled:
                report[name] = {"missing": missing[:5], "extra": extra[:5], "doubled": doubled[:5]}
                report[name]["counts"] = (len(missing), len(extra), len(doubled))
        doubled_meetings = sorted(k for k, c in self.meetings.items() if c > 1)
        if len(self.meetings) != len(expected.thank_you_keys) or doubled_meetings:
            report["meetings"] = {"rows": sum(self.meetings.values()), "doubled": doubled_meetings}
        if self.other_followups:
            report["other_followups"] = self.other_followups
        return report


def totals(sandbox: Sandbox) -> Totals:
    """Read the user's Gmail drafts and Airtable tables from the sandbox."""
    followups = [r["fields"] for r in sandbox.airtable.records("Follow-ups")]
    by_kind: dict[str, Counter[str]] = {
        "Thank-you": Counter(),
        "Action item": Counter(),
        "Ask": Counter(),
        "Thank introducer": Counter(),
    }
    other = 0
    for row in followups:
        if row.get("Kind") in by_kind:
            by_kind[row["Kind"]][row.get("Key", "")] += 1
        else:
            other += 1
    contacts = Counter(r["fields"].get("Email", "") for r in sandbox.airtable.records("Contacts"))
    meetings = Counter(
        r["fields"].get("Event ID", "") for r in sandbox.airtable.records("Meetings")
    )
    return Totals(
        drafts=Counter(d["rfc822_message_id"] for d in sandbox.drafts()),
        thank_yous=by_kind["Thank-you"],
        actions=by_kind["Action item"],
        introducer_thanks=by_kind["Thank introducer"],
        other_followups=other,
        contacts=contacts,
        meetings=meetings,
        asks=by_kind["Ask"],
    )


def loose_ends(sandbox: Sandbox) -> dict[str, list[str]]:
    """Rows a correct run completes but that are not: unlinked follow-ups, unfinished
    meetings, contacts whose stage and last meeting were not written back, asks whose box
    was not cleared."""
    records = sandbox.airtable.records
    followups = [r["fields"] for r in records("Follow-ups")]
    meetings = [r["fields"] for r in records("Meetings")]
    contacts = [r["fields"] for r in records("Contacts")]
    found = {
        "unlinked follow-ups": [f.get("Key", "") for f in followups if not _linked(f)],
        "unfinished meetings": [
            m.get("Event ID", "")
            for m in meetings
            if m.get("Status") != "Completed"
            or not m.get("Thank-you Draft")
            or not m.get("Contact")
        ],
        "contacts not met": [
            c.get("Email", "")
            for c in contacts
            if c.get("Stage") != "Keeping in touch" or not c.get("Last Met")
        ],
        "asks not cleared": [c.get("Email", "") for c in contacts if c.get("Draft Ask")],
    }
    return {name: sorted(items)[:5] for name, items in found.items() if items}


def _linked(followup: dict[str, Any]) -> bool:
    """A meeting's follow-up names its contact and meeting; an ask, its contact and draft."""
    other = followup.get("Draft") if followup.get("Kind") == "Ask" else followup.get("Meeting")
    return bool(followup.get("Contact")) and bool(other)


def add_events(sandbox: Sandbox, events: list[dict[str, Any]]) -> None:
    """The user puts interviews on the calendar (each change is pushed to the service)."""
    for event in events:
        sandbox.add_event(event)
