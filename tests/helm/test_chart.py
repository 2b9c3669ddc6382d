"""The Helm chart and the image, checked without helm or Docker.

No helm binary or Docker engine exists here, so these tests check what can be
checked statically: values against the schema, template references against
values.yaml, documentation of every value, the YAML shape of every template,
and the Dockerfile's user and entrypoint.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm"
TEMPLATES = CHART / "templates"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))

ACTION = r"\{\{(?:(?!\}\}).)*\}\}"
WHOLE_LINE_ACTION = re.compile(rf"^[ \t]*{ACTION}[ \t]*(?:\n|\Z)", re.MULTILINE | re.DOTALL)
INLINE_ACTION = re.compile(ACTION, re.DOTALL)
VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
VALUES_KEY_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):")

EXPECTED_KINDS = {
    "configmap.yaml": "ConfigMap",
    "secret.yaml": "Secret",
    "serviceaccount.yaml": "ServiceAccount",
    "ingress.yaml": "Ingress",
    "web/deployment.yaml": "Deployment",
    "web/service.yaml": "Service",
    "worker/deployment.yaml": "Deployment",
    "worker/hpa.yaml": "HorizontalPodAutoscaler",
    "scheduler/deployment.yaml": "Deployment",
}
DEPLOYMENTS = {
    "web": "web/deployment.yaml",
    "worker": "worker/deployment.yaml",
    "scheduler": "scheduler/deployment.yaml",
}
# Issue 5's settings, split by where the chart puts them.
CONFIGMAP_SETTINGS = [
    "GOOGLE_CREDENTIALS_FILE",
    "GOOGLE_API_ENDPOINT",
    "CALENDAR_ID",
    "AIRTABLE_BASE_ID",
    "AIRTABLE_ENDPOINT",
    "TASKS_SINK",
    "PUBLIC_URL",
    "HTTP_HOST",
    "HTTP_PORT",
    "TIMEZONE",
    "NOW",
    "SENDER_NAME",
    "UPDATE_EVERY_DAYS",
    "THANK_YOU_GRACE_MINUTES",
    "POLL_MINUTES",
    "SAFETY_POLL_MINUTES",
    "TEMPLATES_DIR",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "ACCOUNT",
    "ACCOUNT_CACHE",
    "HISTORY_DAYS",
    "FIRST_SYNC_DAYS",
    "MAX_REMINDERS_PER_DAY",
    "INTERVIEW_TITLE_PATTERN",
    "MAX_BODY_BYTES",
    "ACCOUNT_CONCURRENCY",
]
SECRET_SETTINGS = ["DATABASE_URL", "BROKER_URL", "REDIS_URL", "AIRTABLE_TOKEN", "ENCRYPTION_KEY"]


def load_yaml(path: Path) -> Any:
    """Parse one YAML file."""
    return yaml.safe_load(path.read_text())


def template_text(name: str) -> str:
    """The raw text of a template under helm/templates/."""
    return (TEMPLATES / name).read_text()


def neutralise(text: str) -> str:
    """Drop lines that are only template actions and turn inline actions into a scalar."""
    text = WHOLE_LINE_ACTION.sub("", text)
    return INLINE_ACTION.sub("PLACEHOLDER", text)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge override into a copy of base the way helm merges -f values files."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def leaf_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every value in a values tree (maps that are empty count as leaves)."""
    paths = []
    for key, value in values.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            paths.extend(leaf_paths(value, path))
        else:
            paths.append(path)
    return paths


def template_files() -> list[Path]:
    """Every template, helpers and NOTES included."""
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file())


def values_paths_used() -> set[str]:
    """Every `.Values.x.y` path that a template or helper mentions."""
    used: set[str] = set()
    for path in template_files():
        used.update(VALUES_PATH.findall(path.read_text()))
    return used


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    """The chart's default values."""
    return load_yaml(CHART / "values.yaml")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    """A validator for values.schema.json (draft 7, which helm understands)."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_chart_metadata_names_the_chart() -> None:
    chart = load_yaml(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "followthrough"
    assert chart["type"] == "application"
    assert chart["version"] and chart["appVersion"]


def test_default_values_validate_against_the_schema(validator, values) -> None:
    validator.validate(values)


def test_ci_values_exist_for_both_brokers() -> None:
    names = {p.name for p in CI_VALUES}
    assert {"redis-values.yaml", "rabbitmq-values.yaml"} <= names


@pytest.mark.parametrize("ci_file", CI_VALUES, ids=lambda p: p.name)
def test_ci_values_validate_against_the_schema(validator, values, ci_file: Path) -> None:
    validator.validate(deep_merge(values, load_yaml(ci_file)))


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"workers": {"replicas": 2}}, "a misspelt top-level key"),
        ({"worker": {"replica": 2}}, "a misspelt nested key"),
        ({"settings": {"tasksSink": "email"}}, "a tasks sink the service does not know"),
        ({"settings": {"logFormat": "xml"}}, "an unknown log format"),
        (
            {"secrets": {"brokerUrl": "http://broker:6379"}},
            "a broker that is neither redis nor amqp",
        ),
        (
            {"secrets": {"databaseUrl": "sqlite:///followthrough.db"}},
            "SQLite in the distributed shape",
        ),
        ({"web": {"port": 70000}}, "a port out of range"),
        ({"scheduler": {"replicas": 3}}, "more schedulers than one active plus one standby"),
        ({"ingress": {"paths": ["webhooks"]}}, "a path without its leading slash"),
    ],
)
def test_schema_refuses_bad_values(validator, values, override: dict[str, Any], why: str) -> None:
    errors = list(validator.iter_errors(deep_merge(values, override)))
    assert errors, f"the schema accepted {why}"


def test_every_values_path_used_in_templates_exists(values) -> None:
    missing = []
    for path in sorted(values_paths_used()):
        node: Any = values
        for key in path.strip(".").split("."):
            if not isinstance(node, dict) or key not in node:
                missing.append(path)
                break
            node = node[key]
    assert not missing, f"templates use values that values.yaml does not define: {missing}"


def test_every_value_is_used_by_a_template(values) -> None:
    used = values_paths_used()
    unused = [
        path
        for path in leaf_paths(values)
        if not any(path == u or path.startswith(u + ".") for u in used)
    ]
    assert not unused, f"values.yaml defines values no template reads: {unused}"


def test_every_value_has_a_documenting_comment() -> None:
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = [
        line.strip()
        for index, line in enumerate(lines)
        if VALUES_KEY_LINE.match(line) and not (index and lines[index - 1].lstrip().startswith("#"))
    ]
    assert not undocumented, f"values without a comment right above them: {undocumented}"


@pytest.mark.parametrize(("name", "kind"), sorted(EXPECTED_KINDS.items()))
def test_template_is_yaml_of_the_expected_kind(name: str, kind: str) -> None:
    document = yaml.safe_load(neutralise(template_text(name)))
    assert isinstance(document, dict), f"{name} does not parse to a Kubernetes object"
    assert document["kind"] == kind
    assert document["apiVersion"]
    assert document["metadata"]["name"]


def test_every_template_is_accounted_for() -> None:
    names = {str(p.relative_to(TEMPLATES)) for p in template_files()}
    assert names == set(EXPECTED_KINDS) | {"_helpers.tpl", "NOTES.txt"}


def test_web_probes_hit_healthz_and_readyz() -> None:
    container = pod_container("web")
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["name"] == "http"


@pytest.mark.parametrize("component", sorted(DEPLOYMENTS))
def test_each_deployment_runs_its_followthrough_command(component: str) -> None:
    container = pod_container(component)
    assert container["command"] == ["followthrough"]
    assert container["args"][0] == component


def test_worker_lives_under_templates_worker_and_terminates_gracefully() -> None:
    assert DEPLOYMENTS["worker"].startswith("worker/")
    spec = deployment("worker")["spec"]["template"]["spec"]
    assert "terminationGracePeriodSeconds" in spec
    assert "preStop" in spec["containers"][0]["lifecycle"]


@pytest.mark.parametrize("component", sorted(DEPLOYMENTS))
def test_pods_roll_when_config_or_secret_changes(component: str) -> None:
    annotations = deployment(component)["spec"]["template"]["metadata"]["annotations"]
    assert {"checksum/config", "checksum/secret"} <= set(annotations)
    text = template_text(DEPLOYMENTS[component])
    assert '"/configmap.yaml") . | sha256sum' in text
    assert '"/secret.yaml") . | sha256sum' in text


def test_configmap_carries_every_non_secret_setting() -> None:
    text = template_text("configmap.yaml")
    missing = [
        s for s in CONFIGMAP_SETTINGS if f"FOLLOWTHROUGH_{s}:" not in text and f'"{s}"' not in text
    ]
    assert not missing, f"settings missing from the ConfigMap: {missing}"
    assert not [s for s in SECRET_SETTINGS if s in text], (
        "a secret setting leaked into the ConfigMap"
    )


def test_every_variable_the_chart_sets_is_a_service_setting() -> None:
    from service.settings import Settings, env_name

    known = {env_name(name) for name in Settings.model_fields}
    text = template_text("configmap.yaml") + template_text("_helpers.tpl")
    names = set(re.findall(r"FOLLOWTHROUGH_[A-Z_]+", text))
    names |= {f"FOLLOWTHROUGH_{s}" for s in re.findall(r'^\s+"([A-Z_]+)" ', text, re.MULTILINE)}
    names.discard("FOLLOWTHROUGH_")
    assert names, "no FOLLOWTHROUGH_ variables found in the chart"
    assert not names - known, f"the service ignores these variables: {sorted(names - known)}"


def test_secret_settings_come_from_the_secret() -> None:
    helpers = template_text("_helpers.tpl")
    for setting in SECRET_SETTINGS:
        assert f"name: FOLLOWTHROUGH_{setting}\n    valueFrom:\n      secretKeyRef:" in helpers


def test_secret_is_rendered_only_without_an_existing_secret() -> None:
    text = template_text("secret.yaml")
    assert text.startswith("{{- if not .Values.secrets.existingSecret }}")
    assert text.rstrip().endswith("{{- end }}")


def test_pods_run_unprivileged_on_a_read_only_root(values) -> None:
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["podSecurityContext"]["runAsUser"] != 0
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["securityContext"]["allowPrivilegeEscalation"] is False


def test_notes_tell_how_to_reach_the_status_page_and_that_webhooks_need_https() -> None:
    notes = template_text("NOTES.txt")
    assert "port-forward" in notes
    assert "https" in notes and "publicUrl" in notes


def test_dockerfile_builds_an_unprivileged_followthrough_image(values) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1] == "{runAsUser}:{runAsGroup}".format(**values["podSecurityContext"])
    assert re.search(r'^ENTRYPOINT \["followthrough"\]', dockerfile, re.MULTILINE)
    assert re.search(r'^CMD \["web"\]', dockerfile, re.MULTILINE)
    assert "[redis,rabbitmq,postgres]" in dockerfile


def test_dockerignore_keeps_the_build_context_small() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)


def deployment(component: str) -> dict[str, Any]:
    """A deployment template, neutralised and parsed."""
    return yaml.safe_load(neutralise(template_text(DEPLOYMENTS[component])))


def pod_container(component: str) -> dict[str, Any]:
    """The one container of a deployment's pod template."""
    containers = deployment(component)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_the_charts_readme_runs_real_account_commands_and_names_real_values(values) -> None:
    """What helm/README.md tells an operator to run and set exists."""
    from service.cli import app
    from service.cli_accounts import accounts_app

    readme = (CHART / "README.md").read_text()
    commands = {c.name for c in accounts_app.registered_commands}
    used = set(re.findall(r"(?:`|followthrough )accounts ([a-z-]+)", readme))
    assert {"add", "list", "disable", "remove", "page-link"} <= used <= commands
    assert "status" in {c.name or c.callback.__name__ for c in app.registered_commands}
    for path in re.findall(r"`((?:secrets|settings|worker|ingress)\.[A-Za-z.]+)", readme):
        node = values
        for part in path.split("."):
            assert part in node, f"helm/README.md names {path}, which values.yaml lacks"
            node = node[part]
    for step in ("Rotating it", "new key first", "encryptionKeySecret", "--web-link"):
        assert step in readme
