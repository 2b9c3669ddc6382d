"""The sandbox's filterByFormula evaluator: the formulas Followthrough sends, and loud failures."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyairtable.formulas import AND, EQ, OR, Field, match

from connectors.sandbox.airtable_formula import Context, FormulaError, compile_formula

RECORD: dict[str, Any] = {
    "Name": "Ann O'Neil",
    "Email": "Ann.ONeil@Example.com",
    "Key": "thank-you:evt1:2026-01-02T10:00:00Z",
    "Update Every (days)": 30.0,
    "Notes": None,
    "Path": "C:\\temp",
}


def matches(formula: str, record: dict[str, Any] = RECORD, record_id: str = "recAnn") -> bool:
    """Whether the record passes the formula (unknown names are unknown fields)."""
    check = compile_formula(formula, lambda name: name in record)
    return check(Context(record_id, lambda name: record.get(name)))


def test_equality_on_a_field_with_an_escaped_quote() -> None:
    assert matches("{Name} = 'Ann O\\'Neil'")
    assert not matches("{Name} = 'Ann ONeil'")


def test_formulas_built_by_pyairtable_evaluate_as_airtable_would() -> None:
    assert matches(str(match({"Name": "Ann O'Neil", "Update Every (days)": 30})))
    assert matches(str(OR(EQ(Field("Key"), "nope"), EQ(Field("Key"), RECORD["Key"]))))
    assert not matches(str(AND(EQ(Field("Name"), "Ann O'Neil"), EQ(Field("Path"), "C:\\tmp"))))
    assert matches(str(EQ(Field("Path"), "C:\\temp")))


def test_lower_and_find_match_an_email_case_insensitively() -> None:
    assert matches("LOWER({Email}) = 'ann.oneil@example.com'")
    assert matches("FIND('oneil@', LOWER({Email}))")
    assert not matches("FIND('bob@', LOWER({Email}))")


def test_record_id_and_blank_fields() -> None:
    assert matches("RECORD_ID() = 'recAnn'")
    assert matches("OR(RECORD_ID() = 'recX', RECORD_ID() = 'recAnn')")
    assert matches("{Notes} = ''")
    assert matches("{Notes} = BLANK()")
    assert matches("NOT({Notes})")


def test_an_empty_formula_matches_everything() -> None:
    assert matches("")


@pytest.mark.parametrize(
    "formula",
    [
        "{Nope} = 'x'",  # unknown field
        "REGEX_MATCH({Name}, 'A')",  # unsupported function
        "{Name} = 'unterminated",
        "AND({Name} = 'a',",
        "{Name} == 'a'",
    ],
)
def test_what_the_sandbox_cannot_evaluate_fails_loudly(formula: str) -> None:
    with pytest.raises(FormulaError):
        matches(formula)


def test_dates_compare_as_dates() -> None:
    record = {"Due": "2026-03-02", "Start": "2026-03-02T15:00:00.000Z"}

    assert matches("IS_BEFORE({Due}, '2026-03-03')", record)
    assert matches("IS_AFTER({Start}, DATETIME_PARSE('2026-03-02'))", record)
    assert matches("IS_SAME({Start}, {Due}, 'day')", record)
    assert not matches("IS_SAME({Start}, {Due})", record)
    assert matches("{Due} = DATETIME_PARSE('2026-03-02')", record)
    assert matches("DATETIME_PARSE({Start}) <= DATETIME_PARSE('2026-03-02T15:00:00Z')", record)


def test_an_unreadable_date_fails_loudly() -> None:
    with pytest.raises(FormulaError):
        matches("IS_BEFORE({Name}, '2026-03-03')")


def test_double_quoted_literals_with_escapes() -> None:
    record = {"Notes": 'line "one"\r\n\tline two\\'}

    assert matches('{Notes} = "line \\"one\\"\\r\\n\\tline two\\\\"', record)


@given(st.text(max_size=40), st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_text_quoted_by_pyairtable_matches_exactly_itself(value: str, other: str) -> None:
    formula = str(EQ(Field("Name"), value))

    assert matches(formula, {"Name": value})
    assert matches(formula, {"Name": other}) == (other == value)


def test_text_compares_as_text_and_numbers_as_numbers() -> None:
    assert not matches("{Name} = '1'", {"Name": "1.0"})
    assert matches("{Days} = 30", {"Days": 30.0})
    assert matches("{Days} = '30'", {"Days": 30.0})
    assert matches("{Days} > 7", {"Days": 30.0})
    assert matches("{Days} = 0", {"Days": None})
