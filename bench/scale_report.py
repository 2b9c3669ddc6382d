"""The scale benchmark's figures against issue 16's targets, as markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

RSS_TARGET = 1.5 * 2**30  # every process of ours together, 1,000 idle accounts
PG_TARGET = 50  # PostgreSQL connections
P95_TARGET = 60.0  # seconds from a meeting's end to its draft, in the burst
PUSH_REQUESTS_TARGET = 100  # requests a day per idle account with live push channels
POLL_REQUESTS_TODAY = 890  # an idle account's requests a day before issue 16 (without push)
TARGET_ACCOUNTS = 1000


@dataclass(frozen=True)
class Idle:
    """One idle window's figures."""

    seconds: float
    requests: int
    cpu: float  # seconds of our processes' CPU in the window
    rss: int  # bytes, all our processes, at the window's end
    redis_commands: int
    pg_connections: int  # the most seen in the window
    queued: int  # messages queued or in hand at the window's end

    def per_account_day(self, amount: float, accounts: int) -> float:
        """`amount` in this window, per account, scaled to a day."""
        return amount / self.seconds * 86_400 / accounts


@dataclass(frozen=True)
class Burst:
    """The burst's figures: seconds from each meeting's end to its draft, and what went wrong."""

    latencies: tuple[float, ...]
    missing: tuple[str, ...]  # accounts with no draft for their meeting
    duplicated: tuple[str, ...]  # accounts with more than one
    refusals: dict[str, int]  # status -> count during the burst (429, 403 ...)
    pg_connections: int
    rss: int
    waited: float  # seconds after the meetings' end the benchmark waited for drafts

    def percentile(self, p: float) -> float:
        """The nearest-rank percentile `p` (0-100); infinity with no draft at all."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.inf
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Figures:
    """Everything one run measured."""

    accounts: int
    setup: str
    without_push: Idle | None = None
    with_push: Idle | None = None
    burst: Burst | None = None
    refused_429: int = 0
    sandbox_rss: int = 0
    notes: list[str] = field(default_factory=list)


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB" if value >= 10 * 2**20 else f"{value / 2**20:.1f} MiB"


def _idle_rows(name: str, idle: Idle, accounts: int, target: float, today: bool) -> list[str]:
    requests = idle.per_account_day(idle.requests, accounts)
    cpu = idle.per_account_day(idle.cpu, accounts)
    what = f"no more than today's {target:.0f}" if today else f"at most {target:.0f}"
    return [
        f"| Idle {name}: requests per account per day | {requests:,.0f} | {what} "
        f"| {_mark(requests <= target)} |",
        f"| Idle {name}: CPU per account per day | {cpu:,.1f} s "
        f"({idle.cpu / idle.seconds * 100:.1f}% of a core for all) | | |",
        f"| Idle {name}: memory (RSS) of all our processes | {_mib(idle.rss)} "
        f"({_mib(idle.rss / accounts)} per account) | at most {_mib(RSS_TARGET)} for "
        f"{TARGET_ACCOUNTS:,} accounts | {_mark(idle.rss <= RSS_TARGET)} |",
        f"| Idle {name}: Redis commands per second | {idle.redis_commands / idle.seconds:,.1f} "
        "| | |",
        f"| Idle {name}: PostgreSQL connections (most seen) | {idle.pg_connections} "
        f"| at most {PG_TARGET} | {_mark(idle.pg_connections <= PG_TARGET)} |",
        f"| Idle {name}: messages queued at the window's end | {idle.queued:,} | | |",
    ]


def _burst_rows(burst: Burst, accounts: int) -> list[str]:
    p50, p95 = burst.percentile(50), burst.percentile(95)
    worst = max(burst.latencies, default=math.inf)
    exact = not burst.missing and not burst.duplicated
    times = (
        f"{p50:.1f} s / {p95:.1f} s / {worst:.1f} s"
        if burst.latencies
        else f"no draft within {burst.waited:.0f} s"
    )
    return [
        f"| Burst: end to draft p50 / p95 / max | {times} "
        f"| p95 at most {P95_TARGET:.0f} s | {_mark(p95 <= P95_TARGET)} |",
        f"| Burst: exactly one draft per meeting | {accounts - len(burst.missing)} of {accounts} "
        f"have one; {len(burst.missing)} none, {len(burst.duplicated)} more than one "
        f"| all {accounts} | {_mark(exact)} |",
        f"| Burst: refusals the sandbox answered | {burst.refusals.get('429', 0)} 429s, "
        f"{burst.refusals.get('403', 0)} 403s (Gmail's quota and others) | no 429 "
        f"| {_mark(burst.refusals.get('429', 0) == 0)} |",
        f"| Burst: PostgreSQL connections (most seen) | {burst.pg_connections} "
        f"| at most {PG_TARGET} | {_mark(burst.pg_connections <= PG_TARGET)} |",
        f"| Burst: memory (RSS) of all our processes at the end | {_mib(burst.rss)} | | |",
    ]


def markdown(figures: Figures) -> str:
    """The figures as a table with each target and a hit (✓) or miss (✗) mark."""
    n = figures.accounts
    rows = ["| Figure | Measured | Target | |", "|---|---|---|---|"]
    if figures.without_push is not None:
        rows += _idle_rows("without push", figures.without_push, n, POLL_REQUESTS_TODAY, True)
    if figures.with_push is not None:
        rows += _idle_rows("with push", figures.with_push, n, PUSH_REQUESTS_TARGET, False)
    if figures.burst is not None:
        rows += _burst_rows(figures.burst, n)
    refused = figures.refused_429
    rows.append(
        f"| 429s the sandbox answered (whole run) | {refused} | 0 | {_mark(refused == 0)} |"
    )
    lines = [f"Scale benchmark: {n:,} accounts. {figures.setup}", "", *rows, ""]
    if n != TARGET_ACCOUNTS:
        lines.append(
            f"The memory target is for {TARGET_ACCOUNTS:,} accounts; this run had {n:,}, so its "
            "mark only says whether this run stayed under it."
        )
    lines.append(f"The sandbox process (not counted above): {_mib(figures.sandbox_rss)}.")
    lines += [f"- {note}" for note in figures.notes]
    return "\n".join(lines) + "\n"
