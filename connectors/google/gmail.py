"""Gmail drafts: create, update, read and find thank-you drafts, never sending anything.

Each draft carries a deterministic Message-ID (from the effect's idempotency key), so a draft
whose creation had an unknown outcome is found again (by stored id, or `rfc822msgid:` search)
instead of being made twice. Drafts go as `{"message": {"raw": ...}}`: no media upload and no
batch, which google-api-python-client would send to Google's own host whatever the endpoint.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import structlog

from connectors.errors import NotFound, SkipRecord
from connectors.google.calls import MetadataScopeRefusal, execute
from connectors.google.gmail_mailbox import MailboxReads
from connectors.policy import RetryPolicy
from connectors.records import DraftMessage, DraftRef

log = structlog.get_logger(__name__)

# Fold only at RFC 5322's hard limit: the stdlib's folding of shorter lines can leave specials
# of a display name unquoted and put a stray space into a subject.
_POLICY = SMTP.clone(max_line_length=998)
# Zero-width (non-)joiners are not "printable" to Python but belong to emoji sequences and to
# Persian and Indic words: a header keeps them.
_JOINERS = "\u200c\u200d"


class GmailClient(MailboxReads):
    """Gmail v1 draft calls, and the mailbox's metadata reads, on a per-thread service object
    (see GoogleClient)."""

    def __init__(self, service: Callable[[], Any], policy: RetryPolicy) -> None:
        self._service = service
        self._policy = policy

    def create_draft(
        self,
        draft: DraftMessage,
        *,
        known_draft_id: str | None = None,
        outcome_unknown: bool = False,
    ) -> DraftRef:
        """Create the draft once: when an earlier attempt may have made it, find that one instead.

        Raises AmbiguousWrite when this attempt's outcome is unknown: call again with
        `outcome_unknown=True`.
        """
        if known_draft_id:
            return self.get_draft(known_draft_id, message_id=draft.message_id)
        if outcome_unknown and (found := self.find_draft(draft.message_id)):
            log.info("gmail.draft_found", draft_id=found.draft_id)
            return found
        request = self._drafts().create(userId="me", body={"message": _message(draft)})
        reply = execute(
            request.execute, policy=self._policy, operation="gmail.drafts.create", idempotent=False
        )
        log.info("gmail.draft_created", draft_id=reply["id"])
        return _ref(reply, draft.message_id)

    def update_draft(self, draft_id: str, draft: DraftMessage) -> DraftRef:
        """Replace the draft's content (idempotent); NotFound when it was sent or deleted."""
        body = {"id": draft_id, "message": _message(draft)}
        request = self._drafts().update(userId="me", id=draft_id, body=body)
        reply = execute(request.execute, policy=self._policy, operation="gmail.drafts.update")
        return _ref(reply, draft.message_id)

    def get_draft(self, draft_id: str, *, message_id: str = "") -> DraftRef:
        """The draft as it is; `still_draft` is False when it was sent or deleted."""
        request = self._drafts().get(userId="me", id=draft_id, format="metadata")
        try:
            reply = execute(request.execute, policy=self._policy, operation="gmail.drafts.get")
        except NotFound:
            return DraftRef(draft_id=draft_id, message_id=message_id, still_draft=False)
        return _ref(reply, _header(reply, "Message-ID") or message_id)

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID is `message_id`, if there is one.

        A token with gmail.metadata may not search: then every draft's headers are read.
        """
        request = self._drafts().list(
            userId="me", q=f"rfc822msgid:{_bare(message_id)}", maxResults=10
        )
        try:
            reply = execute(request.execute, policy=self._policy, operation="gmail.drafts.list")
        except MetadataScopeRefusal:
            return self._scan_drafts(message_id)
        drafts = reply.get("drafts") or []
        return _ref(drafts[0], message_id) if drafts else None

    def _scan_drafts(self, message_id: str) -> DraftRef | None:
        token: str | None = None
        while True:
            request = self._drafts().list(userId="me", maxResults=500, pageToken=token)
            reply = execute(request.execute, policy=self._policy, operation="gmail.drafts.list")
            for listed in reply.get("drafts") or []:
                found = self.get_draft(listed["id"])
                if found.message_id and _bare(found.message_id) == _bare(message_id):
                    return found
            token = reply.get("nextPageToken")
            if not token:
                return None

    def _drafts(self) -> Any:
        return self._service().users().drafts()


def _message(draft: DraftMessage) -> dict[str, Any]:
    """The Message resource a draft call sends: the raw message, and the thread a reply joins."""
    message: dict[str, Any] = {"raw": encode_message(draft)}
    if draft.thread_id:
        message["threadId"] = draft.thread_id
    return message


def encode_message(draft: DraftMessage) -> str:
    """The draft as base64url RFC 2822, headers built so that no value can inject another."""
    message = EmailMessage(policy=_POLICY)
    message["To"] = _address(draft.to, draft.to_name)
    if draft.sender:
        message["From"] = _address(draft.sender, None)
    message["Subject"] = _one_line(draft.subject)
    message["Message-ID"] = f"<{_bare(draft.message_id)}>"
    if draft.in_reply_to:
        message["In-Reply-To"] = f"<{_bare(draft.in_reply_to)}>"
        chain = [*draft.references, draft.in_reply_to]
        unique = list(dict.fromkeys(f"<{_bare(each)}>" for each in chain))
        message["References"] = " ".join(unique)
    message.set_content(draft.body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def reply_subject(subject: str) -> str:
    """The subject of a reply in a thread: "Re: " before the thread's own (once)."""
    text = _one_line(subject)
    return text if text[:3].lower() == "re:" else f"Re: {text}"


def _address(email: str, name: str | None) -> Address:
    email = email.strip()
    if not email or not email.isprintable() or " " in email or email.count("@") != 1:
        raise SkipRecord(f"{email!r} is not an email address a draft can be written to")
    username, domain = email.split("@")
    try:
        return Address(display_name=_one_line(name or ""), username=username, domain=domain)
    except ValueError as exc:
        raise SkipRecord(
            f"{email!r} is not an email address a draft can be written to ({exc})"
        ) from exc


def _one_line(text: str) -> str:
    """A header value on one line: every control or line-breaking character becomes a space.

    A literal "=?" is split too: mail readers would decode it as an RFC 2047 encoded word.
    """
    printable = "".join(c if c.isprintable() or c in _JOINERS else " " for c in text)
    return " ".join(printable.split()).replace("=?", "= ?")


def _bare(message_id: str) -> str:
    bare = _one_line(message_id).strip("<>")
    if not bare or any(c in bare for c in "<> "):
        raise ValueError(f"{message_id!r} is not a usable Message-ID")
    return bare


def _header(reply: dict[str, Any], name: str) -> str | None:
    headers = ((reply.get("message") or {}).get("payload") or {}).get("headers") or []
    return next(
        (h.get("value") for h in headers if str(h.get("name", "")).lower() == name.lower()), None
    )


def _ref(reply: dict[str, Any], message_id: str) -> DraftRef:
    return DraftRef(
        draft_id=reply["id"],
        message_id=message_id,
        gmail_message_id=(reply.get("message") or {}).get("id"),
        still_draft=True,
        thread_id=(reply.get("message") or {}).get("threadId"),
    )
