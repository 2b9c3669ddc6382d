"""The brief a user reads before an informational interview (the Meetings row's `Brief`).

    bank = parse_question_bank(text)                  # groups of questions, comments dropped
    questions = pick_questions(bank, contact_key, round_=earlier_meetings)
    text = write_brief(BriefFacts(...))               # plain text with simple headings
    prepare_title(first_name)                         # the Prepare follow-up's title

The brief is plain text (Airtable's long text shows no markdown): a heading line in capitals,
then short lines. It says who they are (role, company, why this person, the user's notes, who
introduced them), what the user learned from them before, the promises still open to them, the
last update sent, questions to ask, and how to take notes. A first meeting says so instead of
showing empty sections. Nothing here reads a clock: the same facts always give the same text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.rules.draft import date_text
from workflows.rules.followups import single_line
from workflows.rules.letter import sentence, who_they_are

QUESTIONS_PER_BRIEF = 5
MAX_EARLIER_MEETINGS = 5
MAX_INSIGHTS = 12
MAX_PROMISES = 10
MAX_NOTES_CHARS = 1500
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class EarlierMeeting:
    """A meeting with them that took place: its day and what the user learned."""

    day: dt.date
    insights: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenPromise:
    """Something the user promised them and has not marked Done."""

    text: str
    due: dt.date | None = None


@dataclass(frozen=True)
class BriefFacts:
    """Everything a brief says, as the store knows it (times in the user's zone)."""

    name: str
    first_name: str
    start: dt.datetime
    end: dt.datetime
    zone_name: str = ""
    company: str = ""
    role: str = ""
    why_them: str = ""
    contact_notes: str = ""
    introducer: str = ""
    earlier: tuple[EarlierMeeting, ...] = ()  # oldest first
    promises: tuple[OpenPromise, ...] = ()
    last_update: dt.date | None = None  # a Progress update marked Done
    thanked_on: dt.date | None = None  # a Thank-you marked Done (or seen sent)
    about_me: str = ""
    questions: tuple[str, ...] = ()


# --- The question bank -----------------------------------------------------------------------


def parse_question_bank(text: str) -> tuple[tuple[str, ...], ...]:
    """The bank's questions in groups: a comment or blank line ends a group; duplicates go."""
    groups: list[list[str]] = [[]]
    seen: set[str] = set()
    for raw in text.splitlines():
        line = single_line(raw.lstrip("\ufeff"), limit=300)
        if not line or line.startswith("#"):
            if groups[-1]:
                groups.append([])
            continue
        if line.casefold() not in seen:
            seen.add(line.casefold())
            groups[-1].append(line)
    return tuple(tuple(group) for group in groups if group)


def pick_questions(
    bank: Sequence[Sequence[str]],
    contact_key: str,
    *,
    round_: int = 0,
    count: int = QUESTIONS_PER_BRIEF,
) -> tuple[str, ...]:
    """`count` questions, one from each group in turn (in the bank's order), the same for the
    same contact and meeting number; a later meeting (`round_`) gets the next ones."""
    rotated = [_rotated(_shuffled(group, contact_key), round_) for group in bank if group]
    picked: list[str] = []
    for depth in range(max((len(group) for group in rotated), default=0)):
        picked.extend(group[depth] for group in rotated if depth < len(group))
    return tuple(picked[:count])


def _shuffled(group: Sequence[str], key: str) -> list[str]:
    def rank(question: str) -> bytes:
        return hashlib.sha256(f"{key.casefold()}\x00{question}".encode()).digest()

    return sorted(group, key=rank)


def _rotated(group: list[str], by: int) -> list[str]:
    shift = by % len(group)
    return group[shift:] + group[:shift]


# --- The brief -------------------------------------------------------------------------------


def prepare_title(first_name: str) -> str:
    """The Prepare follow-up's title: where the brief is."""
    who = f"your conversation with {first_name}" if first_name else "your conversation"
    return single_line(f"Prepare for {who}: read the Brief in the meeting's row")


def write_brief(facts: BriefFacts) -> str:
    """The brief's text: headed sections, plain lines, nothing empty."""
    sections = [
        [_title(facts)],
        _section("WHO THEY ARE", _who(facts)),
        _section("YOUR INTRODUCTION", _introduction(facts)),
        *_history(facts),
        _section("QUESTIONS TO ASK", _questions(facts)),
        _section("DURING AND AFTER", _note_conventions(facts)),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines).strip() + "\n"


def _title(facts: BriefFacts) -> str:
    when = f"{date_text(facts.start.date())}, {facts.start.year}, {_span(facts.start, facts.end)}"
    zone = f" ({_zone_text(facts.zone_name)})" if facts.zone_name else ""
    return f"Brief for your conversation with {_clean(facts.name)} on {when}{zone}"


def _section(heading: str, lines: Sequence[str]) -> list[str]:
    return [heading, *lines] if lines else []


def _who(facts: BriefFacts) -> list[str]:
    position = who_they_are(_clean(facts.role), _clean(facts.company))
    lines = [sentence(f"{_clean(facts.name)} works {position}") if position else ""]
    if facts.why_them.strip():
        lines.append(f"Why them: {sentence(_clean(facts.why_them))}")
    if facts.introducer.strip():
        lines.append(f"Introduced by {_clean(facts.introducer)}.")
    if facts.contact_notes.strip():
        lines.append("Your notes on them:")
        lines.extend(_block(facts.contact_notes, MAX_NOTES_CHARS))
    return [line for line in lines if line]


def _introduction(facts: BriefFacts) -> list[str]:
    if not facts.about_me.strip():
        return []
    return [
        "Be ready to say in a few sentences what you want and why:",
        f"  {sentence(_clean(facts.about_me))}",
    ]


def _history(facts: BriefFacts) -> list[list[str]]:
    """What came before: or, for a first meeting, one section saying so."""
    first = _first(facts)
    if not facts.earlier:
        lines = [f"This is your first conversation with {first}: nothing learned from them yet."]
        lines.extend(_promises(facts))
        return [_section("BEFORE THIS CONVERSATION", lines)]
    return [
        _section(f"WHAT YOU LEARNED FROM {first.upper()} BEFORE", _learned(facts)),
        _section(
            "PROMISES STILL OPEN", _promises(facts) or [f"None: every promise to {first} is kept."]
        ),
        _section("LAST UPDATE SENT", _last_update(facts)),
    ]


def _learned(facts: BriefFacts) -> list[str]:
    lines: list[str] = []
    budget = MAX_INSIGHTS
    for meeting in facts.earlier[-MAX_EARLIER_MEETINGS:]:
        day = _day(meeting.day)
        if not meeting.insights:
            lines.append(f"{day}: you met (no Insight: lines in that meeting's notes).")
            continue
        lines.append(f"{day}:")
        for insight in meeting.insights[:budget]:
            lines.append(f"- {_capital(_clean(insight))}")
        budget = max(0, budget - len(meeting.insights))
    return lines


def _promises(facts: BriefFacts) -> list[str]:
    lines = []
    for promise in facts.promises[:MAX_PROMISES]:
        due = f" (due {_day(promise.due)})" if promise.due else ""
        lines.append(f"- {_capital(_clean(promise.text))}{due}")
    if len(facts.promises) > MAX_PROMISES:
        lines.append(f"- and {len(facts.promises) - MAX_PROMISES} more in your Follow-ups")
    if lines and not facts.earlier:
        lines.insert(0, "Promises still open to them:")
    return lines


def _last_update(facts: BriefFacts) -> list[str]:
    first = _first(facts)
    if facts.last_update is not None:
        return [
            f"Your last progress update to {first} was marked done on {_day(facts.last_update)}."
        ]
    if facts.thanked_on is not None:
        return [
            f"No progress update yet; you thanked {first} on {_day(facts.thanked_on)}. "
            "Say what you have done since you last spoke."
        ]
    return [f"No thank-you or progress update to {first} is marked done yet."]


def _questions(facts: BriefFacts) -> list[str]:
    return [f"{number}. {_clean(q)}" for number, q in enumerate(facts.questions, start=1)]


def _note_conventions(facts: BriefFacts) -> list[str]:
    first = _first(facts) or "them"
    return [
        "Take notes in this meeting's Notes field (or the event's description):",
        f'- a line starting "Insight:" is something you learned; your thank-you to {first} '
        "names it",
        '- a line starting "TODO:" is something you promised; it becomes an Action item',
    ]


# --- Words -----------------------------------------------------------------------------------


def _first(facts: BriefFacts) -> str:
    return _clean(facts.first_name) or _clean(facts.name)


def _clean(text: str) -> str:
    return " ".join(_UNSAFE.sub(" ", text).split())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _block(text: str, limit: int) -> list[str]:
    """A multi-line note, each line cleaned and indented, cut at `limit` characters."""
    kept, used = [], 0
    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            continue
        if used + len(line) > limit:
            kept.append("  \u2026")
            break
        kept.append(f"  {line}")
        used += len(line)
    return kept


def _day(day: dt.date) -> str:
    return f"{date_text(day)}, {day.year}"


def _span(start: dt.datetime, end: dt.datetime) -> str:
    return f"{_clock(start)} to {_clock(end)}"


def _clock(instant: dt.datetime) -> str:
    hour = instant.hour % 12 or 12
    return f"{hour}:{instant.minute:02d} {'AM' if instant.hour < 12 else 'PM'}"


def _zone_text(zone_name: str) -> str:
    """ "America/New_York" -> "New York time"; "UTC" stays."""
    if "/" not in zone_name:
        return zone_name
    return f"{zone_name.rsplit('/', 1)[1].replace('_', ' ')} time"
