"""Reads mutmut's results in mutants/; prints the kill rate per module and area, and the survivors.

Run by scripts/mutation after `mutmut run`, from the repository root. A survivor listed in
scripts/mutation-equivalent.txt (a reviewed list: `mutant-name  reason`) is equivalent: no test
can tell it from the original, so it leaves the denominator and is printed with its reason.
Exits 1 when the overall kill rate of non-equivalent mutants is under the target.
With --list-survivors it only prints the names of the survivors (for `--survivors` runs).
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant

TARGET = 0.90
EQUIVALENT_LIST = Path("scripts/mutation-equivalent.txt")

AREAS: dict[str, tuple[str, ...]] = {
    "rules": ("workflows/rules/*.py",),
    "effects ledger": ("workflows/store/ledger.py", "workflows/effects.py"),
    "webhook checks": (
        "service/web/webhooks.py",
        "connectors/airtable/webhooks.py",
        "connectors/google/calendar.py",
    ),
}
"""Each area and its files; scripts/mutation selects which functions of a file are mutated."""

KILLED = {1, 3, 36, -24, 24, 152, 255}  # a failing test, pytest's internal error, a timeout
NO_TESTS = {5, 33}


@dataclass
class Tally:
    """Outcomes of one module's (or area's) mutants."""

    killed: int = 0
    survivors: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Adds another tally's counts and mutants to this one."""
        self.killed += other.killed
        self.survivors += other.survivors
        self.equivalent += other.equivalent

    @property
    def relevant(self) -> int:
        """Mutants that are not equivalent: the denominator of the kill rate."""
        return self.killed + len(self.survivors)

    @property
    def rate(self) -> float:
        """Killed share of the non-equivalent mutants (1.0 when there are none)."""
        return self.killed / self.relevant if self.relevant else 1.0

    def line(self, name: str) -> str:
        """One report line: name, rate, killed of non-equivalent, equivalents."""
        return (
            f"{name:<36} {self.rate:7.1%}  {self.killed:4d}/{self.relevant:<4d} killed"
            f"  {len(self.survivors):3d} survived  {len(self.equivalent):3d} equivalent"
        )


def read_equivalent(path: Path) -> dict[str, str]:
    """The reviewed equivalent mutants: name -> reason, from `name  reason` lines."""
    listed: dict[str, str] = {}
    for raw in path.read_text().splitlines() if path.exists() else []:
        text = raw.strip()
        if text and not text.startswith("#"):
            name, _, reason = text.partition(" ")
            listed[name] = reason.strip()
    return listed


def results(source: str) -> dict[str, int | None]:
    """mutmut's exit code per mutant of one source file (None: not run)."""
    meta = Path("mutants") / f"{source}.meta"
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return codes


def tally_module(source: str, selected: list[str], equivalent: dict[str, str]) -> Tally:
    """Counts the selected mutants of one file; those not run (None) are left out."""
    tally = Tally()
    for name, code in sorted(results(source).items(), key=lambda item: _natural(item[0])):
        if code is None or not any(fnmatch.fnmatch(name, p) for p in selected):
            continue
        if code in KILLED:
            tally.killed += 1
        elif name in equivalent:
            tally.equivalent.append(name)
        else:
            tally.survivors.append(name)
    return tally


def _natural(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def sources(area_globs: Iterable[str]) -> list[str]:
    """The files an area's globs name, sorted."""
    return sorted({str(p) for pattern in area_globs for p in Path().glob(pattern)})


def changed_lines(name: str, source: str) -> str:
    """The mutant's diff without its headers: the lines it removes and adds."""
    diff = get_diff_for_mutant(name, path=source).splitlines()
    body = [line for line in diff[2:] if line[:1] in "+-" and not line.startswith("@@")]
    return "\n".join(f"        {line.strip()[:1]} {line[1:].strip()}" for line in body)


def main(selected: list[str]) -> int:
    """Prints the report; 1 when the overall rate is under TARGET, 2 when nothing was run."""
    equivalent = read_equivalent(EQUIVALENT_LIST)
    overall, by_module = Tally(), {}
    print(f"Mutation testing (kill rate of non-equivalent mutants; target {TARGET:.0%})\n")
    for area, globs in AREAS.items():
        area_tally = Tally()
        for source in sources(globs):
            by_module[source] = tally_module(source, selected, equivalent)
            if by_module[source].relevant or by_module[source].equivalent:
                print("  " + by_module[source].line(source))
            area_tally.add(by_module[source])
        print(area_tally.line(f"{area} (all)") + "\n")
        overall.add(area_tally)
    if not overall.relevant:
        print("error: no mutant results in mutants/; run scripts/mutation first.", file=sys.stderr)
        return 2
    print(overall.line("overall") + "\n")
    print("Survivors (no test fails with this change):")
    for source, tally in by_module.items():
        codes = results(source)
        for name in tally.survivors:
            print(f"    {name}" + ("  (no test calls it)" if codes[name] in NO_TESTS else ""))
            print(changed_lines(name, source))
    print("\nEquivalent (reviewed in scripts/mutation-equivalent.txt):")
    for name in overall.equivalent:
        print(f"    {name}  ({equivalent[name]})")
    _warn_stale(list(by_module), equivalent, selected)
    return 0 if overall.rate >= TARGET else 1


def _warn_stale(modules: list[str], equivalent: dict[str, str], selected: list[str]) -> None:
    """Names on the equivalent list that were killed or no longer exist: the list needs review."""
    codes = {name: code for source in modules for name, code in results(source).items()}
    for name in equivalent:
        if any(fnmatch.fnmatch(name, p) for p in selected) and codes.get(name, 1) in KILLED:
            print(
                f"warning: {name} is listed as equivalent but was killed or no longer exists;"
                " remove it from scripts/mutation-equivalent.txt."
            )


def list_survivors(selected: list[str]) -> int:
    """Prints the name of every selected mutant that survived (equivalent ones too), one a line."""
    for area_globs in AREAS.values():
        for source in sources(area_globs):
            for name in tally_module(source, selected, {}).survivors:
                print(name)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--list-survivors"]:
        sys.exit(list_survivors(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
