"""Opaque page and sync tokens, and the page-shape knob (short and empty pages) lists share."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


def encode_token(payload: dict[str, Any]) -> str:
    """An opaque, URL-safe token carrying `payload`."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    """The payload of a token made by `encode_token`, or None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


@dataclass
class PageLimits:
    """How lists page: at most `max_page` items per page, and `empty_pages` empty pages first.

    Real APIs may answer short or even empty pages while more results remain; clients must
    follow nextPageToken regardless. This knob makes that happen on demand.
    """

    max_page: int | None = None
    empty_pages: int = 0

    def window(self, page_number: int, offset: int, size: int, total: int) -> tuple[int, int]:
        """The slice [start, end) of the results this page carries."""
        if page_number < self.empty_pages and offset < total:
            return offset, offset
        if self.max_page is not None:
            size = min(size, self.max_page)
        return offset, min(offset + size, total)
