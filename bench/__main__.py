"""Run every benchmark: `python -m bench [--small] [--measure both] [--out bench/results.md]`;
many accounts on one deployment: `python -m bench scale [--accounts 1000]` (bench/scale.py)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.latency import measure
from bench.measure import Result
from bench.report import markdown
from bench.workloads import Bench
from bench.worlds import Sizes

SMALL = Sizes(
    google_contacts=500, airtable_contacts=100, events=1_000, history_interviews=30,
    recent_interviews=6, changed_events=20, ending_meetings=20, new_interviews_in_w3=4,
)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run W1 to W4 against a sandbox in a child process; print and write the table."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scale"]:
        from bench.scale import main as scale

        scale(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.md")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per request")
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes (a smoke run)")
    parser.add_argument("--upto", default="W4", help="stop after this workload (W1..W4)")
    parser.add_argument("--no-latency", action="store_true", help="skip the end-to-draft run")
    parser.add_argument(
        "--measure",
        choices=("both", "in-process", "process"),
        default="both",
        help="run the passes in this process, as whole `followthrough run --once` processes, "
        "or both (each on a world of its own)",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of each workload here")
    args = parser.parse_args(argv)
    sizes = SMALL if args.small else Sizes()
    measures: dict[str, list[Result]] = {"in-process": [], "process": []}
    with tempfile.TemporaryDirectory(prefix="followthrough-bench-") as workdir:
        for shape in measures:
            if args.measure in ("both", shape):
                measures[shape] = _bench(Path(workdir) / shape, sizes, args, shape)
        end_to_draft = None if args.no_latency else measure(Path(workdir), args.latency)
    table = markdown(measures["in-process"], measures["process"], _machine(args.latency))
    if end_to_draft is not None:
        table += "\n" + end_to_draft.line() + "\n"
    print(table)
    if not args.small and args.upto == "W4" and args.measure == "both":
        args.out.write_text(table)
        print(f"written to {args.out}", file=sys.stderr)


def _bench(workdir: Path, sizes: Sizes, args: argparse.Namespace, shape: str) -> list[Result]:
    """One measure's workloads, on a world of its own."""
    workdir.mkdir()
    bench = Bench(
        workdir, sizes, args.latency, whole_process=shape == "process", upto=args.upto,
        profile=args.profile,
    )  # fmt: skip
    results = bench.run()
    for result in results:
        print(shape, result.name, f"{result.wall:.2f}s", result.extra, file=sys.stderr)
    return results


def _machine(latency: float) -> str:
    """Where the figures were measured (a busy machine slows the client's CPU-bound part)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Measured with {latency * 1000:.0f} ms latency a request, Airtable at 5 requests/s, "
        f"SQLite store, on {os.cpu_count()} CPUs with load average {load} at the end."
    )


if __name__ == "__main__":
    main()
