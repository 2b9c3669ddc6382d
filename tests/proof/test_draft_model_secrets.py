"""The draft model's key, and the notes the draft is made of, never reach a log line.

The key goes from the settings to the model as a Bearer header and nowhere else: not into the
workflows' config's repr, nor a log line when the model polishes, refuses the key, rewrites
badly or fails. The reasons logged for keeping the rule-built draft quote no note either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.policy import RetryPolicy
from connectors.sandbox.chat import SANDBOX_MODEL
from connectors.sandbox.server import Sandbox
from service.settings import Settings
from service.wiring import workflow_config
from tests.proof.conftest import CapturedLog
from workflows.polish import polish
from workflows.rules.notes import parse_notes
from workflows.rules.polish import DraftFacts

KEY = "sk-CANARYdraftmodel7f3a9c1e5b2d4068"
QUICK = RetryPolicy(timeout=2.0, attempts=2, base_delay=0.01, max_delay=0.05, max_retry_after=0.1)
CASES = json.loads(
    (Path(__file__).parents[1] / "workflows/rules/golden_drafts/cases.json").read_text("utf-8")
)
CASE = next(case for case in CASES if case["name"] == "priya_two_insights_she_recommended")
DRAFT = "\n".join(CASE["body"])


def _facts() -> DraftFacts:
    notes = parse_notes(CASE["notes"])
    first = CASE["contact"]["name"].split()[0]
    return DraftFacts(
        greeting_name=first,
        signature_name=CASE["sender_name"],
        contact_names=(CASE["contact"]["name"], first),
        promises=notes.todos,
        insights=notes.insights,
    )


@pytest.mark.parametrize("reply", ["polish", "drop_promise", "add_link", "fail"])
@pytest.mark.parametrize("sandbox_key", [KEY, "sk-another-key-the-model-expects"])
def test_the_draft_models_key_and_the_notes_never_reach_a_log_line(
    sandbox: Sandbox, captured_log: CapturedLog, reply: str, sandbox_key: str
) -> None:
    sandbox.chat_api.api_key = sandbox_key
    sandbox.set_chat_reply(reply)
    settings = Settings(
        draft_model_url=f"{sandbox.url}/v1",
        draft_model=SANDBOX_MODEL,
        draft_model_api_key=SecretStr(KEY),
    )
    config = workflow_config(settings)

    text, reason = polish(config, DRAFT, _facts(), policy=QUICK)

    assert (reason is None) == (reply == "polish" and sandbox_key == KEY)
    assert KEY not in repr(config) and KEY not in captured_log.text
    assert "draft.polished" in captured_log.text or "draft.polish_skipped" in captured_log.text
    notes = parse_notes(CASE["notes"])
    for item in (*notes.insights, *notes.todos, text, DRAFT):
        assert item not in captured_log.text
