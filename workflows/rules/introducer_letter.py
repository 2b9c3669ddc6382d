"""The thank-you to the person who introduced the user to someone they have now talked with.

    message = introducer_message(IntroducerFacts(...), key=..., to=...)

Short, as such a note should be: thanks for the introduction naming whom, when the talk was
("today", "yesterday" or its date), one thing learned when the meeting's notes have an
insight, and a promise to keep them posted. Pure and deterministic; wording chosen per
introducer as the other letters' is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.records import DraftMessage
from workflows.rules.draft import date_text, header_text
from workflows.rules.letter import sentence, when_text
from workflows.rules.people import first_name_of
from workflows.rules.update_letter import UpdateLetter, as_message, pick, sign_off

_OPENINGS = (
    "Thank you for introducing me to {name}.",
    "Thanks so much for putting me in touch with {name}.",
    "Thank you for connecting me with {name}.",
)
_UNNAMED = "Thank you for the introduction."
_CLOSINGS = (
    "I'm grateful you made the connection, and I'll let you know how things go.",
    "It meant a lot that you made the introduction; I'll keep you posted.",
    "Thank you again for thinking of me; I'll let you know where it leads.",
)


@dataclass(frozen=True)
class IntroducerFacts:
    """What the note can say: who introduced whom, when they talked, one thing learned."""

    introducer_key: str  # the introducer's address: it picks the wording
    introducer_first_name: str
    introduced_name: str
    met_on: dt.date
    written_on: dt.date
    sender_name: str
    insight: str = ""


def write_introducer_note(facts: IntroducerFacts) -> UpdateLetter:
    """The note's subject and body (pure: the same facts give the same words)."""
    key = facts.introducer_key or facts.introducer_first_name
    name = facts.introduced_name
    when = when_text(facts.met_on, facts.written_on, date_text(facts.met_on))
    opening = pick(_OPENINGS, key, "opening").format(name=name) if name else _UNNAMED
    talked = f"We talked {when}, and it was a really helpful conversation."
    if facts.insight.strip():
        talked = f"We talked {when}. One thing I took away: {sentence(facts.insight)}"
    greeting = f"Hi {facts.introducer_first_name}," if facts.introducer_first_name else "Hi,"
    paragraphs = [greeting, f"{opening} {talked}", pick(_CLOSINGS, key, "closing")]
    lines = sign_off(key, facts.sender_name)
    body = "\n\n".join(paragraphs) + "\n\n" + "\n".join(lines) + "\n"
    first = first_name_of(name) or name
    subject = (
        f"Thank you for introducing me to {first}" if first else "Thank you for the introduction"
    )
    return UpdateLetter(subject, body)


def introducer_message(
    facts: IntroducerFacts, *, key: str, to: str, to_name: str = ""
) -> DraftMessage:
    """The note as a Gmail draft to the introducer at `to`."""
    safe = IntroducerFacts(
        introducer_key=facts.introducer_key,
        introducer_first_name=header_text(facts.introducer_first_name),
        introduced_name=header_text(facts.introduced_name),
        met_on=facts.met_on,
        written_on=facts.written_on,
        sender_name=header_text(facts.sender_name),
        insight=header_text(facts.insight, 1000),
    )
    return as_message(write_introducer_note(safe), key=key, to=to, to_name=to_name)
