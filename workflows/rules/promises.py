"""Promises written for oneself, rewritten as one writes them to the person they were made to.

    in_second_person("Send Marcus my revised portfolio case study", ("Marcus Oyelaran", "Marcus"))
        -> "send you my revised portfolio case study"
    in_second_person("Intro him to Keiko (he asked about UX writing)", names)
        -> "introduce you to Keiko"
    in_second_person("ask the team about it", names) -> None     # not safely rewritable

A promise is rewritten only when it opens with a verb of a known kind (send, intro,
introduce, share, forward, follow up, read, look into, and a few more) and every mention of
the contact (names, him/her/them, he/she/they with a verb that still agrees) can be turned to
"you". Notes to self in parentheses are dropped. Anything else gives None: the caller keeps
the line as the user wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Imperative openings as written in notes -> as they read in "I'll ...".
_OPENINGS = {
    "send": "send",
    "intro": "introduce",
    "introduce": "introduce",
    "share": "share",
    "forward": "forward",
    "follow up": "follow up",
    "follow-up": "follow up",
    "followup": "follow up",
    "read": "read",
    "look into": "look into",
    "email": "email",
    "connect": "connect",
    "check out": "check out",
    "watch": "watch",
}
_OPENING = re.compile(
    r"^(?:i(?:'|\u2019)ll\s+|i\s+will\s+|will\s+|to\s+)?(?P<verb>"
    + "|".join(sorted((re.escape(v).replace(r"\ ", r"\s+") for v in _OPENINGS), key=len)[::-1])
    + r")\b\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_OBJECT = {"him": "you", "them": "you"}
_POSSESSIVE = {"his": "your", "their": "your", "hers": "yours", "theirs": "yours"}
_AGREEING = {"is": "are", "was": "were", "has": "have", "does": "do", "isn't": "aren't",
             "wasn't": "weren't", "hasn't": "haven't", "doesn't": "don't"}  # fmt: skip
_MODALS = frozenset((
    "can", "could", "will", "would", "should", "might", "may", "must", "did", "had", "said",
    "told", "gave", "wrote", "sent", "made", "thought", "knew", "brought", "took", "put", "got",
    "meant", "mentioned",
))  # fmt: skip
_OBJECT_AFTER = frozenset(("to", "with", "for", "from", "about", "by", "at", "on", "of"))
_BEFORE_OBJECT = _OBJECT_AFTER | frozenset((
    "the", "a", "an", "my", "our", "this", "that", "these", "those", "some", "any", "one", "two",
    "few",
))  # fmt: skip
_WORD = re.compile(r"[\w'\u2019]+")


def _without_notes_to_self(text: str) -> str:
    """The promise without parenthesised asides, trailing punctuation and extra spaces."""
    return " ".join(_PARENTHETICAL.sub("", text).split()).rstrip(" .;:,")


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word matches of the contact's names, longest first, with a possessive 's."""
    parts = sorted({" ".join(n.split()) for n in names if n and n.strip()}, key=len, reverse=True)
    if not parts:
        return None
    alternatives = "|".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w])(?:{alternatives})(?P<pos>['\u2019]s?)?(?![\w])", re.IGNORECASE)


def _pronoun(word: str, previous: str | None, following: str | None) -> str | None:
    """The second-person form of a third-person word about the contact; "" when it cannot be
    turned safely, None when it is not such a word."""
    lower = word.casefold()
    if lower in _OBJECT:
        return "you"
    if lower in _POSSESSIVE:
        return _POSSESSIVE[lower]
    if lower == "her":  # "send her the deck", "intro her to", "with her": "you"; "her paper"
        after_preposition = previous is not None and previous.casefold() in _OBJECT_AFTER
        before_object = following is None or following.casefold() in _BEFORE_OBJECT
        return "you" if after_preposition or before_object else "your"
    if lower in ("he", "she", "they"):
        verb = (following or "").casefold()
        if verb in _AGREEING or verb in _MODALS or verb.endswith("ed"):
            return "you"
        return ""
    return None


def _turn_pronouns(text: str) -> str | None:
    """`text` with the contact's pronouns turned to "you", None when one cannot be."""
    words = list(_WORD.finditer(text))
    out: list[str] = []
    last, previous = 0, None
    for i, match in enumerate(words):
        word = match.group()
        adjacent = i + 1 < len(words) and not text[match.end() : words[i + 1].start()].strip()
        following = words[i + 1].group() if adjacent else None
        if previous == "you" and word.casefold() in _AGREEING:
            new: str | None = _AGREEING[word.casefold()]
        else:
            new = _pronoun(word, previous, following)
        if new == "":
            return None
        kept = word if new is None else new
        out.append(text[last : match.start()] + kept)
        last, previous = match.end(), kept
    return "".join(out) + text[last:]


def in_second_person(promise: str, names: Iterable[str]) -> str | None:
    """`promise` as "I'll ..." would continue it, addressed to the contact; None when it
    cannot be rewritten safely (keep it as written)."""
    text = _without_notes_to_self(promise)
    match = _OPENING.match(text)
    if match is None or not match.group("rest").strip():
        return None
    verb = _OPENINGS[" ".join(match.group("verb").casefold().split())]
    rest = match.group("rest")
    pattern = _name_pattern(names)
    if pattern is not None:
        rest = pattern.sub(lambda m: "your" if m.group("pos") else "you", rest)
    turned = _turn_pronouns(rest)
    if turned is None or _unclear(verb, turned):
        return None
    return f"{verb} {turned}"


def _unclear(verb: str, rest: str) -> bool:
    """True when the rewrite would not say who is meant: "send me ...", "intro to Keiko"."""
    first = rest.split(maxsplit=1)[0].casefold()
    return first in ("me", "myself") or (verb == "introduce" and first == "to")
