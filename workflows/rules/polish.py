"""Whether a model's rewrite of the thank-you may replace the draft the rules wrote.

    rewrite_problem(draft_body, rewrite, DraftFacts.of(item)) -> None, or why not

A rewrite is used only when a mechanical check passes, so a model can smooth the prose but
never change what the letter says:

- the greeting's name is on its first line, and the sender's name in its last three lines,
  wherever the draft has them there;
- every key word of every promise ("Send Marcus my revised portfolio case study" -> send,
  revised, portfolio, case, study) and of every insight is there, in any form of its plural
  ("studies" keeps "study"), and in one paragraph when the draft has them in one; key words
  are the words the draft has that are not small words, pronouns or the contact's names;
- no email address, link or domain name is added;
- its length is from half to one and a half times the draft's (in characters).

Reasons name what failed but never quote the notes, so they can be logged as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.rules.draft import ThankYouInput, header_text

MIN_LENGTH_SHARE = 0.5
MAX_LENGTH_SHARE = 1.5
SIGNATURE_LINES = 3

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESS = re.compile(
    _EMAIL.pattern  # an email address
    + r"|\b(?:https?|ftp)://[^\s<>\"]+|\bwww\.[^\s<>\"]+"  # a link
    r"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?-i:[a-z]{2,})\b",  # a domain name
    re.IGNORECASE,
)
_SMALL_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "for", "from", "had", "has", "have", "he", "her", "hers", "him", "his", "i", "i'll",
    "i'd", "i'm", "i've", "if", "in", "into", "is", "it", "its", "it's", "me", "my", "of", "on",
    "or", "our", "ours", "she", "should", "so", "than", "that", "the", "their", "theirs",
    "them", "they", "this", "those", "to", "too", "up", "us", "very", "was", "we", "were",
    "what", "when", "which", "who", "will", "with", "would", "you", "your", "yours", "about",
    "after", "again", "also", "any", "just", "more", "most", "some", "such", "then", "there",
    "these", "out", "over", "own", "same", "only", "once", "all", "both", "each", "few", "other"
))  # fmt: skip
_VERB_FORMS = {"intro": "introduce", "followup": "follow"}


@dataclass(frozen=True)
class DraftFacts:
    """What a rewrite must keep: the names in the greeting and signature, the notes' items."""

    greeting_name: str
    signature_name: str
    contact_names: tuple[str, ...]  # the contact's names: the letter says "you" instead
    promises: tuple[str, ...] = ()
    insights: tuple[str, ...] = ()

    @classmethod
    def of(cls, item: ThankYouInput) -> DraftFacts:
        """The facts of the draft composed from `item`."""
        return cls(
            greeting_name=header_text(item.first_name),
            signature_name=header_text(item.sender_name),
            contact_names=(item.contact_name, item.first_name),
            promises=item.todos,
            insights=item.insights,
        )


def rewrite_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    """Why `rewrite` may not replace `draft` (one line that quotes no note); None: it may."""
    checks = (_length_problem, _greeting_problem, _signature_problem, _address_problem)
    for check in checks:
        problem = check(draft, rewrite, facts)
        if problem:
            return problem
    return _items_problem(draft, rewrite, facts)


def _length_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    low, high = len(draft.strip()) * MIN_LENGTH_SHARE, len(draft.strip()) * MAX_LENGTH_SHARE
    length = len(rewrite.strip())
    if not low <= length <= high:
        return (
            f"its length ({length} characters) is outside {int(low)} to {int(high)} "
            f"(half to one and a half times the draft's {len(draft.strip())})"
        )
    return None


def _greeting_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    name = facts.greeting_name
    if name and _names(_first_line(draft), name) and not _names(_first_line(rewrite), name):
        return "its first line does not greet the contact by name"
    return None


def _signature_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    name = facts.signature_name
    if name and _names(_last_lines(draft), name) and not _names(_last_lines(rewrite), name):
        return f"its last {SIGNATURE_LINES} lines are not signed with the sender's name"
    return None


def _address_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    added = addresses(rewrite) - addresses(draft)
    if added:
        return f"it adds {len(added)} email address(es), link(s) or domain name(s)"
    return None


def _items_problem(draft: str, rewrite: str, facts: DraftFacts) -> str | None:
    """The first promise or insight whose key words the rewrite lost or scattered."""
    had, has = _stems(draft), _stems(rewrite)
    drafted = [_stems(p) for p in _paragraphs(draft)]
    rewritten = [_stems(p) for p in _paragraphs(rewrite)]
    names = _stems(" ".join(facts.contact_names))
    kinds = (("promise", facts.promises), ("insight", facts.insights))
    for kind, items in kinds:
        for number, item in enumerate(items, start=1):
            needed = (key_words(item, promise=kind == "promise") - names) & had
            which = f"{kind} {number} of {len(items)}"
            if needed - has:
                return f"{which} lost {len(needed - has)} of its key words"
            together = any(needed <= words for words in drafted)
            if together and not any(needed <= words for words in rewritten):
                return f"{which} is no longer said in one paragraph"
    return None


def key_words(item: str, *, promise: bool = False) -> set[str]:
    """The stems of an item's words that carry its meaning: not the small words, nor (in a
    promise) the asides in parentheses; "intro" counts as "introduce", as the letter says it."""
    text = _PARENTHETICAL.sub(" ", item) if promise else item
    words = (w.casefold().replace("\u2019", "'") for w in _WORD.findall(text))
    return {_stem(_VERB_FORMS.get(w, w)) for w in words if w not in _SMALL_WORDS}


def holds_email_address(text: str) -> bool:
    """True when `text` has something like an email address in it."""
    return _EMAIL.search(text) is not None


def addresses(text: str) -> set[str]:
    """The email addresses, links and domain names in `text`, in lower case."""
    return {m.group().casefold().rstrip(".,;:!?)'\"") for m in _ADDRESS.finditer(text)}


def _stems(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text)}


def _stem(word: str) -> str:
    """The word in lower case, without a possessive 's or a plural's ending."""
    word = re.sub(r"['\u2019]s$", "", word.casefold())
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _names(text: str, name: str) -> bool:
    """True when `text` has `name` as whole words (any case)."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def _paragraphs(text: str) -> list[str]:
    return re.split(r"\n\s*\n", text)


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _last_lines(text: str) -> str:
    return "\n".join([line for line in text.splitlines() if line.strip()][-SIGNATURE_LINES:])
