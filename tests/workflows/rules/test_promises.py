"""Promises as the contact reads them: in the second person, notes to self left out, and a
line that cannot be turned safely left to be kept as the user wrote it."""

from __future__ import annotations

import pytest

from workflows.rules.promises import in_second_person

MARCUS = ("Marcus Oyelaran", "Marcus")
PRIYA = ("Priya Raman", "Priya")


@pytest.mark.parametrize(
    ("promise", "names", "said"),
    [
        ("Send Marcus my revised portfolio case study", MARCUS,
         "send you my revised portfolio case study"),
        ("Intro him to Keiko (he asked about UX writing)", MARCUS, "introduce you to Keiko"),
        ("introduce Marcus Oyelaran to Keiko", MARCUS, "introduce you to Keiko"),
        ("share my A/B-testing write-up with Priya", PRIYA,
         "share my A/B-testing write-up with you"),
        ("read the Stripe Sessions talk on experimentation she recommended", PRIYA,
         "read the Stripe Sessions talk on experimentation you recommended"),
        ("forward Priya's note to the hiring manager", PRIYA,
         "forward your note to the hiring manager"),
        ("follow up with her about the referral", PRIYA, "follow up with you about the referral"),
        ("Follow up with Priya once she is back", PRIYA, "follow up with you once you are back"),
        ("look into the bootcamp she mentioned.", PRIYA, "look into the bootcamp you mentioned"),
        ("send her the deck", PRIYA, "send you the deck"),
        ("read her paper", PRIYA, "read your paper"),
        ("send them my first PR", ("Sam Rivera", "Sam"), "send you my first PR"),
        ("I'll send Marcus the link", MARCUS, "send you the link"),
        ("email Marcus a summary of my plan", MARCUS, "email you a summary of my plan"),
        ("read DDIA", MARCUS, "read DDIA"),
    ],
)  # fmt: skip
def test_a_promise_is_said_to_the_person_it_was_made_to(
    promise: str, names: tuple[str, str], said: str
) -> None:
    assert in_second_person(promise, names) == said


@pytest.mark.parametrize(
    "promise",
    [
        "ask Ben for an intro to his team lead",  # not an opening Followthrough knows
        "update my LinkedIn headline",
        "look into what she thinks works",  # "you thinks" would not read right
        "Intro to Keiko",  # who is introduced is not said
        "send me the recording",
        "send",
        "(nothing but a note to self)",
    ],
)
def test_a_promise_that_cannot_be_turned_safely_is_left_as_written(promise: str) -> None:
    assert in_second_person(promise, ("Ben Carter", "Ben")) is None


def test_a_name_inside_another_word_is_not_the_contact() -> None:
    assert in_second_person("send Benedict the notes", ("Ben Carter", "Ben")) == (
        "send Benedict the notes"
    )
