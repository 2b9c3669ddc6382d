"""The optional model that polishes the thank-you draft, with the rule-built draft as fallback.

    text, reason = polish(runtime, draft.body, DraftFacts.of(item))   # reason None: polished

With FOLLOWTHROUGH_DRAFT_MODEL_URL set, the rule-built body, and nothing else (no address, no
subject, no notes), goes to the model with the instruction to rewrite it for flow, keep every
fact and add nothing. Its answer is used only when `workflows.rules.polish.rewrite_problem`
finds nothing wrong with it. On any failure (the model unreachable or refusing, a rewrite that
fails the check) the rule-built body is kept and the reason logged: never the text, never the
key. A draft holding an email address is not sent at all.
"""

from __future__ import annotations

import structlog

from connectors.errors import FollowthroughError
from connectors.model import MODEL_POLICY, ChatClient
from connectors.policy import RetryPolicy
from workflows.rules.draft import body_text
from workflows.rules.polish import DraftFacts, holds_email_address, rewrite_problem
from workflows.runtime import Runtime, WorkflowConfig

log = structlog.get_logger(__name__)

INSTRUCTIONS = (
    "You edit a thank-you email that the sender wrote after an informational interview. "
    "Rewrite it so it reads naturally and flows as one careful person's note. Keep every fact: "
    "the greeting with the same name, each thing the sender learned, each promise with exactly "
    "what was promised, the closing and the signature with the same name. Add nothing: no new "
    "facts, names, dates, links or email addresses. Keep it about the same length. Answer with "
    "the email's text only, starting with the greeting, with no subject line and no comments."
)
NOT_CONFIGURED = "no draft model is configured"


def polish(
    runtime_or_config: Runtime | WorkflowConfig,
    draft: str,
    facts: DraftFacts,
    *,
    policy: RetryPolicy = MODEL_POLICY,
) -> tuple[str, str | None]:
    """The draft's text to use, and why it is the rule-built `draft` (None: the model's)."""
    config = (
        runtime_or_config.config if isinstance(runtime_or_config, Runtime) else runtime_or_config
    )
    model = config.draft_model
    if model is None:
        return draft, NOT_CONFIGURED
    if holds_email_address(draft):
        return _kept(draft, "the draft holds an email address, which is not sent to the model")
    try:
        answer = ChatClient(model, policy=policy).complete(system=INSTRUCTIONS, user=draft)
    except FollowthroughError as error:
        return _kept(draft, f"the draft model failed: {error}")
    rewrite = body_text(answer).strip() + "\n"
    problem = rewrite_problem(draft, rewrite, facts)
    if problem is not None:
        return _kept(draft, f"the model's rewrite is not used: {problem}")
    log.info("draft.polished", host=model.host, model=model.model)
    return rewrite, None


def _kept(draft: str, reason: str) -> tuple[str, str]:
    log.warning("draft.polish_skipped", reason=reason)
    return draft, reason
