"""The user's draft templates run sandboxed: only the draft's variables, no Python internals,
and a template that tries for more is refused when the templates are loaded, naming its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from tests.workflows.rules.test_draft import thank_you
from workflows.rules.draft import compose_thank_you, template_environment

REACHING_FURTHER = {
    "cycler's globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "joiner": "{{ joiner() }}",
    "namespace": "{% set ns = namespace(x=1) %}{{ ns.x }}",
    "lipsum": "{{ lipsum() }}",
    "range": "{% for i in range(3) %}{{ i }}{% endfor %}",
    "dict": "{{ dict(a=1) }}",
    "an attribute chain": "{{ first_name.__class__.__mro__[1].__subclasses__() }}",
    "an item lookup": "{{ first_name['__class__'] }}",
    "the attr filter": "{{ first_name|attr('__class__') }}",
    "a format string": "{{ '{0.__class__}'.format(first_name) }}",
    "an unknown variable": "Hi {{ nickname }}",
    "the template object": "{{ self._TemplateReference__context }}",
    "a syntax error": "Hi {% if %}",
}


def _templates(tmp_path: Path, body: str) -> Path:
    (tmp_path / "thank_you_body.txt.j2").write_text(body + "\n")
    return tmp_path


@pytest.mark.parametrize("body", REACHING_FURTHER.values(), ids=REACHING_FURTHER.keys())
def test_a_template_that_reaches_further_is_refused_when_loaded_naming_its_file(
    tmp_path: Path, body: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        template_environment(str(_templates(tmp_path, body)))

    message = str(refused.value)
    assert f"the thank-you template {tmp_path / 'thank_you_body.txt.j2'} is refused" in message
    assert message.endswith("fix it, or delete it to use the default")
    assert "\n" not in message


def test_an_unknown_variable_is_named_with_the_ones_a_draft_has(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        template_environment(str(_templates(tmp_path, "{% if x %}Hi {{ nickname }}{% endif %}")))

    assert "it uses nickname, x, which a draft does not have" in str(refused.value)
    assert "first_name, insights, learned, learned_intro, meeting_date" in str(refused.value)


def test_what_only_some_meetings_would_run_is_still_sandboxed_when_it_runs(
    tmp_path: Path,
) -> None:
    # Given a template the start-up check passes (its branch is not taken for the sample)
    body = "{% if first_name == 'Zed' %}{{ insights.append('owned') }}{% endif %}Hi"
    env = template_environment(str(_templates(tmp_path, body)))

    # When a meeting takes the branch, the sandbox refuses the mutation
    assert compose_thank_you(thank_you(), env=env).body == "Hi\n"
    with pytest.raises(ConfigurationError, match=r"thank_you_body\.txt\.j2 is refused"):
        compose_thank_you(thank_you(first_name="Zed"), env=env)


def test_a_template_using_loops_filters_and_the_date_is_accepted(tmp_path: Path) -> None:
    body = (
        "{% for insight in insights %}{{ loop.index }}. {{ insight|capitalize }}\n{% endfor %}"
        "{{ meeting_date.isoformat() }} {{ todos|join(', ')|upper }} {{ topic|default('') }}"
    )
    env = template_environment(str(_templates(tmp_path, body)))

    draft = compose_thank_you(thank_you(), env=env)

    assert draft.body.startswith("1. Start with sql, not spark\n2. The data team")
    assert "2026-11-20 SEND MY PORTFOLIO, READ DDIA data engineering at Acme" in draft.body
