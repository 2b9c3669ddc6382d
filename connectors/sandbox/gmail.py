"""Gmail v1 drafts in the sandbox: create, get, list (q with rfc822msgid:), update, delete.

A draft's raw RFC 2822 message is parsed and kept (headers, subject, recipients, body), so
tests and the demo can read what Followthrough wrote. As in Gmail, the draft id stays while its
message is replaced (a new message id on every update). Control calls do what the user does in
Gmail: edit a draft (same draft id and thread, a new message id and Message-ID, new subject or
body), and send it (the draft is gone; a message with a new id and the SENT label joins the
draft's thread, as drafts.send documents). Messages, threads and history:
connectors.sandbox.gmail_mail.

A draft created or updated with a `threadId` joins that thread only when it meets Gmail's
documented criteria (its In-Reply-To or References name a message of the thread, and its
subject matches the thread's); otherwise it starts its own thread, so an update that names no
threadId moves the draft to a thread of its own. Still differs: real Gmail has been seen to
file a draft whose subject differs into the thread anyway (and its web UI then cannot open it),
and how it answers a threadId that does not exist is unverified (the sandbox answers 404).
"""

from __future__ import annotations

import base64
import binascii
import copy
import email
import email.policy
import email.utils
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from connectors.sandbox.gmail_mail import Mailbox, MailMessage, addresses, matches
from connectors.sandbox.gmail_params import epoch_ms, invalid, message_format, not_found, page
from connectors.sandbox.http import Request, Response, Router

BASE = "/gmail/v1/users/{userId}/drafts"
_EDITOR_WRITES = frozenset(
    {"message-id", "subject", "content-type", "content-transfer-encoding", "mime-version"}
)
"""Headers Gmail's editor writes anew when the user edits a draft."""


@dataclass(kw_only=True)
class Draft(MailMessage):
    """One draft: its id, its current message, and the message it became when sent."""

    id: str
    labels: list[str] = field(default_factory=lambda: ["DRAFT"])
    sent_message_id: str | None = None
    history: list[str] = field(default_factory=list)  # message ids replaced by updates

    @property
    def sent(self) -> bool:
        """True once the user sent it."""
        return self.sent_message_id is not None


def _parse_raw(raw: Any) -> tuple[bytes, EmailMessage]:
    if not isinstance(raw, str) or not raw:
        raise invalid("Invalid draft")
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise invalid("Invalid value for ByteString: raw") from None
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(parsed, EmailMessage) or not parsed.keys():
        raise invalid("Invalid draft")
    return data, parsed


class GmailApi:
    """The user's drafts, and the mailbox they are sent from."""

    def __init__(self, *, user_email: str) -> None:
        self.user_email = user_email
        self.drafts: dict[str, Draft] = {}
        self.mailbox = Mailbox(user_email, lambda: [d for d in self.drafts.values() if not d.sent])

    def register(self, router: Router) -> None:
        """Serve the drafts paths, and the mailbox's."""
        router.add("POST", BASE, self.create, name="gmail.drafts.create", api="google", write=True)
        router.add("GET", BASE, self.list, name="gmail.drafts.list", api="google")
        router.add("GET", BASE + "/{id}", self.get, name="gmail.drafts.get", api="google")
        router.add(
            "PUT", BASE + "/{id}", self.update, name="gmail.drafts.update", api="google", write=True
        )
        router.add(
            "DELETE",
            BASE + "/{id}",
            self.delete,
            name="gmail.drafts.delete",
            api="google",
            write=True,
        )
        self.mailbox.register(router)

    # --- what the user does in Gmail -------------------------------------------------------

    def edit(self, draft_id: str, subject: str | None = None, body: str | None = None) -> str:
        """The user edits a draft in Gmail: the same draft gets a new message (new Gmail id and
        Message-ID, as Gmail's editor writes its own); returns the new message id."""
        draft = self._unsent(draft_id)
        edited = EmailMessage()
        for name, value in draft.parsed.items():
            if name.lower() not in _EDITOR_WRITES:
                edited[name] = value
        edited["Subject"] = draft.header("Subject") if subject is None else subject
        edited.set_content(draft.text() if body is None else body)
        self._replace(draft, edited.as_bytes(), edited)
        return draft.message_id

    def send(self, draft_id: str, at: str | None = None) -> dict[str, str]:
        """The user sends a draft (drafts.send): the draft is gone, and a message with a new id,
        the SENT label and the draft's Message-ID joins its thread; `at`: when (RFC 3339)."""
        draft = self._unsent(draft_id)
        parsed, when = copy.deepcopy(draft.parsed), epoch_ms(at)
        if "Date" not in parsed:
            parsed["Date"] = email.utils.formatdate(when / 1000, usegmt=True)
        message = MailMessage(
            message_id=self.mailbox.new_message_id(), thread_id=draft.thread_id,
            raw=parsed.as_bytes(), parsed=parsed, internal_date=when, labels=["SENT"],
        )  # fmt: skip
        self.mailbox.history.deleted(draft)
        draft.sent_message_id = message.message_id
        self.mailbox.add(message)
        return {"id": message.message_id, "thread_id": message.thread_id}

    def _unsent(self, draft_id: str) -> Draft:
        draft = self.drafts.get(draft_id)
        if draft is None or draft.sent:
            raise KeyError(f"no unsent draft {draft_id!r}")
        return draft

    def summaries(self) -> list[dict[str, Any]]:
        """Every draft in plain terms: id, message id, headers, subject, recipients, body, sent
        (and the id of the message it became), internal_date (epoch ms of its last write)."""
        return [self._summary(d) for d in self.drafts.values()]

    def _summary(self, draft: Draft) -> dict[str, Any]:
        return {
            "id": draft.id, "message_id": draft.message_id, "thread_id": draft.thread_id,
            "rfc822_message_id": draft.header("Message-ID"), "subject": draft.header("Subject"),
            "from": draft.header("From"), "to": addresses(draft.header("To")),
            "cc": addresses(draft.header("Cc")), "body": draft.text(), "sent": draft.sent,
            "sent_message_id": draft.sent_message_id, "internal_date": draft.internal_date,
            "headers": {k: str(v) for k, v in draft.parsed.items()},
        }  # fmt: skip

    def snapshot(self) -> list[dict[str, Any]]:
        """The drafts, as `summaries`."""
        return self.summaries()

    def messages(self) -> list[dict[str, Any]]:
        """The sent and received messages: id, thread, labels, headers, body, oldest first."""
        return [
            {"id": m.message_id, "thread_id": m.thread_id, "labels": list(m.labels),
             "headers": {k: str(v) for k, v in m.parsed.items()}, "body": m.text()}
            for m in sorted(self.mailbox.messages.values(), key=lambda m: m.internal_date)
        ]  # fmt: skip

    # --- handlers --------------------------------------------------------------------------

    def _draft(self, request: Request) -> Draft:
        self.mailbox.check_user(request)
        draft = self.drafts.get(request.params["id"])
        if draft is None or draft.sent:
            raise not_found()
        return draft

    def _message(self, raw: Any, thread_id: str | None) -> MailMessage:
        data, parsed = _parse_raw(raw)
        message_id = self.mailbox.new_message_id()
        if "Message-ID" not in parsed:
            parsed["Message-ID"] = f"<sandbox.{message_id}@mail.gmail.com>"
            data = parsed.as_bytes()
        joined = self._thread_joined(thread_id, parsed) if thread_id else None
        return MailMessage(
            message_id=message_id, thread_id=joined or message_id, raw=data, parsed=parsed,
            internal_date=int(time.time() * 1000),
        )  # fmt: skip

    def _thread_joined(self, thread_id: str, parsed: EmailMessage) -> str | None:
        """The thread a message asking for `thread_id` joins, as Gmail documents it: only when
        its In-Reply-To or References name a message of that thread and its subject matches
        the thread's (Re: and Fwd: aside); otherwise it starts a thread of its own. A thread
        that does not exist is refused (404)."""
        earlier = self.mailbox.thread_messages(thread_id)
        if not earlier:
            raise not_found()
        known = {m.header("Message-ID").strip() for m in earlier}
        cited = f"{parsed.get('In-Reply-To', '')} {parsed.get('References', '')}".split()
        subject = _bare_subject(str(parsed.get("Subject", "")))
        if known & set(cited) and subject == _bare_subject(earlier[0].header("Subject")):
            return thread_id
        return None

    def _replace(
        self,
        draft: Draft,
        data: bytes,
        parsed: EmailMessage,
        *,
        keep_thread: bool = True,
        thread_id: str | None = None,
    ) -> None:
        """Give the draft a new message, as drafts.update and the user's edits do (in Gmail's
        editor the draft stays in its thread; an update goes to `thread_id`, else its own)."""
        self.mailbox.history.deleted(draft)
        draft.history.append(draft.message_id)
        draft.message_id = self.mailbox.new_message_id()
        if not keep_thread:
            draft.thread_id = thread_id or draft.message_id
        draft.raw, draft.parsed, draft.internal_date = data, parsed, int(time.time() * 1000)
        if "Message-ID" not in parsed:
            parsed["Message-ID"] = f"<sandbox.{draft.message_id}@mail.gmail.com>"
            draft.raw = parsed.as_bytes()
        self.mailbox.history.added(draft)

    def create(self, request: Request) -> Response:
        """drafts.create from {"message": {"raw": base64url RFC 2822}}."""
        self.mailbox.check_user(request)
        message = _message_of(request)
        made = self._message(message.get("raw"), message.get("threadId"))
        draft = Draft(
            id=f"r{8000000000000000000 + len(self.drafts) + 1}", message_id=made.message_id,
            thread_id=made.thread_id, raw=made.raw, parsed=made.parsed,
            internal_date=made.internal_date,
        )  # fmt: skip
        self.drafts[draft.id] = draft
        self.mailbox.history.added(draft)
        return Response(200, self._reference(draft))

    def update(self, request: Request) -> Response:
        """drafts.update: the draft keeps its id and gets a new message, in the thread the
        request names (`message.threadId`) when it meets Gmail's criteria, else in a thread
        of its own."""
        draft = self._draft(request)
        message = _message_of(request)
        data, parsed = _parse_raw(message.get("raw"))
        asked = message.get("threadId")
        joined = self._thread_joined(asked, parsed) if asked else None
        self._replace(draft, data, parsed, keep_thread=False, thread_id=joined)
        return Response(200, self._reference(draft))

    def delete(self, request: Request) -> Response:
        """drafts.delete (204, empty)."""
        draft = self._draft(request)
        del self.drafts[draft.id]
        self.mailbox.history.deleted(draft)
        return Response(204, None)

    def get(self, request: Request) -> Response:
        """drafts.get in format full (default), metadata, minimal or raw."""
        draft = self._draft(request)
        message = draft.resource(message_format(request), self.mailbox.history.current)
        return Response(200, {"id": draft.id, "message": message})

    def list(self, request: Request) -> Response:
        """drafts.list newest first, with maxResults, pageToken and q (rfc822msgid:, words)."""
        self.mailbox.check_user(request)
        query = request.arg("q") or ""
        matching = [d for d in self.drafts.values() if not d.sent and matches(d, query)]
        matching.sort(key=lambda d: -d.internal_date)
        return Response(200, page(request, matching, "drafts", _draft_ref))

    def _reference(self, draft: Draft) -> dict[str, Any]:
        return {
            "id": draft.id,
            "message": {"id": draft.message_id, "threadId": draft.thread_id, "labelIds": ["DRAFT"]},
        }


def _bare_subject(subject: str) -> str:
    """A subject as threads compare it: without Re:/Fwd: prefixes, case and extra spaces."""
    text = " ".join(subject.split())
    while text[:3].lower() in ("re:", "fw:") or text[:4].lower() == "fwd:":
        text = text[text.index(":") + 1 :].strip()
    return text.casefold()


def _message_of(request: Request) -> dict[str, Any]:
    body = request.json()
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, dict) else {}


def _draft_ref(draft: Draft) -> dict[str, Any]:
    return {"id": draft.id, "message": {"id": draft.message_id, "threadId": draft.thread_id}}
