"""The ask for a short conversation, and the one nudge that may follow it, as a careful person
writes them.

    compose_ask(AskFacts(...), key) -> DraftMessage      # to the contact, a new thread
    compose_nudge(AskFacts(...), key, threaded=True)     # the body of a reply to the ask

The ask says who the user is (their ABOUT_ME, in their own words), why this person (Why Them,
their role and company), who introduced them, asks for 15 to 30 minutes by phone or video,
says it is not about a job, and makes saying no easy. The nudge is shorter: a follow-up in
case the ask got buried, the same easy no. Pure and deterministic: wording is chosen per
contact among a few (`letter._pick`'s way), so two people at one company do not get the same
note. Why Them is the user's own words: a sentence is kept as written; a phrase written to
them ("your talk on research ops", "you moved from design into research") is introduced by
"I'm writing to you because (of)".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from connectors.errors import SkipRecord
from connectors.records import DraftMessage
from workflows.rules.draft import body_text, header_text
from workflows.rules.emails import looks_like_email, plain_address
from workflows.rules.keys import message_id
from workflows.rules.letter import UNSIGNED_SIGN_OFF, sentence, who_they_are
from workflows.rules.people import first_name_of

_REQUESTS = (
    "Would you have 15 to 30 minutes in the coming weeks for a phone or video call?",
    "Could I ask for 15 to 30 minutes of your time, by phone or video, in the next few weeks?",
)
_NOT_A_JOB = (
    "I'm not asking about jobs; I'm hoping to learn from your experience.",
    "I'm not looking for a job lead, just hoping to learn from how you see the field.",
)
_EASY_NO = (
    "If now isn't a good time, no worries at all, and no need to explain.",
    "And if you're too busy, please don't feel any obligation to reply; I'll understand.",
    "If it's not a good time, just say so; I completely understand.",
)
_ASK_SIGN_OFFS = ("Thank you for considering it,", "Many thanks,", "Best wishes,")
_NUDGE_OPENINGS_THREADED = (
    "I wanted to follow up on my earlier note, in case it got buried.",
    "I'm following up on my earlier message, in case it slipped through.",
)
_NUDGE_OPENINGS_NEW = (
    "I wrote to you a little while ago about a short conversation, and wanted to follow up "
    "in case my note got buried.",
    "I'm following up on a note I sent a little while ago, in case it slipped through.",
)
_NUDGE_NO = (
    "If it isn't a good time, no problem at all; thank you either way.",
    "If you'd rather not, that's completely fine, and thanks either way.",
)
_NUDGE_SIGN_OFFS = ("Best,", "All the best,", "Warm regards,")


@dataclass(frozen=True)
class AskFacts:
    """What an ask or its nudge can speak of (raw text from the base and the settings)."""

    contact_email: str
    contact_name: str
    about_me: str
    sender_name: str
    why_them: str = ""
    company: str = ""
    role: str = ""
    introducer: str = ""  # the introducer's name (Referred By)


def compose_ask(facts: AskFacts, key: str) -> DraftMessage:
    """The ask, a new message to the contact; SkipRecord when their email is unusable."""
    pick = _picker(facts)
    paragraphs = [
        _greeting(facts),
        " ".join(filter(None, (_introduced(facts), sentence(_one_line(facts.about_me))))),
        " ".join(filter(None, (_why(facts), pick(_REQUESTS, "request"), _curious(facts)))),
        " ".join((pick(_NOT_A_JOB, "job"), pick(_EASY_NO, "no"))),
        _signed(pick(_ASK_SIGN_OFFS, "sign"), facts.sender_name),
    ]
    return _message(facts, key, ask_subject(facts), paragraphs)


def compose_nudge(facts: AskFacts, key: str, *, threaded: bool) -> DraftMessage:
    """The nudge: `threaded`, the body of a reply under the ask (`outbox.reply_to` sets the
    subject); otherwise a message of its own that says again who the user is."""
    pick = _picker(facts)
    opening = pick(_NUDGE_OPENINGS_THREADED if threaded else _NUDGE_OPENINGS_NEW, "nudge")
    middle = [opening]
    if not threaded:
        middle.append(sentence(_one_line(facts.about_me)))
    middle.append(
        f"I'd still love 15 to 30 minutes to hear about {_work(facts)}, whenever suits you."
    )
    paragraphs = [
        _greeting(facts),
        " ".join(filter(None, middle)),
        pick(_NUDGE_NO, "nudge-no"),
        _signed(pick(_NUDGE_SIGN_OFFS, "nudge-sign"), facts.sender_name),
    ]
    subject = (
        "" if threaded else header_text(f"Following up: a short conversation about {_about(facts)}")
    )
    return _message(facts, key, subject, paragraphs)


def ask_subject(facts: AskFacts) -> str:
    """The ask's subject: the introducer when there is one (what makes a stranger open it)."""
    if facts.introducer.strip():
        return header_text(f"{_one_line(facts.introducer)} suggested I get in touch")
    return header_text(f"A short conversation about {_about(facts)}?")


def _about(facts: AskFacts) -> str:
    company = _one_line(facts.company)
    return f"your work at {company}" if company else "your work"


def _picker(facts: AskFacts) -> Callable[[Sequence[str], str], str]:
    """Chooses one wording of a few, always the same for this contact, apart per `salt`."""
    key = plain_address(facts.contact_email) or facts.contact_name

    def pick(options: Sequence[str], salt: str) -> str:
        digest = hashlib.sha256(f"ask:{salt}\x00{key.casefold()}".encode()).digest()
        return options[int.from_bytes(digest[:4], "big") % len(options)]

    return pick


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _greeting(facts: AskFacts) -> str:
    first = first_name_of(_one_line(facts.contact_name))
    return f"Hi {first}," if first else "Hello,"


def _introduced(facts: AskFacts) -> str:
    name = _one_line(facts.introducer)
    return f"{name} suggested I get in touch with you." if name else ""


def _why(facts: AskFacts) -> str:
    """Why this person, in the user's words (see the module's docstring)."""
    why = _one_line(facts.why_them)
    if not why:
        return ""
    first_word = why.split(" ", 1)[0].casefold().replace("\u2019", "'")
    if first_word == "your":
        return f"I'm writing to you because of {why[0].lower()}{why[1:].rstrip('.')}."
    if first_word in _YOU:
        return f"I'm writing to you because {why[0].lower()}{why[1:].rstrip('.')}."
    if why[-1] in ".!?" or why[0].isupper():
        return sentence(why)  # a sentence of the user's own ("I loved your talk on ...")
    return f"I'm writing to you because of {why.rstrip('.')}."


_YOU = frozenset({"you", "you're", "you've", "you'd", "you'll"})


def _work(facts: AskFacts) -> str:
    """ "your work as a UX Research Lead at Figma", or as much of it as is known."""
    return f"your work {who_they_are(_one_line(facts.role), _one_line(facts.company))}".strip()


def _curious(facts: AskFacts) -> str:
    return f"I'd love to hear about {_work(facts)} and how you got there."


def _signed(sign_off: str, sender_name: str) -> str:
    name = _one_line(sender_name)
    return f"{sign_off}\n{name}" if name else UNSIGNED_SIGN_OFF


def _message(facts: AskFacts, key: str, subject: str, paragraphs: list[str]) -> DraftMessage:
    to = plain_address(facts.contact_email or "")
    if not looks_like_email(to):
        raise SkipRecord(
            f"the contact's email {facts.contact_email!r} is not one plain email address; "
            "fix it in Airtable"
        )
    return DraftMessage(
        to=to,
        subject=subject,
        body=body_text("\n\n".join(p for p in paragraphs if p) + "\n"),
        message_id=message_id(key),
        to_name=header_text(_one_line(facts.contact_name)) or None,
    )
