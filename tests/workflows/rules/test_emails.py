"""Email folding: the same person behind differently written addresses."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from workflows.rules.emails import (
    domain_of,
    fold_email,
    is_public_domain,
    looks_like_email,
    plain_address,
)


def test_gmail_dots_tags_and_case_fold_to_one_address() -> None:
    assert fold_email("John.Doe+networking@Gmail.com") == "johndoe@gmail.com"
    assert fold_email("j.o.h.n.d.o.e@googlemail.com") == "johndoe@gmail.com"
    assert fold_email("  JohnDoe@GMAIL.COM ") == "johndoe@gmail.com"


def test_gmail_drops_everything_after_the_first_plus_however_many_tags() -> None:
    assert fold_email("J.Doe+work+coffee@GoogleMail.com") == "jdoe@gmail.com"
    assert fold_email("jdoe+a+b+c@gmail.com") == fold_email("jdoe@gmail.com")
    assert fold_email("jdoe++@gmail.com") == "jdoe@gmail.com"


def test_gmail_folding_takes_the_last_at_sign_a_trailing_dot_and_every_tag() -> None:
    assert fold_email('"j.doe@x"@gmail.com') == '"jdoe@x"@gmail.com'
    assert fold_email("Jane@Acme.COM.") == "jane@acme.com"
    assert fold_email("jane+work+cv@gmail.com") == "jane@gmail.com"


def test_other_domains_keep_dots_and_tags() -> None:
    assert fold_email("Jane.Doe+x@Acme.com") == "jane.doe+x@acme.com"
    assert fold_email("jane.doe@acme.com") != fold_email("janedoe@acme.com")
    assert fold_email("Jane+a+b@Acme.com") == "jane+a+b@acme.com"
    assert fold_email("jane+a+b@acme.com") != fold_email("jane+a@acme.com")


def test_a_domain_written_with_its_trailing_dot_is_the_same_domain() -> None:
    assert fold_email("Jane@Acme.com.") == fold_email("jane@acme.com") == "jane@acme.com"
    assert fold_email(" J.Doe+x@GoogleMail.com. ") == "jdoe@gmail.com"
    assert domain_of("jane@acme.com.") == "acme.com"
    assert is_public_domain("gmail.com.")
    assert looks_like_email("jane@acme.com.") and looks_like_email("Ada+x+y@googlemail.com.")
    assert plain_address(" Jane@Acme.com. ") == "Jane@Acme.com"  # the spelling kept
    assert plain_address("no-at-sign ") == "no-at-sign"
    for bad in ("jane@.", "jane@acme.", "jane@com."):
        assert not looks_like_email(bad), bad


def test_domains_and_public_providers() -> None:
    assert domain_of("a@Example.ORG") == "example.org"
    assert domain_of("no-at-sign") is None
    assert is_public_domain("gmail.com") and is_public_domain("Outlook.com")
    assert not is_public_domain("acme.com")
    assert not is_public_domain(None)


def test_a_domain_is_what_follows_the_last_at_sign_without_a_trailing_dot() -> None:
    assert domain_of('"a@b"@Example.ORG.') == "example.org"
    assert is_public_domain("GMail.com.")


def test_only_one_plain_address_looks_like_an_email() -> None:
    assert looks_like_email("jane@acme.com")
    assert looks_like_email("\u0645\u0631\u064a\u0645@example.com")
    for bad in ("", None, "jane", "jane@", "Jane <jane@acme.com>", "a@b.com, c@d.com",
                "a@b.com\r\nBcc: x@y.com", "a b@c.com", "jane@localhost"):  # fmt: skip
        assert not looks_like_email(bad), bad


local_chars = st.text(
    alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=20
)
gmail_local = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)
any_address = st.builds(
    lambda local, domain: f"{local}@{domain}",
    local_chars,
    st.sampled_from(["gmail.com", "googlemail.com", "acme.com", "Example.org"]),
)


@given(any_address)
def test_folding_is_idempotent(address: str) -> None:
    assert fold_email(fold_email(address)) == fold_email(address)


@given(any_address)
def test_folding_ignores_case(address: str) -> None:
    assert fold_email(address.upper()) == fold_email(address.lower()) == fold_email(address)


@given(
    gmail_local,
    st.lists(st.integers(min_value=0, max_value=20), max_size=5),
    st.one_of(st.none(), local_chars),
    st.sampled_from(["gmail.com", "googlemail.com", "GMail.Com"]),
)
def test_gmail_dots_and_tags_never_make_a_different_person(
    local: str, dots: list[int], tag: str | None, domain: str
) -> None:
    dotted = local
    for position in sorted(dots, reverse=True):
        dotted = dotted[:position] + "." + dotted[position:]
    written = f"{dotted}{'+' + tag if tag else ''}@{domain}"
    assert fold_email(written) == f"{local}@gmail.com"


@given(any_address, st.lists(local_chars, max_size=3))
def test_tags_and_a_trailing_dot_never_split_a_gmail_person(address: str, tags: list[str]) -> None:
    local, _, domain = address.rpartition("@")
    tagged = f"{local}{''.join('+' + t for t in tags)}@{domain}."
    if domain.lower() in ("gmail.com", "googlemail.com"):
        assert fold_email(tagged) == fold_email(address)
    else:
        assert fold_email(tagged) == fold_email(f"{local}{''.join('+' + t for t in tags)}@{domain}")


@given(st.text(max_size=60))
def test_folding_never_fails_on_any_text(text: str) -> None:
    assert isinstance(fold_email(text), str)
