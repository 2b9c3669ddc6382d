"""Email addresses as identities: folding, domains, public mail providers.

    fold_email("John.Doe+work@GoogleMail.com") -> "johndoe@gmail.com"
    fold_email("Jane.Doe+x@Acme.com.") -> "jane.doe+x@acme.com"
    plain_address(" jane@acme.com. ") -> "jane@acme.com"
    domain_of("a@Example.ORG") -> "example.org"
    is_public_domain("gmail.com") -> True
    looks_like_email("no spaces@x") -> False

Two addresses are the same person when their folded forms are equal. Only Gmail documents
that dots and everything after the first '+' are ignored; another domain's server decides what
its local parts mean, so there they are kept as written (a missed match costs a duplicate
contact, a wrong one would mix two people). A domain written with its trailing root dot
("acme.com.") is the same domain.
"""

from __future__ import annotations

import re
import unicodedata

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "rocketmail.com",
        "outlook.com",
        "outlook.de",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "web.de",
        "t-online.de",
        "freenet.de",
        "mail.com",
        "email.com",
        "zoho.com",
        "fastmail.com",
        "fastmail.fm",
        "hey.com",
        "tutanota.com",
        "tuta.io",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "virgilio.it",
        "btinternet.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "posteo.de",
        "mailbox.org",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "rediffmail.com",
        "hushmail.com",
    }
)

# One '@', something on both sides, no whitespace, commas or angle brackets anywhere.
_BAD = r"@\s,<>;:\"()\[\]\\\x00-\x1f\x7f"
_EMAIL_SHAPE = re.compile(rf"^[^{_BAD}]+@[^{_BAD}]+\.[^{_BAD}.]+$")


def _clean(address: str) -> str:
    return unicodedata.normalize("NFC", address).strip().lower()


def plain_address(address: str) -> str:
    """The address as written, without surrounding space or a trailing dot on its domain."""
    local, at, domain = address.strip().rpartition("@")
    return f"{local}@{domain.rstrip('.')}" if at else address.strip()


def fold_email(address: str) -> str:
    """The comparable form of an address: lower-cased; for Gmail, dots and +tags folded.

    googlemail.com is folded to gmail.com. Text without an '@' is only lower-cased.
    """
    cleaned = _clean(address)
    local, at, domain = cleaned.rpartition("@")
    if not at:
        return cleaned
    domain = domain.rstrip(".")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def domain_of(address: str) -> str | None:
    """The lower-cased domain of `address`, or None when it has none."""
    _, at, domain = _clean(address).rpartition("@")
    domain = domain.rstrip(".")
    return domain if at and domain else None


def is_public_domain(domain: str | None) -> bool:
    """True for a public mail provider's domain (sharing it says nothing about an employer)."""
    return domain is not None and domain.strip().lower().rstrip(".") in PUBLIC_DOMAINS


def looks_like_email(address: str | None) -> bool:
    """True when `address` has the shape of one plain address (no names, lists or spaces).

    A trailing dot on the domain is allowed: `plain_address` drops it before the address is used.
    """
    if not address:
        return False
    return _EMAIL_SHAPE.match(plain_address(address)) is not None
