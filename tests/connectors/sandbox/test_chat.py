"""The sandbox's chat endpoint answers and refuses as OpenAI's chat completions do, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.sandbox.chat import ADDED_LINK, SANDBOX_MODEL
from connectors.sandbox.server import Sandbox

DRAFT = (
    "Hi Ada,\n\nThank you for your time today.\n\nA few things I'm taking away from our "
    "conversation:\n  - Start with the data model.\n  - Hire for curiosity.\n\nAs promised, "
    "I'll send you the article.\n\nAll the best,\nSam Seeker\n"
)


def _ask(sandbox: Sandbox, body: Any, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = body if isinstance(body, bytes) else None
    return requests.post(
        f"{sandbox.url}/v1/chat/completions",
        json=None if data is not None else body,
        data=data,
        headers=headers,
        timeout=10,
    )


def _body(text: str = DRAFT, **changes: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": "Rewrite."}, {"role": "user", "content": text}]
    return {"model": SANDBOX_MODEL, "messages": messages, **changes}


def _error(response: requests.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_a_completion_polishes_the_user_message_keeping_every_word(sandbox: Sandbox) -> None:
    response = _ask(sandbox, _body())

    assert response.status_code == 200
    answer = response.json()
    assert answer["object"] == "chat.completion" and answer["model"] == SANDBOX_MODEL
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert (
        "conversation: Start with the data model. Hire for curiosity.\n"
        in (choice["message"]["content"])
    )
    assert sorted(choice["message"]["content"].replace("-", "").split()) == sorted(
        DRAFT.replace("-", "").split()
    )
    assert sandbox.chat_requests() == [_body()]


@pytest.mark.parametrize(
    ("reply", "missing", "added"),
    [("drop_promise", "As promised", None), ("add_link", None, ADDED_LINK)],
)
def test_a_bad_rewrite_can_be_staged(
    sandbox: Sandbox, reply: str, missing: str | None, added: str | None
) -> None:
    sandbox.set_chat_reply(reply)

    text = _ask(sandbox, _body()).json()["choices"][0]["message"]["content"]

    assert missing is None or missing not in text
    assert added is None or added in text


def test_a_failing_model_answers_500_in_openais_shape(sandbox: Sandbox) -> None:
    sandbox.set_chat_reply("fail")

    response = _ask(sandbox, _body())

    assert response.status_code == 500 and _error(response)["type"] == "server_error"


def test_injected_faults_answer_in_openais_shape(sandbox: Sandbox) -> None:
    sandbox.fail_next("chat", 429)

    response = _ask(sandbox, _body())

    assert response.status_code == 429 and _error(response)["type"] == "rate_limit_exceeded"
    assert _ask(sandbox, _body()).status_code == 200


def test_a_stalled_model_answers_late(sandbox: Sandbox) -> None:
    sandbox.set_chat_reply("stall", stall_seconds=0.5)

    with pytest.raises(requests.Timeout):
        requests.post(f"{sandbox.url}/v1/chat/completions", json=_body(), timeout=0.2)
    sandbox.set_chat_reply("polish")
    assert _ask(sandbox, _body()).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [
        (b"{not json", 400, None, None),
        (_body(model=None), 400, None, None),
        ({"model": SANDBOX_MODEL}, 400, "messages", "missing_required_parameter"),
        (_body(messages="hello"), 400, "messages", "invalid_type"),
        (_body(messages=[]), 400, "messages", "empty_array"),
        (
            _body(messages=[{"role": "robot", "content": "x"}]),
            400,
            "messages[0].role",
            "invalid_value",
        ),
        (
            _body(messages=[{"role": "user"}]),
            400,
            "messages[0].content",
            "missing_required_parameter",
        ),
        (_body(stream=True), 400, "stream", None),
        (_body(model="gpt-nonexistent"), 404, None, "model_not_found"),
    ],
)
def test_malformed_requests_are_refused_as_openai_refuses_them(
    sandbox: Sandbox, body: Any, status: int, param: str | None, code: str | None
) -> None:
    response = _ask(sandbox, body)

    assert response.status_code == status
    error = _error(response)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_a_configured_key_is_required_and_never_echoed(sandbox: Sandbox) -> None:
    sandbox.chat_api.api_key = "sk-sandbox-right-key-0001"

    missing = _ask(sandbox, _body())
    wrong = _ask(sandbox, _body(), key="sk-sandbox-wrong-key-9999")

    assert (missing.status_code, _error(missing)["code"]) == (401, None)
    assert (wrong.status_code, _error(wrong)["code"]) == (401, "invalid_api_key")
    assert "sk-sandbox-wrong" not in wrong.text
    assert _ask(sandbox, _body(), key="sk-sandbox-right-key-0001").status_code == 200
