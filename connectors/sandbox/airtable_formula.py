"""A small evaluator for the Airtable formulas Followthrough sends as `filterByFormula`.

Supported: `{Field}` references, string literals ('...' or "..." with backslash escapes),
numbers, the comparisons `= != < > <= >=`, `&` (concatenation), and the functions AND, OR,
NOT, LOWER, UPPER, TRIM, LEN, FIND, RECORD_ID, BLANK, TRUE, FALSE, LAST_MODIFIED_TIME() (of
any field), and for dates DATETIME_PARSE
(ISO 8601 only), IS_BEFORE, IS_AFTER and IS_SAME (exact or by 'day'). Anything else fails
loudly with `FormulaError`, which the sandbox answers as Airtable does: 422
INVALID_FILTER_BY_FORMULA. A formula is parsed once and evaluated per record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Value = str | float | bool | dt.datetime | None


class FormulaError(ValueError):
    """The formula cannot be parsed, names an unknown field, or uses something unsupported."""


@dataclass(frozen=True)
class Context:
    """What a formula sees of one record: its id and a field lookup (display values)."""

    record_id: str
    field: Callable[[str], Value]
    modified_time: str = ""


Node = Callable[[Context], Value]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\{(?:\\.|[^}\\])*\})
      | (?P<string>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>|&)
      | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise FormulaError(
                f"Invalid formula: unexpected text at position {pos}: {text[pos : pos + 20]!r}"
            )
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        pos = found.end()
    return tokens


def _unescape(body: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body
    )


def to_text(value: Value) -> str:
    """A value as Airtable shows it in a text context (blank is the empty string)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return str(value)


def truthy(value: Value) -> bool:
    """Airtable's truthiness: blank, empty text, 0 and FALSE() are false."""
    return value not in (None, "", 0, 0.0, False)


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str) or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _moment(value: Value) -> dt.datetime | None:
    if isinstance(value, dt.datetime) or value in (None, ""):
        return value  # type: ignore[return-value]
    text = to_text(value)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FormulaError(f"cannot read {text!r} as a date; the sandbox reads ISO 8601") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _same(args: list[Value]) -> bool:
    left, right = _moment(args[0]), _moment(args[1])
    unit = to_text(args[2]).lower() if len(args) > 2 else ""
    if unit not in ("", "day", "days"):
        raise FormulaError(f"IS_SAME with unit {unit!r} is not supported by the sandbox")
    if left is None or right is None:
        return False
    return left.date() == right.date() if unit else left == right


def _dates(check: Callable[[dt.datetime, dt.datetime], bool]) -> Callable[[list[Value]], Value]:
    def compare(args: list[Value]) -> Value:
        left, right = _moment(args[0]), _moment(args[1])
        return left is not None and right is not None and check(left, right)

    return compare


def _compare(op: str, left: Value, right: Value) -> bool:
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        a_moment, b_moment = _moment(left), _moment(right)
        if a_moment is None or b_moment is None:
            return op == "!=" and a_moment != b_moment
        return _ordered(op, a_moment, b_moment)
    # Text compares as text; only a number on one side makes it a numeric comparison.
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        lnum, rnum = _number(left), _number(right)
        if (lnum is not None or left in (None, "")) and (rnum is not None or right in (None, "")):
            return _ordered(op, lnum or 0.0, rnum or 0.0)
    a, b = to_text(left), to_text(right)
    return _ordered(op, a, b)


def _ordered(op: str, a: Any, b: Any) -> bool:
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]


def _find(args: list[Value]) -> Value:
    needle, haystack = to_text(args[0]), to_text(args[1])
    start = int(_number(args[2]) or 1) if len(args) > 2 else 1
    return float(haystack.find(needle, max(start, 1) - 1) + 1)


_FUNCTIONS: dict[str, tuple[int, int, Callable[[list[Value]], Value]]] = {
    # name: (min args, max args, implementation on evaluated args)
    "AND": (1, 10**6, lambda a: all(truthy(v) for v in a)),
    "OR": (1, 10**6, lambda a: any(truthy(v) for v in a)),
    "NOT": (1, 1, lambda a: not truthy(a[0])),
    "LOWER": (1, 1, lambda a: to_text(a[0]).lower()),
    "UPPER": (1, 1, lambda a: to_text(a[0]).upper()),
    "TRIM": (1, 1, lambda a: to_text(a[0]).strip()),
    "LEN": (1, 1, lambda a: float(len(to_text(a[0])))),
    "FIND": (2, 3, _find),
    "BLANK": (0, 0, lambda a: None),
    "TRUE": (0, 0, lambda a: True),
    "FALSE": (0, 0, lambda a: False),
    "DATETIME_PARSE": (1, 1, lambda a: _moment(a[0])),
    "IS_BEFORE": (2, 2, _dates(lambda x, y: x < y)),
    "IS_AFTER": (2, 2, _dates(lambda x, y: x > y)),
    "IS_SAME": (2, 3, _same),
}


class _Parser:
    """Recursive descent over the tokens: comparison > concatenation > atom."""

    def __init__(self, text: str, known_field: Callable[[str], bool]) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.known_field = known_field

    def parse(self) -> Node:
        """The whole formula as one node; an empty formula matches everything."""
        if not self.tokens:
            return lambda ctx: True
        node = self.comparison()
        if self.pos != len(self.tokens):
            raise FormulaError(f"Invalid formula: unexpected {self.tokens[self.pos][1]!r}")
        return node

    def peek(self) -> tuple[str, str] | None:
        """The next token, if any, without taking it."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        """The next token (which must be `value` when given)."""
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise FormulaError(f"Invalid formula: expected {value or 'more'}")
        self.pos += 1
        return token

    def comparison(self) -> Node:
        """`a = b`, `a != b`, `a < b`...: or just a concatenation."""
        left = self.concatenation()
        token = self.peek()
        if token and token[0] == "op" and token[1] != "&":
            self.pos += 1
            right = self.concatenation()
            op = token[1]
            return lambda ctx: _compare(op, left(ctx), right(ctx))
        return left

    def concatenation(self) -> Node:
        """`a & b & c`: or just an atom."""
        parts = [self.atom()]
        while (token := self.peek()) and token == ("op", "&"):
            self.pos += 1
            parts.append(self.atom())
        if len(parts) == 1:
            return parts[0]
        return lambda ctx: "".join(to_text(part(ctx)) for part in parts)

    def atom(self) -> Node:
        """A field, literal, function call or parenthesised comparison."""
        kind, text = self.take()
        if kind == "field":
            return self.field(_unescape(text[1:-1]))
        if kind == "string":
            literal = _unescape(text[1:-1])
            return lambda ctx: literal
        if kind == "number":
            number = float(text)
            return lambda ctx: number
        if kind == "name":
            return self.call(text.upper())
        if (kind, text) == ("punct", "("):
            inner = self.comparison()
            self.take(")")
            return inner
        raise FormulaError(f"Invalid formula: unexpected {text!r}")

    def field(self, name: str) -> Node:
        """A `{Field}` reference, refused when the table has no such field."""
        if not self.known_field(name):
            raise FormulaError(f"Unknown field names: {name.lower()}")
        return lambda ctx: ctx.field(name)

    def call(self, name: str) -> Node:
        """A function call, refused when the sandbox does not know the function."""
        self.take("(")
        args: list[Node] = []
        if self.peek() != ("punct", ")"):
            args.append(self.comparison())
            while self.peek() == ("punct", ","):
                self.pos += 1
                args.append(self.comparison())
        self.take(")")
        if name == "RECORD_ID" and not args:
            return lambda ctx: ctx.record_id
        if name == "LAST_MODIFIED_TIME" and not args:
            return lambda ctx: _moment(ctx.modified_time)
        if name not in _FUNCTIONS:
            raise FormulaError(
                f"Invalid formula: the sandbox does not support the function {name}()"
            )
        low, high, impl = _FUNCTIONS[name]
        if not low <= len(args) <= high:
            raise FormulaError(
                f"Invalid formula: {name}() takes {low} to {high} arguments, got {len(args)}"
            )
        return lambda ctx: impl([arg(ctx) for arg in args])


def compile_formula(text: str, known_field: Callable[[str], bool]) -> Callable[[Context], bool]:
    """Parse `text` once; the result tells whether a record (its Context) matches."""
    node = _Parser(text, known_field).parse()
    return lambda ctx: truthy(node(ctx))
