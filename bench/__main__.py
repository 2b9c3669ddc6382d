"""Run every benchmark: `python -m bench [--small] [--out bench/results.md]`."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.latency import measure
from bench.report import markdown
from bench.workloads import Bench
from bench.worlds import Sizes

SMALL = Sizes(
    google_contacts=500, airtable_contacts=100, events=1_000, history_interviews=30,
    recent_interviews=6, changed_events=20, ending_meetings=20, new_interviews_in_w3=4,
)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run W1 to W4 against a sandbox in a child process; print and write the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.md")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per request")
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes (a smoke run)")
    parser.add_argument("--upto", default="W4", help="stop after this workload (W1..W4)")
    parser.add_argument("--no-latency", action="store_true", help="skip the end-to-draft run")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each workload here")
    args = parser.parse_args(argv)
    sizes = SMALL if args.small else Sizes()
    with tempfile.TemporaryDirectory(prefix="followthrough-bench-") as workdir:
        results = Bench(
            Path(workdir), sizes, args.latency, upto=args.upto, profile=args.profile
        ).run()
        end_to_draft = None if args.no_latency else measure(Path(workdir), args.latency)
    for result in results:
        print(result.name, f"{result.wall:.2f}s", result.extra, file=sys.stderr)
    table = markdown(results, _machine(args.latency))
    if end_to_draft is not None:
        table += "\n" + end_to_draft.line() + "\n"
    print(table)
    if not args.small and args.upto == "W4":
        args.out.write_text(table)
        print(f"written to {args.out}", file=sys.stderr)


def _machine(latency: float) -> str:
    """Where the figures were measured (a busy machine slows the client's CPU-bound part)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Measured with {latency * 1000:.0f} ms latency a request, Airtable at 5 requests/s, "
        f"SQLite store, on {os.cpu_count()} CPUs with load average {load} at the end."
    )


if __name__ == "__main__":
    main()
