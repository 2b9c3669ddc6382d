"""Values put into filterByFormula are escaped so they cannot break or change the formula."""

from __future__ import annotations

import pytest

from connectors.airtable.formula import equals, field, literal, record_id_in


def test_a_plain_value_becomes_a_double_quoted_literal() -> None:
    assert literal("ada@example.com") == '"ada@example.com"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('say "hi"', r'"say \"hi\""'),
        ("O'Brien", r'"O\'Brien"'),
        ("back\\slash", r'"back\\slash"'),
        ("two\nlines\r\n", r'"two\nlines\r\n"'),
        ('") , TRUE(), ("', r'"\") , TRUE(), (\""'),
    ],
)
def test_quotes_backslashes_and_newlines_are_escaped(value: str, expected: str) -> None:
    assert literal(value) == expected


def test_an_injection_attempt_stays_inside_one_literal() -> None:
    formula = equals("Email", 'x" , TRUE()) & OR("')
    assert formula.startswith('{Email}="') and formula.endswith('"')
    assert formula.count('"') - formula.count('\\"') == 2


def test_a_field_name_with_a_closing_brace_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be referenced"):
        field("odd}name")


def test_record_ids_combine_with_or() -> None:
    assert record_id_in(["rec1"]) == 'RECORD_ID()="rec1"'
