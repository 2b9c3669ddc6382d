"""Run one command and print its wall time, CPU and peak memory as JSON (`python -m bench.launch`).

A process started straight from the benchmark would report the benchmark's own resident set
as its peak: Linux keeps the largest resident set of a process across `fork` and `exec`. This
launcher is small, so the command it starts reports its own peak. Its standard streams are the
command's; the figures go to the file named by the first argument.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    """`python -m bench.launch FIGURES COMMAND...`: run COMMAND, write its figures to FIGURES."""
    figures, command = Path(sys.argv[1]), sys.argv[2:]
    started = time.monotonic()
    code = subprocess.call(command)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    figures.write_text(json.dumps({"wall": wall, "cpu": cpu, "peak_kib": usage.ru_maxrss}))
    sys.exit(code)


if __name__ == "__main__":
    main()
