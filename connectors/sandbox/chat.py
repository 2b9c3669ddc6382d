"""An OpenAI-compatible chat endpoint in the sandbox: a deterministic model that polishes drafts.

`POST /v1/chat/completions` (so the draft model's URL is `<sandbox>/v1`) answers the last user
message with a rewrite chosen by `set_chat_reply`:

- "polish" (the default): the bulleted lines join the sentence that introduces them, as a
  model smoothing the letter would write them; every word of the draft is kept;
- "drop_promise": the same, without the paragraph of promises ("As promised, ...");
- "add_link": the same, with a sentence pointing at a portfolio link after the greeting;
- "fail": 500 with OpenAI's server_error; "stall": the answer comes after `stall_seconds`.

Requests are refused as OpenAI refuses them, in its error shape (`{"error": {"message",
"type", "param", "code"}}`): a missing or wrong Bearer key when a key is configured (401), a
body that is not JSON or lacks `model` or `messages`, messages that are not objects with a
known role and text content (400), and a model other than `SANDBOX_MODEL` (404). Differences:
no streaming (`stream: true` answers 400), no tools, images or response formats, and token
counts are words, not tokens.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

from connectors.sandbox.http import HttpError, Request, Response, Router

SANDBOX_MODEL = "sandbox-polish"
REPLIES = ("polish", "drop_promise", "add_link", "fail", "stall")
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
ADDED_LINK = "You can see the case study I mentioned at https://portfolio.example.net/case-study."
_PROMISES = re.compile(r"^(?:As promised|I (?:also )?have (?:this|these) on my list)\b")
_KEY_HELP = "You can find your API key at https://platform.openai.com/account/api-keys."


def openai_error(
    status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
    code: str | None = None,
) -> Response:  # fmt: skip
    """An error as OpenAI answers it."""
    error = {"message": message, "type": kind, "param": param, "code": code}
    return Response(status, {"error": error})


def _refused(message: str, *, param: str | None = None, code: str | None = None) -> HttpError:
    return HttpError(openai_error(400, message, param=param, code=code))


class ChatApi:
    """The chat completions endpoint, its configured key, and the requests it received."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.reply = "polish"
        self.received: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def register(self, router: Router) -> None:
        """Serve `POST /v1/chat/completions`."""
        router.add(
            "POST", "/v1/chat/completions", self.complete, name="chat.completions", api="chat"
        )

    def complete(self, request: Request) -> Response:
        """One chat completion, or the error OpenAI would answer."""
        self._authorize(request)
        body = _body(request)
        self.received.append(body)
        model = _model(body)
        draft = _last_user_text(_messages(body))
        if self.reply == "fail":
            message = "The server had an error while processing your request. Sorry about that!"
            return openai_error(500, message, kind="server_error")
        return Response(200, self._completion(model, body, _rewrite(draft, self.reply)))

    def _authorize(self, request: Request) -> None:
        if self.api_key is None:
            return
        given = request.bearer
        if given is None:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                f"YOUR_KEY). {_KEY_HELP}"
            )
            raise HttpError(openai_error(401, message))
        if given != self.api_key:
            message = f"Incorrect API key provided: ****{given[-4:]}. {_KEY_HELP}"
            raise HttpError(openai_error(401, message, code="invalid_api_key"))

    def _completion(self, model: str, body: dict[str, Any], text: str) -> dict[str, Any]:
        asked = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        answered = len(text.split())
        return {
            "id": f"chatcmpl-sandbox{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": asked,
                "completion_tokens": answered,
                "total_tokens": asked + answered,
            },
        }


def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object; OpenAI's 400 for anything else."""
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise _refused(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)"
        )
    if body.get("stream"):
        raise _refused("The sandbox does not stream; send stream: false.", param="stream")
    return body


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _refused("You must provide a model parameter.")
    if model != SANDBOX_MODEL:
        message = f"The model `{model}` does not exist or you do not have access to it."
        raise HttpError(openai_error(404, message, code="model_not_found"))
    return model


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if "messages" not in body:
        raise _refused(
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise _refused(
            "Invalid type for 'messages': expected an array of objects.",
            param="messages",
            code="invalid_type",
        )
    if not messages:
        raise _refused(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            param="messages",
            code="empty_array",
        )
    for index, message in enumerate(messages):
        _check_message(index, message)
    return messages


def _check_message(index: int, message: dict[str, Any]) -> None:
    role = message.get("role")
    if role not in ROLES:
        supported = ", ".join(f"'{r}'" for r in ROLES)
        raise _refused(
            f"Invalid value: '{role}'. Supported values are: {supported}.",
            param=f"messages[{index}].role",
            code="invalid_value",
        )
    if role == "user" and "content" not in message:
        raise _refused(
            f"Missing required parameter: 'messages[{index}].content'.",
            param=f"messages[{index}].content",
            code="missing_required_parameter",
        )


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of an array of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    raise _refused("Invalid type for 'messages[].content': expected a string or an array.")


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    users = [m for m in messages if m["role"] == "user"]
    return _text(users[-1]["content"]) if users else ""


def _rewrite(draft: str, reply: str) -> str:
    """The deterministic "model's" rewrite of `draft` for the chosen reply."""
    paragraphs = [_joined_bullets(p) for p in re.split(r"\n\s*\n", draft.strip())]
    if reply == "drop_promise":
        paragraphs = [p for p in paragraphs if not _PROMISES.match(p)]
    if reply == "add_link" and paragraphs:
        paragraphs.insert(1, ADDED_LINK)
    return "\n\n".join(paragraphs) + "\n"


def _joined_bullets(paragraph: str) -> str:
    """ "Taking away:\\n  - A.\\n  - B." -> "Taking away: A. B." (other paragraphs as they are)."""
    lines = paragraph.split("\n")
    items = [line.strip()[2:] for line in lines[1:] if line.strip().startswith("- ")]
    if not items or len(items) != len(lines) - 1:
        return paragraph
    return " ".join([lines[0].rstrip(), *items])
