"""How the demo ends: this week's digest, drafted as the scheduler drafts it on
FOLLOWTHROUGH_DIGEST's day (`mon 08:00` when the setting is empty), and a screenshot of the
status page; both are printed last.

The screenshot is taken by a headless Chromium when one is installed (Debian's `chromium`);
without one the page is saved as HTML beside the demo's other files, and the ending says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from service.web.app import create_app
from service.web.context import BasicContext
from service.web.server import WebServer
from service.web.status import render_status
from workflows.digest import Digest
from workflows.duework.digest import digest_now
from workflows.queries.home import home
from workflows.rules.digest import parse_digest
from workflows.runtime import Runtime

SCREENSHOT_NAME = "status-page.png"
PAGE_NAME = "status-page.html"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DEMO_DIGEST = "mon 08:00"
SCREENSHOT_SECONDS = 60


@dataclass(frozen=True)
class Ending:
    """What the demo's ending made: the page's picture (or HTML) and the week's digest."""

    page: Path
    screenshot: bool
    digest: Digest | None


def finish(runtime: Runtime, output: Path) -> Ending:
    """Draft this week's digest and save the status page, as a screenshot if possible."""
    if runtime.config.digest is None:
        runtime.config = replace(runtime.config, digest=parse_digest(DEMO_DIGEST))
    ran = digest_now(runtime)
    digest = ran.result if ran is not None and isinstance(ran.result, Digest) else None
    with WebServer(create_app(BasicContext({}, lambda: home(runtime)))) as server:
        shot = _screenshot(f"{server.url}/", output / SCREENSHOT_NAME)
    if shot is not None:
        return Ending(shot, True, digest)
    page = output / PAGE_NAME
    page.write_text(render_status(home(runtime)), encoding="utf-8")
    return Ending(page, False, digest)


def _screenshot(url: str, path: Path) -> Path | None:
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        return None
    with tempfile.TemporaryDirectory(prefix="followthrough-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1280,2400",
            f"--screenshot={path}",
            url,
        ]
        if os.geteuid() == 0:  # Chromium refuses to run as root inside its sandbox
            command.insert(1, "--no-sandbox")
        try:
            subprocess.run(command, capture_output=True, timeout=SCREENSHOT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    return path if path.is_file() and path.stat().st_size > 0 else None


def print_ending(console: Console, ending: Ending) -> None:
    """Where the page's screenshot is, and the digest drafted, in full."""
    if ending.screenshot:
        console.print(f"The status page, as a browser shows it: {ending.page}", highlight=False)
    else:
        console.print(
            f"The status page is saved as {ending.page} (install Chromium for a screenshot).",
            highlight=False,
        )
    digest = ending.digest
    if digest is None:
        console.print("No weekly digest was drafted (no address for the user is known).")
        return
    console.print(
        f"The weekly digest for {digest.week}, drafted in Gmail to {digest.to}:\n"
        f"  Subject: {digest.subject}",
        highlight=False,
    )
    for line in digest.body.splitlines():
        console.print(f"  │ {line}", highlight=False, soft_wrap=True)
