"""The draft model over HTTP (the sandbox's chat endpoint): a good rewrite is used, a bad one
or a failing model leaves the rule-built draft, with the reason; only the draft is sent."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from connectors.model import ChatModel
from connectors.policy import RetryPolicy
from connectors.sandbox.chat import SANDBOX_MODEL
from connectors.sandbox.server import Sandbox
from workflows.polish import INSTRUCTIONS, NOT_CONFIGURED, polish
from workflows.rules.notes import parse_notes
from workflows.rules.polish import DraftFacts
from workflows.runtime import WorkflowConfig

QUICK = RetryPolicy(timeout=2.0, attempts=2, base_delay=0.01, max_delay=0.05, max_retry_after=0.1)
CASE = next(
    case
    for case in json.loads(
        (Path(__file__).parent / "rules" / "golden_drafts" / "cases.json").read_text("utf-8")
    )
    if case["name"] == "marcus_promises_rewritten"
)
DRAFT = "\n".join(CASE["body"])
NOTES = parse_notes(CASE["notes"])
FACTS = DraftFacts(
    greeting_name="Marcus",
    signature_name="Sam Seeker",
    contact_names=("Marcus Oyelaran", "Marcus"),
    promises=NOTES.todos,
    insights=NOTES.insights,
)


def _config(sandbox: Sandbox, key: str | None = None) -> WorkflowConfig:
    return WorkflowConfig(draft_model=ChatModel(f"{sandbox.url}/v1", SANDBOX_MODEL, key))


def test_a_polished_draft_is_used_and_only_the_draft_is_sent(sandbox: Sandbox) -> None:
    text, reason = polish(_config(sandbox), DRAFT, FACTS, policy=QUICK)

    assert reason is None
    assert text != DRAFT
    assert (
        "One thing I'm taking away from our conversation: Portfolio case studies should show "
        "the messy middle, not just the final screens.\n"
    ) in text
    assert text.startswith("Hi Marcus,\n") and text.endswith("Warm regards,\nSam Seeker\n")
    [sent] = sandbox.chat_requests()
    assert [m["content"] for m in sent["messages"]] == [INSTRUCTIONS, DRAFT]
    assert CASE["contact"]["email"] not in json.dumps(sent)
    assert CASE["subject"] not in json.dumps(sent)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("drop_promise", "the model's rewrite is not used: promise 1 of 2 lost 2 of its key words"),
        (
            "add_link",
            "the model's rewrite is not used: "
            "it adds 1 email address(es), link(s) or domain name(s)",
        ),
    ],
)
def test_a_bad_rewrite_leaves_the_rule_built_draft_and_says_why(
    sandbox: Sandbox, reply: str, reason: str
) -> None:
    sandbox.set_chat_reply(reply)

    assert polish(_config(sandbox), DRAFT, FACTS, policy=QUICK) == (DRAFT, reason)


def test_a_failing_model_leaves_the_rule_built_draft_after_its_retries(sandbox: Sandbox) -> None:
    sandbox.set_chat_reply("fail")

    text, reason = polish(_config(sandbox), DRAFT, FACTS, policy=QUICK)

    assert text == DRAFT
    assert reason is not None
    assert reason.startswith("the draft model failed: the draft model at 127.0.0.1:")
    assert reason.endswith(" answered 500; try again later")
    assert sandbox.request_counts()["chat.completions"] == QUICK.attempts


def test_a_model_that_does_not_answer_in_time_leaves_the_rule_built_draft(
    sandbox: Sandbox,
) -> None:
    sandbox.set_chat_reply("stall", stall_seconds=1.0)
    policy = dataclasses.replace(QUICK, timeout=0.2, attempts=1)

    text, reason = polish(_config(sandbox), DRAFT, FACTS, policy=policy)

    assert text == DRAFT
    assert reason is not None and reason.endswith("gave no answer within 0.2 s; try again later")


def test_without_a_model_nothing_is_sent(sandbox: Sandbox) -> None:
    assert polish(WorkflowConfig(), DRAFT, FACTS) == (DRAFT, NOT_CONFIGURED)
    assert sandbox.chat_requests() == []


def test_a_draft_holding_an_email_address_is_never_sent(sandbox: Sandbox) -> None:
    draft = DRAFT.replace("Keiko.", "Keiko (keiko@example.org).")

    text, reason = polish(_config(sandbox), draft, FACTS, policy=QUICK)

    assert (text, sandbox.chat_requests()) == (draft, [])
    assert reason == "the draft holds an email address, which is not sent to the model"


def test_the_bearer_key_reaches_a_model_that_requires_one(sandbox: Sandbox) -> None:
    sandbox.chat_api.api_key = "sk-sandbox-key-0000000042"

    without = polish(_config(sandbox), DRAFT, FACTS, policy=QUICK)
    with_key = polish(_config(sandbox, "sk-sandbox-key-0000000042"), DRAFT, FACTS, policy=QUICK)

    assert without[0] == DRAFT and without[1] is not None
    assert without[1].endswith("; check FOLLOWTHROUGH_DRAFT_MODEL_API_KEY")
    assert with_key[1] is None and with_key[0] != DRAFT
