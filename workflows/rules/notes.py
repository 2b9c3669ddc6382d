"""Meeting notes: what was learned and what was promised.

    parse_notes(text) -> ParsedNotes(insights=(...), todos=(...))
    html_to_text(description) -> str          # Google's HTML descriptions to plain lines
    merge_notes(event_notes, airtable_notes, previously_synced=None) -> str

A line starting `Insight:` or `Takeaway:` is something learned; `TODO:` or `- [ ]` is a
promise. Case, surrounding whitespace and list bullets (`-`, `*`, `•`, `1.`) do not matter;
a checked box (`- [x]`) is a promise already kept. Items are capped in length and number so
that a 1 MB description yields a readable draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from workflows.rules.keys import normalize_todo

MAX_ITEM_CHARS = 500
MAX_ITEMS = 50

_BULLET = r"(?:[-*\u2022\u2013\u2014+]|\d{1,3}[.)])"
_INSIGHT = re.compile(rf"^(?:{_BULLET}\s*)?(?:insight|takeaway)s?\s*:\s*(?P<text>.*)$", re.I)
_TODO = re.compile(rf"^(?:{_BULLET}\s*)?(?:todo|to-do|to do)\s*:\s*(?P<text>.*)$", re.I)
_OPEN_BOX = re.compile(rf"^(?:{_BULLET}\s*)?\[\s?\]\s*(?P<text>.*)$")
_HTML_HINT = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|ul|ol|span|b|i|u|a|strong|em|h[1-6])\b[^>]*>", re.I
)
_BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\x85]")


@dataclass(frozen=True)
class ParsedNotes:
    """The learned things and the promises found in a meeting's notes, in their order."""

    insights: tuple[str, ...] = ()
    todos: tuple[str, ...] = ()


class _TextExtractor(HTMLParser):
    """Collects text, turning <br> and block elements into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """True when `text` contains HTML markup of the kind Google Calendar writes."""
    return _HTML_HINT.search(text) is not None


def html_to_text(text: str) -> str:
    """Plain text of an HTML description (<br> and blocks become line breaks, entities decoded).

    Text that is not HTML is returned as is, so a literal `a < b & c` survives.
    """
    if not looks_like_html(text):
        return text
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    return "".join(extractor.parts).replace("\xa0", " ")


def _clean_item(text: str) -> str:
    item = " ".join(_CONTROL.sub(" ", text).split())
    if len(item) > MAX_ITEM_CHARS:
        item = item[: MAX_ITEM_CHARS - 1].rstrip() + "\u2026"
    return item


def _classify(line: str) -> tuple[str, str] | None:
    """('insight'|'todo', text) for a meaningful line, else None."""
    stripped = line.strip()
    for kind, pattern in (("insight", _INSIGHT), ("todo", _TODO), ("todo", _OPEN_BOX)):
        match = pattern.match(stripped)
        if match:
            text = _clean_item(match.group("text"))
            return (kind, text) if text else None
    return None


def parse_notes(text: str | None) -> ParsedNotes:
    """Insights and promises from notes (plain text or Google's HTML), duplicates dropped."""
    if not text:
        return ParsedNotes()
    insights: list[str] = []
    todos: list[str] = []
    seen_todos: set[str] = set()
    for line in html_to_text(text).splitlines():
        found = _classify(line)
        if found is None:
            continue
        kind, item = found
        if kind == "insight" and item not in insights and len(insights) < MAX_ITEMS:
            insights.append(item)
        elif kind == "todo" and normalize_todo(item) not in seen_todos and len(todos) < MAX_ITEMS:
            seen_todos.add(normalize_todo(item))
            todos.append(item)
    return ParsedNotes(tuple(insights), tuple(todos))


def merge_notes(
    event_notes: str | None, airtable_notes: str | None, previously_synced: str | None = None
) -> str:
    """The notes of a meeting: the user's Airtable notes if they wrote any, else the event's.

    `previously_synced` is what Followthrough itself last wrote to Airtable; Airtable notes
    equal to it were not written by the user, so a newer event description replaces them.
    """
    event_text = html_to_text(event_notes or "").strip()
    user_text = (airtable_notes or "").strip()
    if not user_text:
        return event_text
    if previously_synced is not None and user_text == previously_synced.strip():
        return event_text
    return user_text
