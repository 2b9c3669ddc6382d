"""Building `filterByFormula` expressions with every value escaped.

Values from users (names, emails, idempotency keys) go into formulas only as string literals made
by `literal()`, so a quote, backslash or newline can neither break the formula nor change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def literal(value: str) -> str:
    """A double-quoted Airtable string literal whose content is exactly `value`."""
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'


def field(name: str) -> str:
    """A field reference `{Name}`; Airtable has no escape for `}` in a name, so one is refused."""
    if "}" in name or not name:
        raise ValueError(f"field name {name!r} cannot be referenced in a formula")
    return "{" + name + "}"


def equals(name: str, value: str) -> str:
    """`{name}="value"`: records whose field equals `value` exactly."""
    return f"{field(name)}={literal(value)}"


def record_id_in(record_ids: Iterable[str]) -> str:
    """Records whose id is one of `record_ids`; `FALSE()` for none."""
    terms = [f"RECORD_ID()={literal(record_id)}" for record_id in record_ids]
    if not terms:
        return "FALSE()"
    return terms[0] if len(terms) == 1 else "OR(" + ",".join(terms) + ")"


def modified_since(when: dt.datetime) -> str:
    """Records any of whose fields changed after `when` (Airtable's LAST_MODIFIED_TIME())."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"IS_AFTER(LAST_MODIFIED_TIME(),DATETIME_PARSE({literal(stamp)}))"
