"""The chart rendered by Helm's own engine (Helm's Go SDK through helm-python-sdk).

These tests render the chart offline, as `helm template` would, for the default
values and every CI values file, and check what an operator would meet: the
objects created, the commands the pods run, the settings the service reads, and
pods that roll when the settings change. Without helm-python-sdk they skip, or fail under
FOLLOWTHROUGH_REQUIRE_SERVICES=1 as on CI (tests/helm/test_render_without_sdk.py).
"""

from __future__ import annotations

import base64
import copy
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import skip_or_fail

SDK_MISSING = (
    "helm-python-sdk is not installed, and it renders the chart in these tests: install the "
    "dev extra (pip install -e '.[dev]'; its wheel is for Linux x86_64 only)"
)


def _sdk() -> Any:
    try:
        return importlib.import_module("helm_python")
    except ImportError:
        return None


helm = _sdk()


@pytest.fixture(scope="module", autouse=True)
def _sdk_installed() -> None:
    """Skip without the SDK; with FOLLOWTHROUGH_REQUIRE_SERVICES=1 (as CI sets it), fail."""
    if helm is None:
        skip_or_fail(SDK_MISSING)


ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
RELEASE = "ft"


@pytest.fixture(scope="module")
def chart() -> Iterator[Any]:
    """The chart loaded by Helm."""
    with helm.Chart.load(str(CHART)) as loaded:
        yield loaded


def ci_values(name: str) -> dict[str, Any]:
    """One CI values file."""
    return yaml.safe_load((CHART / "ci" / name).read_text())


def render(chart: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Render the chart and index its objects by "Kind/name"; NOTES.txt under "NOTES"."""
    chart.validate_schema(values)
    objects: dict[str, Any] = {}
    for path, text in chart.render(values, name=RELEASE, namespace="followthrough").items():
        if path.endswith("NOTES.txt"):
            objects["NOTES"] = text
            continue
        for document in yaml.safe_load_all(text):
            if document:
                objects[f"{document['kind']}/{document['metadata']['name']}"] = document
    return objects


def container(objects: dict[str, Any], component: str) -> dict[str, Any]:
    """The container of one component's deployment."""
    deployment = objects[f"Deployment/{RELEASE}-followthrough-{component}"]
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_helm_lint_finds_no_errors() -> None:
    report = helm.lint(str(CHART), ci_values("redis-values.yaml"), strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


def test_default_values_alone_name_what_is_missing(chart: Any) -> None:
    with pytest.raises(helm.HelmError) as raised:
        chart.render({}, name=RELEASE, namespace="followthrough")
    assert "is required" in str(raised.value)


@pytest.mark.parametrize("ci_file", CI_VALUES, ids=lambda p: p.name)
def test_ci_values_render_web_worker_and_scheduler(chart: Any, ci_file: Path) -> None:
    objects = render(chart, ci_values(ci_file.name))
    for component in ("web", "worker", "scheduler"):
        args = container(objects, component)["args"]
        assert container(objects, component)["command"] == ["followthrough"]
        assert args[0] == component
    assert f"Service/{RELEASE}-followthrough-web" in objects
    assert f"ConfigMap/{RELEASE}-followthrough" in objects
    assert "port-forward" in objects["NOTES"]


def test_web_is_probed_on_healthz_and_readyz_at_its_port(chart: Any) -> None:
    objects = render(chart, ci_values("redis-values.yaml"))
    web = container(objects, "web")
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    service = objects[f"Service/{RELEASE}-followthrough-web"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_workers_scale_and_stop_gracefully(chart: Any) -> None:
    values = ci_values("rabbitmq-values.yaml")
    deployment = render(chart, values)[f"Deployment/{RELEASE}-followthrough-worker"]
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == values["worker"]["replicas"]
    assert pod["terminationGracePeriodSeconds"] == values["worker"]["terminationGracePeriodSeconds"]
    assert pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"


def test_a_standby_scheduler_is_allowed(chart: Any) -> None:
    objects = render(chart, ci_values("redis-values.yaml"))
    assert objects[f"Deployment/{RELEASE}-followthrough-scheduler"]["spec"]["replicas"] == 2
    assert "the other stands by" in objects["NOTES"]


def test_rendered_settings_are_accepted_by_the_service(chart: Any) -> None:
    from service.settings import ENV_PREFIX, Settings

    for ci_file in ("redis-values.yaml", "rabbitmq-values.yaml"):
        objects = render(chart, ci_values(ci_file))
        environment = dict(objects[f"ConfigMap/{RELEASE}-followthrough"]["data"])
        secret = objects[f"Secret/{RELEASE}-followthrough"]["data"]
        for variable in container(objects, "worker")["env"]:
            ref = variable["valueFrom"]["secretKeyRef"]
            if ref["key"] in secret:
                environment[variable["name"]] = base64.b64decode(secret[ref["key"]]).decode()
        fields = {name.removeprefix(ENV_PREFIX).lower(): v for name, v in environment.items()}
        settings = Settings(**fields)
        assert settings.broker_url.split(":")[0] in ("redis", "amqp")
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert settings.http_host == "0.0.0.0"


def test_pods_roll_when_a_setting_changes_and_only_then(chart: Any) -> None:
    values = ci_values("redis-values.yaml")
    changed = copy.deepcopy(values)
    changed["settings"]["senderName"] = "Someone Else"

    def checksums(v: dict[str, Any]) -> dict[str, str]:
        pod = render(chart, v)[f"Deployment/{RELEASE}-followthrough-worker"]["spec"]["template"]
        return pod["metadata"]["annotations"]

    assert checksums(values) == checksums(copy.deepcopy(values))
    assert checksums(values)["checksum/config"] != checksums(changed)["checksum/config"]
    assert checksums(values)["checksum/secret"] == checksums(changed)["checksum/secret"]


def test_an_existing_secret_replaces_the_rendered_one(chart: Any) -> None:
    values = ci_values("existing-secret-values.yaml")
    objects = render(chart, values)
    assert not [key for key in objects if key.startswith("Secret/")]
    secret_name = values["secrets"]["existingSecret"]
    web = container(objects, "web")
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in web["env"]}
    assert refs["FOLLOWTHROUGH_DATABASE_URL"] == {"name": secret_name, "key": "DATABASE_URL"}
    pod = objects[f"Deployment/{RELEASE}-followthrough-web"]["spec"]["template"]["spec"]
    credentials = next(v for v in pod["volumes"] if v["name"] == "google-credentials-secret")
    assert credentials["secret"]["secretName"] == secret_name
    assert pod["serviceAccountName"] == values["serviceAccount"]["name"]


def test_the_accounts_encryption_key_reaches_every_process_from_the_secret(chart: Any) -> None:
    # Given an operator who hands the key over in the chart's values
    key = "x" * 43 + "="
    values = ci_values("redis-values.yaml")
    values["secrets"]["encryptionKey"] = key

    # Then the Secret holds it and web, worker and scheduler read it from there
    objects = render(chart, values)
    secret = objects[f"Secret/{RELEASE}-followthrough"]
    assert base64.b64decode(secret["data"]["encryption-key"]).decode() == key
    for component in ("web", "worker", "scheduler"):
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"] for e in container(objects, component)["env"]
        }
        assert refs["FOLLOWTHROUGH_ENCRYPTION_KEY"]["key"] == "encryption-key"
    assert key not in str(objects[f"ConfigMap/{RELEASE}-followthrough"])
    # and without one the notes say only the default account is served
    assert (
        "only the default account is served"
        in render(chart, ci_values("redis-values.yaml"))["NOTES"]
    )


def test_google_credentials_are_a_writable_in_memory_copy_of_the_secret(chart: Any) -> None:
    # The service saves refreshed tokens into the file, which a Secret mount refuses.
    values = ci_values("redis-values.yaml")
    objects = render(chart, values)
    pod = objects[f"Deployment/{RELEASE}-followthrough-worker"]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    setting = objects[f"ConfigMap/{RELEASE}-followthrough"]["data"][
        "FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE"
    ]
    mounts = {m["name"]: m for m in container(objects, "worker")["volumeMounts"]}
    copy_step = pod["initContainers"][0]
    assert volumes["google-credentials"]["emptyDir"]["medium"] == "Memory"
    assert "readOnly" not in mounts["google-credentials"]
    assert setting == f"{mounts['google-credentials']['mountPath']}/google-credentials.json"
    assert "google-credentials-secret" not in mounts
    assert copy_step["command"][0] == "cp" and copy_step["command"][-1] == setting
    assert volumes["google-credentials-secret"]["secret"]["items"][0]["key"] == (
        values.get("secrets", {})
        .get("keys", {})
        .get("googleCredentials", "google-credentials.json")
    )


def test_the_ingress_routes_only_webhooks_over_tls(chart: Any) -> None:
    objects = render(chart, ci_values("redis-values.yaml"))
    ingress = objects[f"Ingress/{RELEASE}-followthrough"]
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in paths] == ["/webhooks"]
    assert ingress["spec"]["tls"][0]["secretName"] == "followthrough-ci-tls"
    assert not [k for k in render(chart, ci_values("rabbitmq-values.yaml")) if "Ingress/" in k]


def test_notes_warn_when_the_public_url_is_not_https(chart: Any) -> None:
    values = ci_values("redis-values.yaml")
    values["settings"]["publicUrl"] = "http://followthrough.ci.example.com"
    assert "WARNING: settings.publicUrl is not https" in render(chart, values)["NOTES"]


def test_the_schema_is_enforced_by_helm(chart: Any) -> None:
    values = ci_values("redis-values.yaml")
    values["worker"]["replica"] = 3
    with pytest.raises(helm.HelmError):
        chart.validate_schema(values)


@pytest.mark.parametrize("component", ["web", "worker", "scheduler"])
def test_pods_run_unprivileged_on_a_read_only_root(chart: Any, component: str) -> None:
    objects = render(chart, ci_values("redis-values.yaml"))
    pod = objects[f"Deployment/{RELEASE}-followthrough-{component}"]["spec"]["template"]["spec"]
    security = container(objects, component)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container(objects, component)["volumeMounts"]


def test_workers_autoscale_between_bounds_when_asked(chart: Any) -> None:
    values = ci_values("redis-values.yaml")
    assert not [k for k in render(chart, values) if k.startswith("HorizontalPodAutoscaler/")]
    values["worker"]["autoscaling"] = {
        "enabled": True, "minReplicas": 3, "maxReplicas": 12, "targetCPUUtilizationPercentage": 60
    }  # fmt: skip

    objects = render(chart, values)

    hpa = objects[f"HorizontalPodAutoscaler/{RELEASE}-followthrough-worker"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": f"{RELEASE}-followthrough-worker"
    }  # fmt: skip
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    # the Deployment leaves its replica count to the autoscaler, and the notes say so
    assert "replicas" not in objects[f"Deployment/{RELEASE}-followthrough-worker"]["spec"]
    assert "3 to 12 pods (autoscaled on CPU)" in objects["NOTES"]


def test_the_encryption_key_from_a_secret_of_its_own_is_a_mounted_file(
    chart: Any, tmp_path: Path
) -> None:
    # Given whoever keeps the key handed it over in a Secret of its own
    values = ci_values("redis-values.yaml")
    values["secrets"]["encryptionKeySecret"] = {
        "name": "followthrough-key", "key": "fernet", "mountDir": "/var/run/secrets/key"
    }  # fmt: skip

    objects = render(chart, values)

    # Then every process reads it from that Secret, mounted read-only, through the file setting
    for component in ("web", "worker", "scheduler"):
        env = {e["name"]: e for e in container(objects, component)["env"]}
        assert env["FOLLOWTHROUGH_ENCRYPTION_KEY_FILE"]["value"] == "/var/run/secrets/key/fernet"
        assert "FOLLOWTHROUGH_ENCRYPTION_KEY" not in env
        mounts = {m["name"]: m for m in container(objects, component)["volumeMounts"]}
        assert mounts["encryption-key"] == {
            "name": "encryption-key", "mountPath": "/var/run/secrets/key", "readOnly": True
        }  # fmt: skip
        pod = objects[f"Deployment/{RELEASE}-followthrough-{component}"]["spec"]["template"]
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        assert volumes["encryption-key"]["secret"]["secretName"] == "followthrough-key"
        assert volumes["encryption-key"]["secret"]["items"] == [{"key": "fernet", "path": "fernet"}]
    assert 'read from the Secret "followthrough-key"' in objects["NOTES"]
    assert "only the default account is served" not in objects["NOTES"]
    # and the service takes such a file as its key
    from cryptography.fernet import Fernet

    from service.settings import Settings

    key = Fernet.generate_key().decode()
    (tmp_path / "fernet").write_text(key + "\n")
    assert Settings(encryption_key_file=tmp_path / "fernet").encryption_keys() == [key]


def test_notes_say_how_to_add_and_remove_accounts(chart: Any) -> None:
    notes = render(chart, ci_values("redis-values.yaml"))["NOTES"]
    worker = f"deploy/{RELEASE}-followthrough-worker"
    assert f"exec -i {worker} -- followthrough accounts add alice" in notes
    assert "accounts remove alice" in notes and "page-link" in notes
