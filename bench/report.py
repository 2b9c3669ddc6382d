"""The results as a markdown table (what README.md's Benchmarks section shows)."""

from __future__ import annotations

from bench.measure import APIS, Result

REQUESTS_TARGET = 1.05
WALL_TARGET = 1.3
MEMORY_TARGET = 200 * 2**20


def _per_api(result: Result) -> str:
    parts = []
    for api in APIS:
        used, floor = result.requests.get(api, 0), result.floor.requests.get(api, 0)
        if used or floor:
            parts.append(f"{api} {used}/{floor}")
    return ", ".join(parts)


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def row(result: Result) -> str:
    """One workload's line of the table."""
    ratio = result.total / result.floor_total if result.floor_total else float("inf")
    wall_ratio = result.wall / result.wall_floor if result.wall_floor else float("inf")
    memory = result.peak_rss / 2**20
    memory_ok = result.name != "W1" or result.peak_rss <= MEMORY_TARGET
    return (
        f"| {result.name} | {result.title} | {_per_api(result)} | "
        f"{result.total}/{result.floor_total} = {ratio:.2f}x{_mark(ratio <= REQUESTS_TARGET)} | "
        f"{result.wall:.1f} s / {result.wall_floor:.1f} s = "
        f"{wall_ratio:.2f}x{_mark(wall_ratio <= WALL_TARGET)} | {result.cpu:.1f} s | "
        f"{memory:.0f} MiB{_mark(memory_ok)} | {result.penalties}{_mark(result.penalties == 0)} |"
    )


def markdown(results: list[Result], machine: str = "") -> str:
    """The table, then how each floor was counted."""
    lines = [
        *([machine, ""] if machine else []),
        "| Workload | | Requests used/floor per API | Requests vs floor | Wall vs floor "
        "| Client CPU | Peak RSS | 429s |",
        "|---|---|---|---|---|---|---|---|",
        *(row(r) for r in results),
        "",
        f"Targets: requests ≤ {REQUESTS_TARGET}x floor, wall ≤ {WALL_TARGET}x floor, "
        "W1 peak memory ≤ 200 MiB, no 429; ✗ marks a target missed.",
        "",
        "Floors:",
        *(f"- {r.name}: " + "; ".join(r.floor.notes) for r in results),
        "",
    ]
    return "\n".join(lines)
