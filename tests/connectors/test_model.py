"""The chat model client against the sandbox's OpenAI-compatible endpoint, over HTTP: answers,
retries of transient failures, and each refusal as one of our errors saying what to do."""

from __future__ import annotations

import socket

import pytest

from connectors.errors import AuthorizationError, ConfigurationError, RetryLater
from connectors.model import ChatClient, ChatModel
from connectors.policy import RetryPolicy
from connectors.sandbox.chat import SANDBOX_MODEL
from connectors.sandbox.server import Sandbox

QUICK = RetryPolicy(timeout=2.0, attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.1)
DRAFT = "Hi Ada,\n\nThank you.\n\nBest,\nSam\n"


def _client(sandbox: Sandbox, *, model: str = SANDBOX_MODEL, key: str | None = None) -> ChatClient:
    return ChatClient(ChatModel(f"{sandbox.url}/v1", model, key), policy=QUICK)


def test_the_models_answer_comes_back(sandbox: Sandbox) -> None:
    assert _client(sandbox).complete(system="Rewrite.", user=DRAFT) == DRAFT


def test_a_transient_failure_is_retried(sandbox: Sandbox) -> None:
    sandbox.fail_next("chat", 503, times=2)

    assert _client(sandbox).complete(system="Rewrite.", user=DRAFT) == DRAFT
    assert sandbox.request_counts()["chat.completions"] == 3


def test_a_model_that_keeps_failing_is_retry_later_after_the_policys_attempts(
    sandbox: Sandbox,
) -> None:
    sandbox.set_chat_reply("fail")

    with pytest.raises(RetryLater, match=r"^the draft model at 127\.0\.0\.1:\d+ answered 500; "):
        _client(sandbox).complete(system="Rewrite.", user=DRAFT)
    assert sandbox.request_counts()["chat.completions"] == QUICK.attempts


def test_a_model_that_does_not_answer_in_time_is_retry_later(sandbox: Sandbox) -> None:
    sandbox.set_chat_reply("stall", stall_seconds=1.0)
    client = ChatClient(
        ChatModel(f"{sandbox.url}/v1", SANDBOX_MODEL), policy=RetryPolicy(timeout=0.2, attempts=1)
    )

    with pytest.raises(RetryLater, match=r"gave no answer within 0\.2 s; try again later$"):
        client.complete(system="Rewrite.", user=DRAFT)


def test_a_model_nobody_serves_is_retry_later_naming_the_host() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = ChatClient(ChatModel(f"http://127.0.0.1:{port}/v1", "m"), policy=QUICK)

    with pytest.raises(RetryLater, match=rf"could not reach the draft model at 127.0.0.1:{port} "):
        client.complete(system="Rewrite.", user=DRAFT)


def test_a_refused_key_says_which_setting_to_check_without_echoing_it(sandbox: Sandbox) -> None:
    sandbox.chat_api.api_key = "sk-right-key-000000000001"

    with pytest.raises(AuthorizationError) as refused:
        _client(sandbox, key="sk-wrong-key-000000000002").complete(system="x", user=DRAFT)

    assert str(refused.value).endswith("; check FOLLOWTHROUGH_DRAFT_MODEL_API_KEY")
    assert "sk-wrong-key" not in str(refused.value)
    assert _client(sandbox, key="sk-right-key-000000000001").complete(system="x", user=DRAFT)


def test_an_unknown_model_or_a_url_that_is_no_chat_endpoint_is_a_configuration_error(
    sandbox: Sandbox,
) -> None:
    with pytest.raises(ConfigurationError, match=r"no model 'llama9'.*check FOLLOWTHROUGH_DRAFT"):
        _client(sandbox, model="llama9").complete(system="x", user=DRAFT)
    wrong_path = ChatClient(ChatModel(sandbox.url, SANDBOX_MODEL), policy=QUICK)
    with pytest.raises(ConfigurationError, match="answered 404"):
        wrong_path.complete(system="x", user=DRAFT)
