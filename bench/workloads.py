"""The four workloads of issue 6, driven through the real code: settings -> runtime -> passes.

    Bench(workdir, sizes, latency).run() -> [Result W1, W2, W3, W4]

One world is built once; the workloads follow each other on it as a user's days would:
W1 the first sync, W2 a pass a minute later with nothing changed (W2b one more: W2 still
finds the last page of W1's own writes in the Airtable feed, W2b none), W3 a pass after 50 events
changed, W4 the pass after 200 meetings ended at once (the pass that first saw them, an hour
earlier, is set-up and not measured).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.measure import Floor, Result, count_requests, pages, writes
from bench.runners import InProcess, WholeProcess
from bench.worlds import Sizes, w3_changes, w4_meetings, world_fixture
from connectors.airtable.client import AirtableClient
from connectors.airtable.schema import init_schema
from connectors.sandbox.remote import RemoteSandbox
from service.logging import configure_logging

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
GRACE_MINUTES = 15
TABLES = ("Contacts", "Meetings", "Follow-ups")


class Bench:
    """The sandboxed account, the service's passes on it (in-process or whole processes), and
    the workloads."""

    def __init__(
        self,
        workdir: Path,
        sizes: Sizes,
        latency: float,
        *,
        whole_process: bool = False,
        upto: str = "W4",
        profile: Path | None = None,
    ) -> None:
        self.workdir, self.sizes, self.latency = workdir, sizes, latency
        self.whole_process, self.upto, self.profile = whole_process, upto, profile
        self.box: RemoteSandbox | None = None
        self.runner: InProcess | WholeProcess | None = None

    def run(self) -> list[Result]:
        """Build the world, then run W1 to W4 in order."""
        configure_logging("json", "INFO", stream=(self.workdir / "followthrough.log").open("a"))
        fixture = world_fixture(NOW, self.sizes)
        with RemoteSandbox(fixture, self.workdir, latency=self.latency) as box:
            del fixture  # the sandbox has it; the client's peak memory is the service's own
            self.box = box
            client = AirtableClient(box.airtable_token, box.airtable_base_id, endpoint=box.url)
            init_schema(client)  # set-up: `airtable init`
            settings = self._settings(box)
            self.runner = (
                WholeProcess(settings, self.workdir, self.profile)
                if self.whole_process
                else InProcess(settings, self.profile)
            )
            steps = {
                "W1": lambda: [self.w1()],
                "W2": lambda: [self.w2(), self.w2_again()],
                "W3": lambda: [self.w3()],
                "W4": lambda: [self.w4()],
            }
            results: list[Result] = []
            for name, step in steps.items():
                results += step()
                if name == self.upto:
                    break
            return results

    def _settings(self, box: RemoteSandbox) -> dict[str, str]:
        credentials = self.workdir / "google.json"
        credentials.write_text(json.dumps(box.google_credentials))
        credentials.chmod(0o600)
        return {
            "database_url": f"sqlite:///{self.workdir / 'followthrough.db'}",
            "google_credentials_file": str(credentials),
            "google_api_endpoint": box.url,
            "airtable_token": box.airtable_token,
            "airtable_base_id": box.airtable_base_id,
            "airtable_endpoint": box.url,
            "sender_name": "Sam Seeker",
            "thank_you_grace_minutes": str(GRACE_MINUTES),
            "now": NOW.isoformat(),
            "log_format": "json",
        }

    # --- the workloads ----------------------------------------------------------------------

    def w1(self) -> Result:
        """First sync of the whole account; the 30 recent interviews get their full effects."""
        s = self.sizes
        floor = Floor()
        floor.add("calendar", pages(s.events, "calendar"), f"{s.events:,} events")
        floor.add("people", pages(s.google_contacts, "people"), f"{s.google_contacts:,} contacts")
        floor.add("airtable", 1, "create the base's webhook (the change feed)")
        floor.add("airtable", pages(s.airtable_contacts, "airtable"), "read Contacts")
        floor.add("airtable", 2, "read the empty Meetings and Follow-ups tables")
        floor.add("gmail", s.recent_interviews, "one thank-you draft per recent interview")
        longest_read = max(pages(s.airtable_contacts, "airtable"), pages(s.events, "calendar"))
        floor.depend(longest_read, "the longest paged read")
        floor.depend(4, "Contacts rows, then drafts, then Meetings rows, then Follow-ups")
        interviews = s.history_interviews + s.recent_interviews
        return self._measure("W1", f"first sync ({interviews} interviews)", NOW, floor)

    def w2(self) -> Result:
        """A minute later, nothing changed anywhere."""
        floor = self._incremental_floor()
        return self._measure("W2", "incremental, nothing changed", NOW + _minutes(1), floor)

    def w2_again(self) -> Result:
        """Another minute later: the steady state, with none of W1's own writes left in the feed."""
        floor = self._incremental_floor()
        return self._measure("W2b", "the same, one pass later", NOW + _minutes(2), floor)

    def w3(self) -> Result:
        """50 events changed (renamed, some now interviews with a contact)."""
        changes = w3_changes(NOW, self.sizes)
        for event_id, change in changes:
            self._box().call("update_event", event_id=event_id, changes=change)
        floor = self._incremental_floor()
        floor.depend(1, "then the Meetings rows")
        return self._measure("W3", f"{len(changes)} changed events", NOW + _minutes(3), floor)

    def w4(self) -> Result:
        """200 meetings end at the same minute; the pass after their grace does all their work."""
        end = NOW + _minutes(60)
        for event in w4_meetings(end, self.sizes):
            self._box().call("add_event", event=event)
        self._runner().setup_pass(NOW + _minutes(4))  # set-up: learns of them (Scheduled rows)
        floor = self._incremental_floor()
        floor.add("gmail", self.sizes.ending_meetings, "one thank-you draft each")
        floor.depend(4, "Contacts rows, then drafts, then Meetings rows, then Follow-ups")
        when = end + _minutes(GRACE_MINUTES + 1)
        return self._measure("W4", f"{self.sizes.ending_meetings} meetings end", when, floor)

    # --- measuring ----------------------------------------------------------------------------

    def _incremental_floor(self) -> Floor:
        floor = Floor()
        for api, why in (
            ("calendar", "the events sync token"),
            ("people", "the contacts sync token"),
            ("airtable", "the webhook's payloads from the cursor"),
        ):
            floor.add(api, 1, why)
        floor.depend(1, "one read from each feed, side by side")
        return floor

    def _measure(self, name: str, title: str, when: dt.datetime, floor: Floor) -> Result:
        box, runner = self._box(), self._runner()
        time.sleep(1.2)  # Airtable's rate window from set-up requests has passed
        before = box.airtable("snapshot")
        box.call("reset_requests")
        timed = runner.timed_pass(name, when)
        log = box.request_log()
        requests, penalties = count_requests(log)
        rows = _rows_written(before, box.airtable("snapshot"))
        for table, count in rows.items():
            if count:
                floor.add("airtable", writes(count), f"write {count} {table} rows")
        return Result(
            name, title, timed.wall, timed.cpu, requests, penalties, timed.peak_rss, floor,
            self.latency, startup=timed.startup,
            extra={"rows": rows, "routes": _routes(log), **timed.extra},
        )  # fmt: skip

    def _box(self) -> RemoteSandbox:
        assert self.box is not None
        return self.box

    def _runner(self) -> InProcess | WholeProcess:
        assert self.runner is not None
        return self.runner


def _minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def _records(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{t['name']}/{r['id']}": {"table": t["name"], "fields": r["fields"]}
        for t in snapshot["tables"]
        for r in t["records"]
    }


def _rows_written(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Rows created or changed per table between two snapshots of the base."""
    old, new = _records(before), _records(after)
    counts = dict.fromkeys(TABLES, 0)
    for key, record in new.items():
        if key not in old or old[key]["fields"] != record["fields"]:
            counts[record["table"]] = counts.get(record["table"], 0) + 1
    return counts


def _routes(log: list[dict[str, Any]]) -> dict[str, int]:
    """Requests per sandbox route (control calls left out)."""
    return dict(Counter(e["route"] for e in log if not e["route"].startswith("control.")))
