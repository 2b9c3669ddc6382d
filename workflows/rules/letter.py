"""The sentences of the thank-you, as a careful person would write them to the contact.

    letter = write_letter(LetterFacts(...))
    letter.opening      -> "Thank you for taking the time to talk with me yesterday about ..."
    letter.learned      -> ("Portfolio case studies should show the messy middle.", ...)
    letter.promises     -> "As promised, I'll send you ... and introduce you to Keiko."
    letter.closing, letter.sign_off

Pure and deterministic: the same facts give the same words. Openings, closings and sign-offs
are chosen per contact (from their address and name) among a few, so two people at one company
do not get the same note. Insights are what the user learned, capitalised, never quoted as the
contact's words; promises are in the second person (`workflows.rules.promises`), and one that
cannot be rewritten is kept as written; the date is "today", "yesterday" or the date itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.rules.promises import in_second_person

_OPENINGS = (
    "Thank you for taking the time to talk with me {when}{about}.",
    "Thanks so much for making time to talk with me {when}{about}.",
    "Thank you for a really helpful conversation {when}{about}.",
)
_PERSPECTIVES = (
    "It was really valuable to hear your perspective {who}.",
    "Hearing how things look from your seat {who} was exactly what I needed.",
    "I learned a lot from hearing about your work {who}.",
)
_NO_NOTES = (
    "I'm still thinking over what you shared, and it has already given me a clearer idea "
    "of my next steps."
)
_CLOSINGS = (
    "I'll keep you posted on how things go.",
    "I'll let you know how my search goes, and I hope we can stay in touch.",
    "Thanks again for your generosity; I'll let you know where things lead.",
)
_SIGN_OFFS = ("Best,", "All the best,", "Warm regards,")
UNSIGNED_SIGN_OFF = "All the best!"
"""The last line when no sender name is known: complete on its own, never a bare "Best,"."""

_TOPIC_LEAD = re.compile(
    r"^(?:agenda|questions?|topics?|re|about|subject)\s*:\s*|^(?:questions|talk|chat)\s+about\s+",
    re.IGNORECASE,
)
_LOGISTICS = re.compile(
    r"\b(?:cancel\w*|reschedul\w*|declin\w*|moved|zoom|meet\.google|https?|call\s+link|"
    r"he|she|him|her|his|they|them|their|i|me|my)\b",
    re.IGNORECASE,
)
_NOTE_LINE = re.compile(r"^\W*(?:insights?|takeaways?|todo|to-do|to do)\s*:|^\W*\[", re.I)
MAX_TOPIC_CHARS = 90


@dataclass(frozen=True)
class LetterFacts:
    """What the letter can speak of; every text is already one safe line."""

    contact_key: str  # the contact's address: it picks the wording
    first_name: str
    contact_name: str
    meeting_day: dt.date
    written_on: dt.date | None  # the user's date when the draft is written
    sender_name: str
    topic: str = ""
    company: str = ""
    role: str = ""
    insights: tuple[str, ...] = ()
    todos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Letter:
    """The thank-you's parts, in reading order."""

    when: str
    opening: str
    perspective: str
    learned_intro: str
    learned: tuple[str, ...]
    promises: str
    no_notes: str
    closing: str
    sign_off: str


def _pick(options: Sequence[str], key: str, salt: str) -> str:
    """One of `options`, always the same for `key` (a contact), independently per `salt`."""
    digest = hashlib.sha256(f"{salt}\x00{key.casefold()}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def when_text(meeting_day: dt.date, written_on: dt.date | None, date_text: str) -> str:
    """ "today", "yesterday", else "on Friday, February 27" (`date_text` is the date spelled)."""
    if written_on == meeting_day:
        return "today"
    if written_on == meeting_day + dt.timedelta(days=1):
        return "yesterday"
    return f"on {date_text}"


def _dated(when: str, about: str) -> str:
    """ "on Friday, March 13," before "about ...": the date closed by its comma."""
    return f"{when}," if about and when.startswith("on ") else when


def sentence(text: str) -> str:
    """`text` as a sentence of its own: capitalised, ending with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?\u2026" else text + "."


def article(noun: str) -> str:
    """ "a" or "an" as the noun is said: "an Engineer", "a UX Researcher", "an SRE"."""
    first = noun.split(maxsplit=1)[0] if noun.strip() else ""
    if len(first) > 1 and first.isupper():  # an acronym, said letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    if first[:1].casefold() == "u":
        return "a" if first[1:2].isupper() or first.casefold().startswith(_YOU_SOUNDS) else "an"
    return "an" if first[:1].casefold() in "aeio" else "a"


_YOU_SOUNDS = ("uni", "use", "usu", "uti", "ux")


def who_they_are(role: str, company: str) -> str:
    """ "as a Product Designer at Figma", "as a Data Engineer", "at Figma", or ""."""
    if role:
        return f"as {article(role)} {role}" + (f" at {company}" if company else "")
    return f"at {company}" if company else ""


def topic_from_notes(notes: str, names: Sequence[str], company: str = "") -> str | None:
    """The meeting's topic from the notes' first line, when it reads like one ("Questions about
    Shopify's Rails scale work" -> "Shopify's Rails scale work"); None for logistics or asides."""
    lines = [line.strip() for line in notes.splitlines() if line.strip()]
    if not lines:
        return None
    if _NOTE_LINE.match(lines[0]):
        return None
    line = _TOPIC_LEAD.sub("", lines[0]).strip().rstrip(".")
    parts = [p.strip() for p in line.split(";") if _reads_as_topic(p.strip(), names)]
    line = " and ".join(parts[:2])
    if not line or len(line) > MAX_TOPIC_CHARS:
        return None
    return _with_article(_lower_first(line, (*names, company)))


def _reads_as_topic(part: str, names: Sequence[str]) -> bool:
    """True for a phrase that names a subject, not logistics, an aside or the person."""
    named = any(n and n.casefold() in part.casefold() for n in names)
    return bool(part) and not named and _LOGISTICS.search(part) is None


def _with_article(topic: str) -> str:
    """ "path from analytics into ML" -> "the path from analytics into ML": a topic that opens
    with a singular noun needs its article after "about"."""
    first = topic.split(maxsplit=1)[0]
    return f"the {topic}" if first in _NEEDS_THE else topic


_NEEDS_THE = frozenset((
    "path", "move", "transition", "switch", "shift", "jump", "road", "journey", "route", "role",
    "future", "state", "difference", "best", "way", "market", "team", "org", "organisation",
    "organization",
))  # fmt: skip


def _lower_first(text: str, proper: Sequence[str]) -> str:
    """`text` with its first word in lower case, unless it looks like a name ("Shopify's", "ML")."""
    first = text.split(maxsplit=1)[0]
    bare = re.sub(r"['\u2019]s$", "", first)
    is_proper = any(bare.casefold() == p.casefold() for p in proper)
    if is_proper or not bare[:1].isupper() or any(c.isupper() for c in bare[1:]):
        return text
    return text[0].lower() + text[1:]


def _promises(facts: LetterFacts) -> str:
    """The promises as one or two sentences: rewritten ones first, the rest as written."""
    names = (facts.contact_name, facts.first_name)
    rewritten: list[str] = []
    as_written: list[str] = []
    for todo in facts.todos:
        turned = in_second_person(todo, names)
        if turned is not None:
            rewritten.append(turned)
        else:
            as_written.append(todo.rstrip(" .;"))
    parts = []
    if rewritten:
        parts.append(f"As promised, I'll {_series(rewritten)}.")
    if as_written:
        these = "this" if len(as_written) == 1 else "these"
        also = " also" if rewritten else ""
        lead = f"I{also} have {these} on my list from our conversation"
        parts.append(f"{lead}: {'; '.join(as_written)}.")
    return " ".join(parts)


def _series(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def write_letter(facts: LetterFacts, date_text: str) -> Letter:
    """The letter's parts for `facts`; `date_text` is the meeting's date spelled out."""
    key = facts.contact_key or facts.contact_name
    when = when_text(facts.meeting_day, facts.written_on, date_text)
    about = f" about {facts.topic}" if facts.topic else ""
    who = who_they_are(facts.role, facts.company)
    learned = tuple(sentence(i) for i in facts.insights if i.strip())
    many = len(learned) > 1
    return Letter(
        when=when,
        opening=_pick(_OPENINGS, key, "opening").format(when=_dated(when, about), about=about),
        perspective=_pick(_PERSPECTIVES, key, "perspective").format(who=who) if who else "",
        learned_intro=(
            "A few things I'm taking away from our conversation:"
            if many
            else "One thing I'm taking away from our conversation:"
        )
        if learned
        else "",
        learned=learned,
        promises=_promises(facts),
        no_notes="" if (learned or facts.todos) else _NO_NOTES,
        closing=_pick(_CLOSINGS, key, "closing"),
        sign_off=_pick(_SIGN_OFFS, key, "sign-off") if facts.sender_name else UNSIGNED_SIGN_OFF,
    )
