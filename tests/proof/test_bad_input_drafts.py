"""Hostile input that lands in a draft, end to end through the sandbox: custom templates that
reach for Python internals are refused at start-up, joiners in names and notes survive while
bidirectional overrides and controls do not, and the headers keep to their length.

The rules have their own tests (tests/workflows/rules/test_draft_text.py and
test_draft_templates.py); here the same input comes in through the APIs, a whole `run_once`
pass, or the `followthrough run --once` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.processes import sandbox_environment
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    at,
    drafts,
    fast,
    google_person,
    guest,
    meeting,
    world,
)
from workflows.passes import run_once

ADA = "ada@analytical.example"
AFTER = at(2026, 3, 2, 11)
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with a non-joiner
HINDI = "\u0915\u094d\u200d\u0937"  # a half form written with a joiner
OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "\x00\x07\x1b\x7f\x80\x9b"  # not NEL (x85): it ends a note's line

# The exploit: a template that ran a shell command and copied the Airtable token.
STEALS_THE_TOKEN = (
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
    "{{ cycler.__init__.__globals__.os.environ['FOLLOWTHROUGH_AIRTABLE_TOKEN'] }}\n"
)
# More ways in are refused by the rule's own tests (tests/workflows/rules/test_draft_templates.py).
HOSTILE_TEMPLATES = {
    "globals": STEALS_THE_TOKEN,
    "attributes": "{{ first_name.__class__.__mro__[1].__subclasses__() }}\n",
}


def _interview_world(name: str = "Ada Lovelace", notes: str = "Insight: data first") -> Any:
    event = meeting(
        "evtada", "Coffee chat", at(2026, 3, 2, 9), attendees=[guest(ADA, name)], description=notes
    )
    return world(events=[event], contacts=[google_person("people/c1", name, ADA)])


def _followthrough(tmp_path: Path, sandbox: Sandbox, *args: str, **settings: str) -> Any:
    env = sandbox_environment(
        tmp_path,
        sandbox,
        now=AFTER.isoformat(),
        database_url=f"sqlite:///{tmp_path / 'ft.db'}",
        **settings,
    )
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys())
def test_a_template_that_reaches_for_python_internals_stops_run_with_one_line(
    sandbox_factory: Any, tmp_path: Path, template: str
) -> None:
    # Given a templates directory whose body template reaches beyond the draft's variables
    sandbox = sandbox_factory(_interview_world(), airtable_rate_limit=FAST_AIRTABLE)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_body.txt.j2").write_text(template)

    # When the user runs the service
    ran = _followthrough(tmp_path, sandbox, "run", "--once", templates_dir=str(templates))

    # Then it stops before doing anything, with one line naming the file, and nothing leaks
    assert ran.returncode == 3, ran.stderr[-2000:]
    assert "Traceback" not in ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.startswith("followthrough:")]
    assert len(errors) == 1 and str(templates / "thank_you_body.txt.j2") in errors[0]
    assert "fix it, or delete it" in errors[0]
    assert sandbox.drafts() == []
    assert sandbox.airtable_token not in ran.stdout + ran.stderr
    assert "uid=" not in ran.stdout + ran.stderr


def test_a_good_custom_template_still_makes_the_draft(sandbox_factory: Any, tmp_path: Path) -> None:
    sandbox = sandbox_factory(_interview_world(), airtable_rate_limit=FAST_AIRTABLE)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_subject.txt.j2").write_text("Thanks, {{ first_name|upper }}\n")
    (templates / "thank_you_body.txt.j2").write_text(
        "Dear {{ contact_name }},\n{% for insight in insights %}"
        "{{ loop.index }}. {{ insight|capitalize }}\n{% endfor %}"
        "{{ meeting_date.isoformat() }}\n{{ sender_name }}\n"
    )

    ran = _followthrough(tmp_path, sandbox, "airtable", "init")
    assert ran.returncode == 0, ran.stderr[-2000:]
    ran = _followthrough(tmp_path, sandbox, "run", "--once", templates_dir=str(templates))

    assert ran.returncode == 0, ran.stderr[-2000:]
    [draft] = drafts(sandbox)
    assert draft["subject"] == "Thanks, ADA"
    body = draft["body"].replace("\r\n", "\n")
    assert body == "Dear Ada Lovelace,\n1. Data first\n2026-03-02\nSam Seeker\n"


def test_joiners_survive_and_overrides_and_controls_do_not_through_a_whole_pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a contact whose name is an emoji family and a Persian word, and notes with a Hindi
    # joiner, overrides and controls
    name = f"{FAMILY} {PERSIAN}"
    notes = (
        f"Insight: {HINDI} is one letter\nInsight: trust{OVERRIDES}me{CONTROLS}now\n"
        f"TODO: send {PERSIAN}"
    )
    sandbox = sandbox_factory(_interview_world(name, notes), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)

    # When a pass makes the thank-you
    report = run_once(runtime)

    # Then the joiners are in the draft as written, and the overrides and controls are not
    assert report.ok, report.failures
    [draft] = drafts(sandbox)
    assert draft["subject"] == f"Thank you, {FAMILY}!"
    assert name in json.dumps(draft, ensure_ascii=False)  # the To header's display name
    assert f"Hi {FAMILY}," in draft["body"]
    assert f"  - {HINDI} is one letter.\r\n" in draft["body"]
    assert f"I'll send {PERSIAN}." in draft["body"]
    for bad in OVERRIDES + CONTROLS:
        assert bad not in draft["subject"] and bad not in draft["body"]
    assert "Trust me now." in draft["body"]


def test_a_very_long_name_makes_a_subject_of_one_hundred_characters(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    first = "A" * 300
    sandbox = sandbox_factory(
        _interview_world(f"{first} Lovelace"), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)

    assert run_once(runtime).ok

    [draft] = drafts(sandbox)
    assert draft["subject"] == ("Thank you, " + first)[:99] + "\u2026"
