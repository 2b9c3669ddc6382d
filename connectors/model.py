"""A chat model behind an OpenAI-compatible endpoint (Ollama, llama.cpp, a hosted service).

    client = ChatClient(ChatModel(url="http://127.0.0.1:11434/v1", model="llama3.1:8b"))
    client.complete(system="Rewrite ...", user=draft_text) -> the model's answer

One call is `POST {url}/chat/completions`. Asking a model has no side effect, so any transient
failure (429, 5xx, a timeout, a dropped connection) is retried under the retry policy, then
raised as RetryLater. A refused key is AuthorizationError, an unknown model or a URL that is
not such an endpoint ConfigurationError, anything else FollowthroughError; each message is
one line naming the host (never the key, never what was sent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog

from connectors.errors import (
    AuthorizationError,
    ConfigurationError,
    FollowthroughError,
    RetryLater,
)
from connectors.policy import RETRIABLE_STATUSES, RetryPolicy

log = structlog.get_logger(__name__)

MODEL_POLICY = RetryPolicy(timeout=90.0, attempts=2)
"""A local model may take a minute to write a page; one retry keeps a call and its retry
within the hold an attempt has on its effect (FOLLOWTHROUGH_EFFECT_HOLD_SECONDS, 300 s)."""

KEY_SETTING = "FOLLOWTHROUGH_DRAFT_MODEL_API_KEY"
MODEL_SETTINGS = "FOLLOWTHROUGH_DRAFT_MODEL and FOLLOWTHROUGH_DRAFT_MODEL_URL"


@dataclass(frozen=True)
class ChatModel:
    """Which model to ask: the endpoint's base URL (.../v1), the model's name, the Bearer key."""

    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        """The endpoint's host and port, as messages name it."""
        return urlsplit(self.url).netloc or self.url


class ChatClient:
    """Asks one model for one answer at a time, under a retry policy."""

    def __init__(self, model: ChatModel, *, policy: RetryPolicy = MODEL_POLICY) -> None:
        self.model = model
        self.policy = policy

    def complete(self, *, system: str, user: str) -> str:
        """The model's answer to `user` under the instructions `system`."""
        body = {
            "model": self.model.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": 0,
            "stream": False,
        }
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return self._answer(self._post(body))
            except RetryLater as error:
                if attempt == self.policy.attempts:
                    raise
                delay = self.policy.delay(attempt, error.retry_after)
                log.info("model.retry", host=self.model.host, attempt=attempt, error=str(error))
                time.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def _post(self, body: dict[str, Any]) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if self.model.api_key:
            headers["Authorization"] = f"Bearer {self.model.api_key}"
        url = f"{self.model.url.rstrip('/')}/chat/completions"
        try:
            response = requests.post(
                url, json=body, headers=headers, timeout=self.policy.timeout, allow_redirects=False
            )
        except requests.Timeout as exc:
            raise RetryLater(
                f"the draft model at {self.model.host} gave no answer within "
                f"{self.policy.timeout:g} s; try again later"
            ) from exc
        except requests.RequestException as exc:
            raise RetryLater(
                f"could not reach the draft model at {self.model.host} "
                f"({type(exc).__name__}); check that it is running"
            ) from exc
        if response.status_code != 200:
            raise self._refusal(response)
        return response

    def _refusal(self, response: requests.Response) -> FollowthroughError:
        """Our error for a response other than 200, saying what to do."""
        status, host = response.status_code, self.model.host
        said = _error_message(response)
        if self.model.api_key:
            said = said.replace(self.model.api_key, "***")
        what = f"the draft model at {host} answered {status}"
        if status in RETRIABLE_STATUSES:
            return RetryLater(f"{what}; try again later", retry_after=_retry_after(response))
        if status in (401, 403):
            return AuthorizationError(f"{what} ({said}); check {KEY_SETTING}")
        if status == 404:
            return ConfigurationError(
                f"{what} ({said}): no model {self.model.model!r} there; check {MODEL_SETTINGS}"
            )
        return FollowthroughError(f"{what} ({said}); it refuses the request as sent")

    def _answer(self, response: requests.Response) -> str:
        """The first choice's text; an error when the body is not a chat completion."""
        try:
            choice = response.json()["choices"][0]
            content, finish = choice["message"]["content"], choice.get("finish_reason")
        except (ValueError, LookupError, TypeError):
            content, finish = None, None
        if not isinstance(content, str):
            raise FollowthroughError(
                f"the draft model at {self.model.host} did not answer with a chat completion; "
                f"check that {MODEL_SETTINGS} point at an OpenAI-compatible endpoint (.../v1)"
            )
        if finish == "length":
            raise FollowthroughError(
                f"the draft model at {self.model.host} stopped at its length limit"
            )
        return content


def _error_message(response: requests.Response) -> str:
    """The error's message, as OpenAI-compatible servers put it, on one short line."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    message = error.get("message") if isinstance(error, dict) else error
    text = " ".join(str(message or response.reason or "no message").split())
    return text if len(text) <= 160 else text[:159] + "\u2026"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
