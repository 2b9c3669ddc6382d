"""The progress update, as a careful person would write it to someone who helped them.

    letter = write_update(UpdateFacts(...))      # the subject and body, pure and deterministic
    message = update_message(facts, key=..., to=...)   # as a Gmail draft (a new thread)

What it says, each part only when there is something to say: the user's milestones linked to
the contact (their news, which the contact's advice had a part in), what the contact advised
(the insights of meetings with them, in the user's voice), the promises kept since the last
update (in the second person where `workflows.rules.promises` can say it), and how the talks
went with the people the contact introduced. With none of that it is a short, warm check-in:
never an empty section. Wording (greeting aside) is chosen per contact among a few, as the
thank-you's is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.errors import SkipRecord
from connectors.records import DraftMessage
from workflows.rules.draft import body_text, date_text, header_text
from workflows.rules.emails import looks_like_email, plain_address
from workflows.rules.keys import message_id
from workflows.rules.letter import sentence
from workflows.rules.promises import in_second_person

MAX_ADVICE = 2
"""At most this many of their insights are recalled (the newest meeting's first)."""

_SUBJECTS = ("A quick update", "An update since we talked", "Some news, and thanks")
_CHECK_IN_SUBJECTS = ("Checking in", "A quick hello", "Checking in, and thanks")
_HOPES = (
    "I hope all is well{at}.",
    "I hope things are going well{at}.",
    "I hope work{at} is treating you well.",
)
_CHECK_IN = (
    "It's been a while since we talked{when}, and I wanted to check in and thank you again "
    "for your time."
)
_RECENT_CHECK_IN = (
    "Thanks again for talking with me{when}; I wanted to check in and let you know where "
    "things stand."
)
_STILL_WORKING = "I'm still working on my next steps, and I'll write again when there's news."
_NEWS_LEAD = "I wanted to share how things have gone since we talked{when}."
_MILESTONES_LEAD = "I have some news, and your advice played a real part in it:"
_ADVICE_LEAD = (
    "Your advice has stayed with me, especially:",
    "I keep coming back to what you told me:",
)
_CLOSINGS = (
    "Thanks again for your help along the way; I'll keep you posted.",
    "I'm grateful for your help, and I'll let you know what comes next.",
    "Thank you again for your generosity; I'll be in touch as things move along.",
)
SIGN_OFFS = ("Best,", "All the best,", "Warm regards,")
UNSIGNED_SIGN_OFF = "All the best!"
"""The last line when no sender name is known: complete on its own, never a bare "Best,"."""


@dataclass(frozen=True)
class MilestoneNews:
    """A milestone of the user's, as they wrote it in Airtable."""

    what: str
    day: dt.date | None = None


@dataclass(frozen=True)
class IntroductionNews:
    """A talk with someone the contact introduced: whom, when, and one thing learned."""

    name: str
    met_on: dt.date
    insight: str = ""


@dataclass(frozen=True)
class UpdateFacts:
    """What the update can speak of; texts as the user wrote them (made safe when written)."""

    contact_key: str  # the contact's address: it picks the wording
    first_name: str
    contact_name: str
    sender_name: str
    today: dt.date
    last_met: dt.date | None = None
    company: str = ""
    milestones: tuple[MilestoneNews, ...] = ()
    advice: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    introductions: tuple[IntroductionNews, ...] = ()

    @property
    def has_news(self) -> bool:
        """True when there is news to tell (a milestone, a promise kept, an introduction)."""
        return bool(self.milestones or self.kept or self.introductions)


@dataclass(frozen=True)
class UpdateLetter:
    """The update's subject (for a new thread) and body."""

    subject: str
    body: str


def pick(options: Sequence[str], key: str, salt: str) -> str:
    """One of `options`, always the same for `key` (a contact), independently per `salt`."""
    digest = hashlib.sha256(f"{salt}\x00{key.casefold()}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def sign_off(key: str, sender_name: str) -> list[str]:
    """The last lines: a sign-off chosen per contact and the name, or a complete last line."""
    if not sender_name:
        return [UNSIGNED_SIGN_OFF]
    return [pick(SIGN_OFFS, key, "sign-off"), sender_name]


def series(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def since_text(last_met: dt.date | None, today: dt.date) -> str:
    """ " on Friday, November 20" within a month, " in October" (" in October 2025" another
    year) before that; "" when the meeting's date is not known."""
    if last_met is None:
        return ""
    if (today - last_met).days <= 31:
        return f" on {date_text(last_met)}"
    month = date_text(last_met).split(", ")[1].split()[0]
    return f" in {month}" + (f" {last_met.year}" if last_met.year != today.year else "")


def write_update(facts: UpdateFacts) -> UpdateLetter:
    """The update's subject and body for `facts` (pure: the same facts give the same words)."""
    key = facts.contact_key or facts.contact_name
    at = f" at {facts.company}" if facts.company else ""
    when = since_text(facts.last_met, facts.today)
    hope = pick(_HOPES, key, "hope").format(at=at)
    paragraphs = [f"Hi {facts.first_name}," if facts.first_name else "Hi,"]
    if facts.has_news:
        paragraphs.append(f"{hope} {_NEWS_LEAD.format(when=when)}")
    elif when.startswith(" on "):  # a recent talk: not "a while" ago
        paragraphs.append(f"{hope} {_RECENT_CHECK_IN.format(when=when)}")
    else:
        paragraphs.append(f"{hope} {_CHECK_IN.format(when=when)}")
    paragraphs += _news(facts, key)
    if not facts.has_news:
        paragraphs.append(_STILL_WORKING)
    else:
        paragraphs.append(pick(_CLOSINGS, key, "closing"))
    body = "\n\n".join(paragraphs) + "\n\n" + "\n".join(sign_off(key, facts.sender_name)) + "\n"
    subjects = _SUBJECTS if facts.has_news else _CHECK_IN_SUBJECTS
    return UpdateLetter(pick(subjects, key, "subject"), body)


def _news(facts: UpdateFacts, key: str) -> list[str]:
    """The paragraphs between the opening and the closing, each only when it has content."""
    parts = []
    if facts.milestones:
        parts.append(_bullets(_MILESTONES_LEAD, [_milestone(m) for m in facts.milestones]))
    advice = [sentence(a) for a in facts.advice if a.strip()][:MAX_ADVICE]
    if advice:
        parts.append(_bullets(pick(_ADVICE_LEAD, key, "advice"), advice))
    if facts.kept:
        parts.append(_kept(facts))
    parts += [_introduction(intro, i > 0) for i, intro in enumerate(facts.introductions)]
    return parts


def _bullets(lead: str, lines: Sequence[str]) -> str:
    return "\n".join([lead, *(f"  - {line}" for line in lines)])


def _milestone(milestone: MilestoneNews) -> str:
    what = sentence(milestone.what).rstrip(".")
    if milestone.day is None:
        return f"{what}."
    return f"{what} ({date_text(milestone.day).split(', ', 1)[1]})."


def _kept(facts: UpdateFacts) -> str:
    """The promises kept: "I've also done what I said I'd do: send you ..."; the rest as written."""
    names = (facts.contact_name, facts.first_name)
    turned = [in_second_person(promise, names) for promise in facts.kept]
    rewritten = [t for t in turned if t is not None]
    as_written = [p.rstrip(" .;") for p, t in zip(facts.kept, turned, strict=True) if t is None]
    said = [f"I've also done what I said I'd do: {series(rewritten)}."] if rewritten else []
    if as_written:
        these = "this" if len(as_written) == 1 else "these"
        said.append(f"I've taken care of {these} from our conversation: {'; '.join(as_written)}.")
    return " ".join(said)


def _introduction(intro: IntroductionNews, another: bool) -> str:
    """How the talk with someone they introduced went (a second one is "also")."""
    lead = "I also talked with" if another else "Thanks to your introduction, I talked with"
    talked = f"{lead} {intro.name} on {date_text(intro.met_on)}"
    if not intro.insight.strip():
        return f"{talked}, and it was a really helpful conversation."
    return f"{talked}. One thing I took away: {sentence(intro.insight)}"


def checked_address(email: str) -> str:
    """`email` as a draft's To; SkipRecord, saying what to fix, when it is not one address."""
    address = plain_address(email)
    if not looks_like_email(address):
        raise SkipRecord(
            f"the contact's email {email!r} is not one plain address; fix it in Airtable"
        )
    return address


def as_message(letter: UpdateLetter, *, key: str, to: str, to_name: str = "") -> DraftMessage:
    """The letter as a Gmail draft: headers one safe line, the Message-ID from `key`."""
    return DraftMessage(
        to=checked_address(to),
        subject=header_text(letter.subject),
        body=body_text(letter.body),
        message_id=message_id(key),
        to_name=header_text(to_name) or None,
    )


def safe_facts(facts: UpdateFacts) -> UpdateFacts:
    """`facts` with every text one safe line (names, milestones, advice, promises)."""
    return UpdateFacts(
        contact_key=facts.contact_key,
        first_name=header_text(facts.first_name),
        contact_name=header_text(facts.contact_name),
        sender_name=header_text(facts.sender_name),
        today=facts.today,
        last_met=facts.last_met,
        company=header_text(facts.company),
        milestones=tuple(
            MilestoneNews(header_text(m.what, 300), m.day)
            for m in facts.milestones
            if m.what.strip()
        ),
        advice=tuple(header_text(a, 1000) for a in facts.advice),
        kept=tuple(header_text(k, 1000) for k in facts.kept if k.strip()),
        introductions=tuple(
            IntroductionNews(header_text(i.name), i.met_on, header_text(i.insight, 1000))
            for i in facts.introductions
        ),
    )


def update_message(facts: UpdateFacts, *, key: str, to: str) -> DraftMessage:
    """The progress update for `facts` as a draft to `to` (a new thread: see outbox.reply_to)."""
    safe = safe_facts(facts)
    return as_message(write_update(safe), key=key, to=to, to_name=safe.contact_name)
