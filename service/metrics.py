"""Prometheus metrics: what Followthrough counts, in one registry.

The metric objects live beside the broker and the logging, not in the web app, so that the
actor middleware (service.broker) and the event counter (service.logging) record into them
without importing the web app; `/metrics` (service.web.metrics) serves the registry.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from workflows.queries.home import Home
from workflows.week.glance import Due, ThankYouWaiting

REGISTRY = CollectorRegistry(auto_describe=True)
"""Followthrough's own registry (not the global one, so tests and re-imports stay clean)."""

SYNCS = Counter(
    "followthrough_syncs",
    "Sync passes by source and outcome (ok, failed).",
    ["source", "outcome"],
    registry=REGISTRY,
)
RECORDS = Counter(
    "followthrough_records",
    "Records read from a source (skipped ones counted with outcome=skipped).",
    ["source", "outcome"],
    registry=REGISTRY,
)
EFFECTS = Counter(
    "followthrough_effects",
    "External effects (draft, follow-up, task, contact update) by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "followthrough_errors",
    "Errors by where they happened and their class.",
    ["where", "error"],
    registry=REGISTRY,
)
TASKS = Counter(
    "followthrough_tasks",
    "Broker messages processed by actor and outcome (done, failed, skipped).",
    ["actor", "outcome"],
    registry=REGISTRY,
)
QUEUE_LAG = Histogram(
    "followthrough_queue_lag_seconds",
    "Seconds between when a message was due and when a worker started it.",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)


def count_events(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """A structlog processor that counts the workflows' events into the metrics above.

    The workflows know nothing of Prometheus; they log structured events (`sync.done`,
    `meeting.completed`, ...) and this processor, first in the chain so that the log level
    cannot hide them, turns those into counts.
    """
    name = event.get("event")
    if name == "sync.done":
        source = str(event.get("source", ""))
        SYNCS.labels(source=source, outcome="ok").inc()
        RECORDS.labels(source=source, outcome="read").inc(_number(event.get("records")))
        RECORDS.labels(source=source, outcome="skipped").inc(_number(event.get("skipped")))
    elif name == "sync.failed":
        source = str(event.get("source", ""))
        SYNCS.labels(source=source, outcome="failed").inc()
        ERRORS.labels(where=source, error=str(event.get("error", ""))).inc()
    elif name == "meeting.completed":
        _count_completion(event)
    elif name in ("due.skipped", "followup.skipped", "meeting.failed"):
        ERRORS.labels(where=name, error=str(event.get("error", "skipped"))).inc()
    return event


def _count_completion(event: MutableMapping[str, Any]) -> None:
    outcome = "skipped" if event.get("skipped") else "applied"
    EFFECTS.labels(kind="meeting", outcome=outcome).inc()
    if event.get("draft"):
        EFFECTS.labels(kind="draft", outcome="applied").inc()
    EFFECTS.labels(kind="follow_up", outcome="applied").inc(_number(event.get("followups")))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0


CONTACTS = Gauge(
    "followthrough_contacts",
    "Contacts by pipeline stage (the status page's pipeline).",
    ["account", "stage"],
    registry=REGISTRY,
)
FUNNEL = Gauge(
    "followthrough_funnel_last_90_days",
    "The last 90 days by funnel stage: asks, replies, meetings, introductions.",
    ["account", "stage"],
    registry=REGISTRY,
)
THANK_YOU_TIMES = Gauge(
    "followthrough_thank_yous_sent_last_90_days",
    "Thank-yous seen sent in the last 90 days, by hours from the meeting's end (the page's bars).",
    ["account", "hours"],
    registry=REGISTRY,
)
WEEK = Gauge(
    "followthrough_week_items",
    "This week's thank-yous, promises, updates and asks waiting, and how many are overdue.",
    ["account", "section", "overdue"],
    registry=REGISTRY,
)


def record_home(home: Home) -> None:
    """Set the gauges behind the status page's pictures and lists from `home`."""
    account = home.health.account
    for row in home.pipeline:
        CONTACTS.labels(account=account, stage=row.stage).set(row.contacts)
    for label, count in home.recent.funnel.stages():
        FUNNEL.labels(account=account, stage=label.lower()).set(count)
    for label, count in home.recent.histogram():
        THANK_YOU_TIMES.labels(account=account, hours=label.removesuffix(" h")).set(count)
    sections: dict[str, Sequence[ThankYouWaiting | Due]] = {
        "thank_yous": home.thank_yous,
        "promises": home.promises,
        "updates": home.updates,
        "asks": home.asks,
    }
    for section, items in sections.items():
        late = sum(1 for item in items if item.overdue)
        WEEK.labels(account=account, section=section, overdue="yes").set(late)
        WEEK.labels(account=account, section=section, overdue="no").set(len(items) - late)
