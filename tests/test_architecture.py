"""The shape of the code (docs/architecture.md): the import contracts in pyproject.toml and
the size of a module, checked on every run so that the picture stays true."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("connectors", "workflows", "service")
MAX_MODULE_LINES = 400


def test_import_contracts_hold(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 0, (
        "an import contract in pyproject.toml [tool.importlinter] is broken (printed above)"
    )


def test_no_module_is_longer_than_the_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, f"split these modules (at most {MAX_MODULE_LINES} lines each)"
