"""Composing the thank-you draft from Jinja2 templates, safe against header injection.

    env = template_environment(user_dir)          # user's templates first, then the defaults
    compose_thank_you(ThankYouInput(...), env=env) -> connectors.records.DraftMessage
    topic_of(title, pattern) -> str | None          # "Coffee chat: data eng at Acme" -> topic

Templates `thank_you_subject.txt.j2` and `thank_you_body.txt.j2` live in
`workflows/templates/`; a file of the same name in the user's directory replaces one. They
run in Jinja's immutable sandbox and see only the draft's variables (`TEMPLATE_VARIABLES`):
the facts (names, company, role, topic, date, the notes' insights and promises as written)
and the sentences `workflows.rules.letter` writes from them (`LETTER_VARIABLES`: promises in
the second person, insights as what the user learned, "today"/"yesterday", a sign-off).
`template_environment` refuses, naming the file, a template that asks for anything else.
Whatever a name, title, note or template contains, anything that goes into a header is one
line without control characters or bidirectional overrides, and the body holds neither but
line breaks and tabs; zero-width joiners and non-joiners (emoji sequences, Persian and Indic
words) are kept in both. The Message-ID derives from the idempotency key, so the draft can be
found again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connectors.errors import ConfigurationError, SkipRecord
from connectors.records import DraftMessage
from workflows.rules.clock import local_date
from workflows.rules.emails import looks_like_email, plain_address
from workflows.rules.keys import message_id
from workflows.rules.letter import Letter, LetterFacts, topic_from_notes, write_letter
from workflows.rules.qualify import DEFAULT_TITLE_TERMS, title_pattern_from

SUBJECT_TEMPLATE = "thank_you_subject.txt.j2"
BODY_TEMPLATE = "thank_you_body.txt.j2"
MAX_HEADER_CHARS = 100

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
# Control characters, Unicode line/paragraph separators and bidi overrides never reach a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BODY_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_BODY_UNSAFE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Zero-width (non-)joiners are not "printable" to Python, yet they are part of the text: emoji
# sequences (a family, a skin tone), Persian and Indic words. They are kept wherever text goes.
_JOINERS = "\u200c\u200d"
_TOPIC_SPLIT = re.compile(r"\s*(?::|\s[-\u2013\u2014|]\s)\s*")
_TOPIC_PHRASE = re.compile(r"\s(?:about|on|re|regarding)\s+(?P<topic>.+)$", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_TRAILING_WITH = re.compile(r"\s+(?:with|w/)\s+[^,;]+$", re.IGNORECASE)


@dataclass(frozen=True)
class ThankYouInput:
    """Everything the thank-you says; `key` is the draft's idempotency key (keys.draft_key).

    `company` and `role` are the contact's, `notes` the meeting's (their first line may give
    the topic), `written_at` when the draft is written (None: the letter gives the date)."""

    key: str
    contact_email: str
    contact_name: str
    first_name: str
    meeting_title: str
    meeting_start: dt.datetime
    zone: dt.tzinfo
    sender_name: str
    insights: tuple[str, ...] = ()
    todos: tuple[str, ...] = ()
    sender_email: str | None = None
    company: str | None = None
    role: str | None = None
    notes: str = ""
    written_at: dt.datetime | None = None


def header_text(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    """`text` made safe for a header: one line, printable characters only, at most `limit`.

    The Gmail connector drops what is not printable too, so the subject a user sees in Gmail is
    exactly the one composed here.
    """
    safe = _HEADER_UNSAFE.sub(" ", text)
    visible = "".join(c if c.isprintable() or c in _JOINERS else " " for c in safe)
    line = " ".join(visible.split())
    # Literal "=?...?=" would be decoded by mail readers as an RFC 2047 encoded word.
    line = line.replace("=?", "= ?")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def body_text(text: str) -> str:
    """`text` made safe for a plain-text body: `\\n` line breaks, no other control characters
    and no bidirectional overrides."""
    return _BODY_UNSAFE.sub("", _BODY_NEWLINES.sub("\n", text))


def date_text(day: dt.date) -> str:
    """A date as the letter says it, independent of the process locale: "Friday, November 20"."""
    return f"{_DAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def _only_names(topic: str, names: Iterable[str]) -> bool:
    """True when the topic is just the people (and, in brackets, their company)."""
    rest = _PARENTHETICAL.sub(" ", topic.casefold())
    for name in sorted((n.casefold() for n in names if n.strip()), key=len, reverse=True):
        rest = rest.replace(name, " ")
    return not any(c.isalnum() for c in rest.replace(" and ", " ").replace(" x ", " "))


def topic_of(
    title: str, pattern: re.Pattern[str] | None = None, names: Iterable[str] = ()
) -> str | None:
    """The topic a title gives ("Coffee chat: data engineering at Acme" -> "data engineering
    at Acme"); None when it only names the kind of meeting or the people (`names`)."""
    pattern = pattern or title_pattern_from(DEFAULT_TITLE_TERMS)
    line = header_text(title)
    parts = _TOPIC_SPLIT.split(line, maxsplit=1)
    topic: str | None = None
    if len(parts) == 2 and pattern.search(parts[0]):
        topic = parts[1]
    elif (match := pattern.search(line)) and (phrase := _TOPIC_PHRASE.search(line, match.end())):
        topic = phrase.group("topic")
    if topic is None:
        return None
    topic = _TRAILING_WITH.sub("", topic).strip(" .,;:-")
    if not topic or pattern.search(topic) or _only_names(topic, names):
        return None
    return topic


@lru_cache(maxsize=8)
def template_environment(user_dir: str | Path | None = None) -> jinja2.Environment:
    """The sandboxed Jinja2 environment: templates in `user_dir` first, then the defaults.

    A template sees the draft's variables and Jinja's filters, nothing else: no globals
    (range, cycler, namespace...), no attribute starting with "_". The user's templates are
    checked here, so a bad one stops start-up (ConfigurationError naming the file).
    """
    loaders: list[jinja2.BaseLoader] = []
    if user_dir:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.PackageLoader("workflows", "templates"))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,  # plain-text email, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.clear()
    for name in (SUBJECT_TEMPLATE, BODY_TEMPLATE):
        _check_template(env, name)
    return env


def _check_template(env: jinja2.Environment, name: str) -> None:
    """Refuse a template that names what a draft does not have, reaches for "_" attributes,
    or fails on a sample meeting whose every variable is filled in."""
    try:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        tree = env.parse(source, name)
        unknown = sorted(meta.find_undeclared_variables(tree) - TEMPLATE_VARIABLES)
        if unknown:
            known = ", ".join(sorted(TEMPLATE_VARIABLES))
            why = f"it uses {', '.join(unknown)}, which a draft does not have (it has {known})"
            raise _refused(env, name, why)
        if hidden := _hidden_names(tree):
            why = f"it reaches for {', '.join(hidden)}, which templates may not use"
            raise _refused(env, name, why)
    except jinja2.TemplateError as exc:
        raise _refused(env, name, _reason(exc)) from None
    _render(env, name, _template_vars(SAMPLE_MEETING, None))


def _hidden_names(tree: nodes.Template) -> list[str]:
    """Python internals a template names: attributes starting with "_", strings with "__"."""
    found = {node.attr for node in tree.find_all(nodes.Getattr) if node.attr.startswith("_")}
    found |= {
        node.value
        for node in tree.find_all(nodes.Const)
        if isinstance(node.value, str) and node.value.startswith("__")
    }
    return sorted(found)


def _template_file(env: jinja2.Environment, name: str) -> str:
    """The file a template name resolves to (the user's, or the packaged default)."""
    try:
        _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return name
    return filename or name


def _reason(error: jinja2.TemplateError) -> str:
    """What Jinja said, on one line, with the line number when it knows one."""
    message = " ".join(str(error.message or type(error).__name__).split()).rstrip(".")
    line = getattr(error, "lineno", None)
    return f"line {line}: {message}" if line else message


def _refused(env: jinja2.Environment, name: str, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the thank-you template {_template_file(env, name)} is refused: {why}; fix it, or "
        "delete it to use the default"
    )


def _names(item: ThankYouInput) -> tuple[str, ...]:
    """Every name of the two people, so a title naming only them gives no topic."""
    people = (item.contact_name, item.sender_name)
    return (*people, item.first_name, *(word for name in people for word in name.split()))


def _topic(item: ThankYouInput, pattern: re.Pattern[str] | None) -> str:
    """The topic from the title, else from the notes' first line, else ""."""
    names = _names(item)
    company = header_text(item.company or "")
    from_title = topic_of(item.meeting_title, pattern, names)
    return from_title or header_text(topic_from_notes(item.notes, names, company) or "")


def _letter(item: ThankYouInput, topic: str, day: dt.date) -> Letter:
    """The letter's sentences from what the draft knows."""
    written = local_date(item.written_at, item.zone) if item.written_at else None
    facts = LetterFacts(
        contact_key=plain_address(item.contact_email),
        first_name=header_text(item.first_name),
        contact_name=header_text(item.contact_name),
        meeting_day=day,
        written_on=written,
        sender_name=header_text(item.sender_name),
        topic=topic,
        company=header_text(item.company or ""),
        role=header_text(item.role or ""),
        insights=tuple(header_text(i, 1000) for i in item.insights),
        todos=tuple(header_text(t, 1000) for t in item.todos),
    )
    return write_letter(facts, date_text(day))


def _template_vars(item: ThankYouInput, pattern: re.Pattern[str] | None) -> dict[str, object]:
    day = local_date(item.meeting_start, item.zone)
    topic = _topic(item, pattern)
    letter = _letter(item, topic, day)
    return {
        "first_name": header_text(item.first_name),
        "contact_name": header_text(item.contact_name),
        "company": header_text(item.company or ""),
        "role": header_text(item.role or ""),
        "topic": topic,
        "meeting_title": header_text(item.meeting_title),
        "meeting_date": day,
        "meeting_date_text": date_text(day),
        "insights": [header_text(i, 1000) for i in item.insights],
        "todos": [header_text(t, 1000) for t in item.todos],
        "sender_name": header_text(item.sender_name),
        **{name: getattr(letter, name) for name in LETTER_VARIABLES},
    }


LETTER_VARIABLES = (
    "when", "opening", "perspective", "learned_intro", "learned", "promises", "no_notes",
    "closing", "sign_off",
)  # fmt: skip
"""The letter's sentences, as templates see them (`workflows.rules.letter.Letter`)."""


SAMPLE_MEETING = ThankYouInput(
    key="sample",
    contact_email="ada@example.com",
    contact_name="Ada Lovelace",
    first_name="Ada",
    meeting_title="Coffee chat: analytical engines",
    meeting_start=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
    zone=dt.UTC,
    sender_name="Sam Seeker",
    insights=("start with the data model",),
    todos=("send the article on engines",),
    company="Analytical Engines Ltd",
    role="Engineer",
)
"""A meeting whose every variable is filled in: each user template is rendered once on it."""
TEMPLATE_VARIABLES = frozenset(_template_vars(SAMPLE_MEETING, None))
"""The only names a template can use."""


def _address(email: str, what: str) -> str:
    address = plain_address(email)
    if not looks_like_email(address):
        raise SkipRecord(f"{what} {email!r} is not one plain email address; fix it in Airtable")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise SkipRecord(
            f"{what} {email!r} is not a valid email address; fix it in Airtable"
        ) from exc
    return address


def _render(env: jinja2.Environment, name: str, variables: dict[str, object]) -> str:
    try:
        return env.get_template(name).render(variables)
    except jinja2.TemplateError as exc:
        raise _refused(env, name, _reason(exc)) from None


def compose_thank_you(
    item: ThankYouInput,
    *,
    env: jinja2.Environment | None = None,
    title_pattern: re.Pattern[str] | None = None,
) -> DraftMessage:
    """The thank-you draft for one meeting.

    SkipRecord when the contact's email is unusable; ConfigurationError when a user template
    is broken (syntax, unknown variable).
    """
    to = _address(item.contact_email, "the contact's email")
    sender = _address(item.sender_email, "the sender email") if item.sender_email else None
    env = env or template_environment()
    variables = _template_vars(item, title_pattern)
    subject = header_text(_render(env, SUBJECT_TEMPLATE, variables))
    body = body_text(_render(env, BODY_TEMPLATE, variables))
    return DraftMessage(
        to=to,
        subject=subject,
        body=body,
        message_id=message_id(item.key),
        to_name=header_text(item.contact_name) or None,
        sender=sender,
    )
