"""The steps of the practice beyond the thank-you, and whether the user's base and settings allow
each one.

A base made before a step existed keeps working: the step is off, and `followthrough doctor`
and `status` say why and what to do (DESIGN.md, "External contract"). What the base lacks is
read from its schema (one request) and kept as a fact: trusted for hours while nothing is
missing, looked at again within minutes while something is, so a step turns on soon after the
user runs `followthrough airtable init`.

    off = step_off(runtime, ASK)        # None, or the reason, e.g. "Ask drafts are off: ..."
    steps_off(runtime)                  # every step's reason, from what is known (no request)
    why_off(step, gaps, config)         # the pure rule behind both
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from connectors.airtable.schema import contract_gaps
from connectors.errors import FollowthroughError
from workflows.facts import get_fact, set_fact
from workflows.runtime import Runtime, WorkflowConfig

log = structlog.get_logger(__name__)

BASE_GAPS = "fact:airtable_contract_gaps"
"""What the base lacked of the contract when last read (JSON: when, and the gaps)."""
TRUST_COMPLETE = dt.timedelta(hours=6)
"""How long a base found complete is trusted without reading its schema again."""
RECHECK_INCOMPLETE = dt.timedelta(minutes=10)
"""How soon a base found lacking is read again (the user may have run `airtable init`)."""


@dataclass(frozen=True)
class Step:
    """A step Followthrough takes for the user, and what it needs of the base and settings."""

    name: str  # as the user reads it: "Ask drafts"
    needs: tuple[str, ...]  # "Table.Field" or "Table.Field=Choice"
    needs_about_me: bool = False


ASK = Step(
    "Ask drafts",
    (
        "Contacts.Draft Ask",
        "Contacts.Why Them",
        "Follow-ups.Draft",
        "Follow-ups.Kind=Ask",
    ),
    needs_about_me=True,
)
NUDGE = Step("Nudges", ("Follow-ups.Draft", "Follow-ups.Kind=Nudge"))
BRIEF = Step("Briefs", ("Meetings.Brief", "Follow-ups.Kind=Prepare"))
RESCHEDULE = Step("Reschedule follow-ups", ("Follow-ups.Kind=Reschedule",))
PROGRESS_DRAFTS = Step("Progress-update drafts", ("Follow-ups.Draft",))
MILESTONES = Step("Milestones", ("Milestones.What", "Milestones.Date", "Milestones.Contacts"))
INTRODUCTIONS = Step(
    "Thank-you notes to introducers", ("Contacts.Referred By", "Follow-ups.Kind=Thank introducer")
)
STEPS = (ASK, NUDGE, BRIEF, RESCHEDULE, PROGRESS_DRAFTS, MILESTONES, INTRODUCTIONS)


def why_off(step: Step, gaps: Iterable[str], config: WorkflowConfig) -> str | None:
    """Why `step` is off (one line saying what to do), or None when it is on."""
    missing = set(gaps)
    lacking = [need for need in step.needs if need in missing]
    reasons = []
    if lacking:
        fields = [need for need in lacking if "=" not in need]
        choices = [need.replace("=", " choice ") for need in lacking if "=" in need]
        if fields:
            reasons.append(f"the base lacks {', '.join(fields)}: run `followthrough airtable init`")
        if choices:
            reasons.append(
                f"the base lacks {', '.join(choices)}: add it in Airtable (the API cannot add "
                "choices to an existing field)"
            )
    if step.needs_about_me and not config.about_me:
        reasons.append(
            "FOLLOWTHROUGH_ABOUT_ME is not set: say in a sentence or two who you are and what "
            "you are exploring"
        )
    return f"{step.name} are off: {'; '.join(reasons)}" if reasons else None


def step_off(runtime: Runtime, step: Step) -> str | None:
    """Why `step` is off for this account now, or None; reads the base's schema when what is
    known of it is stale (see the module's docstring)."""
    return why_off(step, _current_gaps(runtime), runtime.config)


def steps_off(runtime: Runtime) -> dict[str, str]:
    """Each step that is off, by name, with why: from what is known (no request)."""
    known = _known(runtime)
    gaps = known[1] if known is not None else frozenset()
    reasons = ((step.name, why_off(step, gaps, runtime.config)) for step in STEPS)
    return {name: reason for name, reason in reasons if reason is not None}


def _current_gaps(runtime: Runtime) -> frozenset[str]:
    known = _known(runtime)
    if known is not None:
        read_at, gaps = known
        fresh_for = RECHECK_INCOMPLETE if gaps else TRUST_COMPLETE
        if runtime.now() - read_at < fresh_for:
            return gaps
    try:
        gaps = contract_gaps(runtime.need_airtable())
    except FollowthroughError as exc:
        # Unknown now: keep what was known (or assume the contract) and let the step's own
        # writes say what is wrong.
        log.warning("steps.base_unread", reason=str(exc))
        return known[1] if known is not None else frozenset()
    value = json.dumps({"at": runtime.now().isoformat(), "gaps": sorted(gaps)})
    with runtime.db.transaction() as session:
        set_fact(session, BASE_GAPS, value, account=runtime.account)
    if gaps:
        log.info("steps.base_lacks", gaps=sorted(gaps))
    return gaps


def _known(runtime: Runtime) -> tuple[dt.datetime, frozenset[str]] | None:
    with runtime.db.read() as session:
        value = get_fact(session, BASE_GAPS, account=runtime.account)
    if value is None:
        return None
    data = json.loads(value)
    return dt.datetime.fromisoformat(data["at"]), frozenset(data["gaps"])
