"""Push addresses: Google calls back only on https://; a loopback host is the local exception."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def push_address_problem(url: str) -> str | None:
    """Why Google would refuse `url` as a push address, or None when it may be used.

    Google refuses every address that is not https://; a loopback http:// address is allowed
    because only local receivers (tests, the demo, the sandbox) can be reached there anyway.
    """
    parts = urlsplit(url)
    loopback = is_loopback_host(parts.hostname or "")
    if parts.scheme == "https" or (parts.scheme == "http" and loopback):
        return None
    return "must be https:// (Google refuses http:// push addresses) unless its host is loopback"
