"""The results as markdown tables (what README.md's Benchmarks section shows)."""

from __future__ import annotations

from bench.measure import APIS, Result

REQUESTS_TARGET = 1.05
WALL_TARGET = 1.3  # in-process, against the requests' floor
PROCESS_WALL_TARGET = 1.2  # a whole process, against its floor (start-up included)
MEMORY_TARGET = 150 * 2**20  # W1's peak resident set
NO_CHANGE_CPU_TARGET = 0.020  # seconds of CPU for a pass with nothing changed, in-process
NO_CHANGE = ("W2", "W2b")


def _per_api(result: Result) -> str:
    parts = []
    for api in APIS:
        used, floor = result.requests.get(api, 0), result.floor.requests.get(api, 0)
        if used or floor:
            parts.append(f"{api} {used}/{floor}")
    return ", ".join(parts)


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def _cpu(result: Result) -> str:
    if result.startup is None and result.name in NO_CHANGE:
        ok = result.cpu <= NO_CHANGE_CPU_TARGET
        return f"{result.cpu * 1000:.0f} ms{_mark(ok)}"
    return f"{result.cpu:.2f} s"


def _wall(result: Result) -> str:
    target = WALL_TARGET if result.startup is None else PROCESS_WALL_TARGET
    ratio = result.wall / result.wall_floor if result.wall_floor else float("inf")
    startup = "" if result.startup is None else f" (start-up {result.startup:.2f} s)"
    return (
        f"{result.wall:.2f} s / {result.wall_floor:.2f} s{startup} = "
        f"{ratio:.2f}x{_mark(ratio <= target)}"
    )


def row(result: Result) -> str:
    """One workload's line of a table."""
    ratio = result.total / result.floor_total if result.floor_total else float("inf")
    memory = result.peak_rss / 2**20
    memory_ok = result.name != "W1" or result.peak_rss <= MEMORY_TARGET
    return (
        f"| {result.name} | {result.title} | {_per_api(result)} | "
        f"{result.total}/{result.floor_total} = {ratio:.2f}x{_mark(ratio <= REQUESTS_TARGET)} | "
        f"{_wall(result)} | {_cpu(result)} | "
        f"{memory:.0f} MiB{_mark(memory_ok)} | {result.penalties}{_mark(result.penalties == 0)} |"
    )


def table(title: str, results: list[Result]) -> list[str]:
    """One measure's table under its title."""
    return [
        title,
        "",
        "| Workload | | Requests used/floor per API | Requests vs floor | Wall vs floor "
        "| Client CPU | Peak RSS | Refused (429, quota) |",
        "|---|---|---|---|---|---|---|---|",
        *(row(r) for r in results),
        "",
    ]


def markdown(in_process: list[Result], whole_process: list[Result], machine: str = "") -> str:
    """Both measures' tables, the targets, then how each floor was counted."""
    lines = [*([machine, ""] if machine else [])]
    if in_process:
        lines += table("In-process (`run_once` in the long-running service):", in_process)
    if whole_process:
        lines += table(
            "Whole process (`followthrough run --once`, start to exit; its start-up is "
            "`followthrough --help` timed just before):",
            whole_process,
        )
    lines += [
        f"Targets: requests ≤ {REQUESTS_TARGET}x floor; wall ≤ {WALL_TARGET}x floor in-process "
        f"and ≤ {PROCESS_WALL_TARGET}x a whole process's floor; a pass with nothing changed "
        f"(W2, W2b) ≤ {NO_CHANGE_CPU_TARGET * 1000:.0f} ms of CPU in-process; W1 peak memory "
        f"≤ {MEMORY_TARGET // 2**20} MiB; no 429; ✗ marks a target missed.",
        "",
        "Floors (whole process: start-up + the longer of Airtable's spacing and the chain at "
        "the latency + 0.04 s a Gmail draft):",
        *(f"- {r.name}: " + "; ".join(r.floor.notes) for r in in_process or whole_process),
        "",
    ]
    return "\n".join(lines)
