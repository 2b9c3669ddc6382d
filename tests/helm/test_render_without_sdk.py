"""Without helm-python-sdk the chart's render tests skip on a workstation and fail on CI.

Each case runs pytest on tests/helm/test_render.py in a child process in which importing
`helm_python` fails, as it does where the package is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENDER_TESTS = ROOT / "tests" / "helm" / "test_render.py"
REQUIRE = "FOLLOWTHROUGH_REQUIRE_SERVICES"
# A None in sys.modules makes `import helm_python` raise ImportError.
WITHOUT_SDK = (
    "import sys; sys.modules['helm_python'] = None; "
    "import pytest; sys.exit(pytest.main(sys.argv[1:]))"
)


def run_render_tests(require: str | None) -> subprocess.CompletedProcess[str]:
    """pytest on the render tests without the SDK, with FOLLOWTHROUGH_REQUIRE_SERVICES=`require`."""
    env = {k: v for k, v in os.environ.items() if k != REQUIRE}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if require is not None:
        env[REQUIRE] = require
    arguments = ["-q", "-rsE", "-p", "no:cacheprovider", str(RENDER_TESTS)]
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_SDK, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def summary(result: subprocess.CompletedProcess[str]) -> str:
    """pytest's last line: how many passed, failed, skipped, errors."""
    return result.stdout.strip().splitlines()[-1]


def test_on_a_workstation_the_render_tests_skip_and_say_what_to_install() -> None:
    result = run_render_tests(require=None)

    assert result.returncode == 0, result.stdout
    assert "skipped" in summary(result)
    assert "error" not in summary(result) and "passed" not in summary(result)
    assert "helm-python-sdk is not installed" in result.stdout
    assert "pip install -e '.[dev]'" in result.stdout


def test_on_ci_the_render_tests_fail_and_say_what_to_install() -> None:
    result = run_render_tests(require="1")

    assert result.returncode == 1, result.stdout
    assert "error" in summary(result)
    assert "skipped" not in summary(result) and "passed" not in summary(result)
    assert "Failed: helm-python-sdk is not installed" in result.stdout
