"""The weekly digest: this week's `Week` as a Gmail draft to the user, once per ISO week.

The words for overdue and hours left are here too (`hours_left`, `due_on`), so the page,
`followthrough status` and the digest say the same thing the same way. The draft goes to
the mailbox's own address (users.getProfile, kept as a fact), else the calendar's owner; it
is made inside `effects.once` under the key `digest:<ISO week>`, so a retry, a restart or a
second scheduler never drafts a week's digest twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from connectors.records import DraftMessage
from workflows.draft_links import mailbox_address
from workflows.effects import once
from workflows.facts import USER_EMAIL, get_fact
from workflows.rules.keys import message_id
from workflows.runtime import Runtime
from workflows.week.glance import Due, ThankYouWaiting, Week

log = structlog.get_logger(__name__)

EFFECT_KIND = "gmail.digest"


def digest_key(week: str) -> str:
    """The effects ledger's key of the digest of `week` (e.g. 2026-W10)."""
    return f"digest:{week}"


def hours_left(item: ThankYouWaiting) -> str:
    """`5 hours left`; once the 24 are over `overdue by 30 hours`, or by days past two."""
    if not item.overdue:
        return f"{_count(item.hours_left, 'hour')} left"
    late = -item.hours_left
    return f"overdue by {_count(late // 24, 'day') if late >= 48 else _count(late, 'hour')}"


def due_on(item: Due) -> str:
    """`due Fri 6 Mar` (`due today`), with `overdue` before it when the day has passed;
    `no due date`."""
    if item.due is None:
        return "no due date"
    when = "due today" if item.today else f"due {day_name(item.due)}"
    return f"overdue, {when}" if item.overdue else when


def day_name(day: dt.date) -> str:
    """`Fri 6 Mar`."""
    return f"{day:%a} {day.day} {day:%b}"


def time_name(moment: dt.datetime) -> str:
    """`Tue 3 Mar 14:00` (in the zone `moment` carries)."""
    return f"{day_name(moment.date())} {moment:%H:%M}"


def digest_message(home: Week, to: str, week: str, *, page_url: str | None = None) -> DraftMessage:
    """The digest of `home`'s week as a draft to `to` (the user); `week` keys its Message-ID."""
    week = f"{day_name(home.today)} to {day_name(home.week_end)}"
    lines = [f"Your week, {week} (times in {home.zone}).", ""]
    sections = _sections(home)
    if not sections:
        lines += ["Nothing is waiting on you this week.", ""]
    for title, items in sections:
        lines += [f"{title} ({len(items)})", *(f"- {item}" for item in items), ""]
    if page_url:
        lines += [f"Your week, the pipeline and the last 90 days: {page_url}", ""]
    lines.append("Followthrough")
    overdue = f", {home.overdue_count} overdue" if home.overdue_count else ""
    subject = f"Your week from {day_name(home.today)}{overdue}"
    body = "\n".join(lines)
    return DraftMessage(to=to, subject=subject, body=body, message_id=message_id(digest_key(week)))


def _sections(home: Week) -> list[tuple[str, list[str]]]:
    sections = [
        ("Thank-yous to send", [_thank_you_line(t) for t in home.thank_yous]),
        ("Interviews", [_interview_line(home, i) for i in range(len(home.interviews))]),
        ("Promises to keep", [_due_line(d) for d in home.promises]),
        ("Progress updates due", [_due_line(d) for d in home.updates]),
        ("Asks waiting for a reply", [_due_line(d) for d in home.asks]),
    ]
    return [(title, items) for title, items in sections if items]


def _thank_you_line(item: ThankYouWaiting) -> str:
    line = f"To {item.contact or 'your contact'}, {hours_left(item)}"
    return f"{line}. Open the draft: {item.draft_link}" if item.draft_link else line


def _interview_line(home: Week, index: int) -> str:
    interview = home.interviews[index]
    line = f"{time_name(interview.start)}: {interview.title}"
    if interview.to_prepare:
        line += f". To prepare: {interview.to_prepare}"
    return f"{line}. Brief: {interview.brief_link}" if interview.brief_link else line


def _due_line(item: Due) -> str:
    who = f" ({item.contact})" if item.contact else ""
    return f"{item.title}{who}, {due_on(item)}"


def _count(count: int, unit: str) -> str:
    return f"{count} {unit}{'s' if count != 1 else ''}"


def user_address(runtime: Runtime) -> str | None:
    """Where the digest goes: the mailbox's own address, else the calendar owner's."""
    address = mailbox_address(runtime)
    if address:
        return address
    with runtime.db.read() as session:
        return get_fact(session, USER_EMAIL, account=runtime.account)


@dataclass(frozen=True)
class Digest:
    """A week's digest as drafted: the week, to whom, the draft's id, what it says."""

    week: str
    to: str
    draft_id: str
    subject: str
    body: str


def draft_digest(runtime: Runtime, home: Week, week: str, to: str) -> Digest:
    """Draft `week`'s digest once (the ledger's key); a week drafted already is only read."""
    message = digest_message(home, to, week, page_url=runtime.config.public_url)
    gmail = runtime.need_google().gmail
    with once(runtime, digest_key(week), EFFECT_KIND) as draft:
        if draft.needed:
            ref = gmail.create_draft(message, outcome_unknown=draft.outcome_unknown)
            draft.applied(ref.draft_id, {"subject": message.subject, "body": message.body})
            log.info("digest.drafted", week=week)
    detail = draft.detail
    return Digest(week, to, draft.external_id, detail.get("subject", ""), detail.get("body", ""))
