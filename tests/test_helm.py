"""The Helm chart (helm/aim-migrate), rendered and linted by real Helm, offline.

helm-python-sdk runs Helm v4's own chart loader, values schema check, template engine and
linter in-process; kubernetes-validate checks every rendered object against the Kubernetes
OpenAPI schema in strict mode (unknown fields are errors). No cluster is involved.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm  # real Helm v4, bundled as a library
import kubernetes_validate
import pytest
import yaml
from packaging.version import Version

CHART = Path(__file__).resolve().parents[1] / "helm" / "aim-migrate"
# The newest Kubernetes minor that kubernetes-validate ships schemas for (pinned, so a new
# release of the package does not silently change what is checked).
KUBE_VERSION = "1.37.0"
RELEASE = "backend"
NAMESPACE = "prod"
FULLNAME = "backend-aim-migrate"  # "<release>-<chart>"
PASSWORD = "Tr0ub4dor-and-3"
DATABASE_URL = f"postgresql://migrator:{PASSWORD}@db.prod.svc:5432/aim?sslmode=verify-full"
PUSH_PASSWORD = "push-Secret-42"

STANDARD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)

# Value sets rendered by the parametrized tests. "defaults" is the documented minimal install:
# no values at all (the database URL then comes from the Secret "<fullname>-database").
SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "existing-secret": {"database": {"existingSecret": {"name": "aim-db", "key": "url"}}},
    "chart-secret": {"database": {"url": DATABASE_URL}},
    "init-container": {
        "database": {"url": DATABASE_URL},
        "initContainer": {"command": "migrate"},
        "exampleDeployment": {"enabled": True, "replicas": 2},
    },
    # The zero-downtime default: the init container only waits for the pre-deploy migrations.
    "init-wait": {
        "database": {"url": DATABASE_URL},
        "initContainer": {"waitTimeout": "15m"},
        "job": {"hookWeight": 5},
        "exampleDeployment": {"enabled": True, "replicas": 3},
    },
    "post-deploy-disabled": {"postDeploy": {"enabled": False}},
    "metrics": {
        "metrics": {
            "pushgatewayUrl": "http://pushgateway.monitoring.svc:9091",
            "job": "aim-migrate-prod",
            "extraGroupingLabels": {"team": "data", "cluster": "eu-1"},
            "username": "pusher",
            "passwordSecret": {"name": "pushgateway-auth", "key": "password"},
            "timeout": "10s",
            "required": True,
        }
    },
    "migrations-configmap": {"migrations": {"configMap": "aim-migrations"}},
    "service-account": {
        "serviceAccount": {
            "create": True,
            "annotations": {"iam.gke.io/gcp-service-account": "migrate@p.iam.gserviceaccount.com"},
        }
    },
    "kitchen-sink": {
        "fullnameOverride": "db-migrate",
        "commonLabels": {"team": "platform"},
        "image": {
            "repository": "registry.example.com/aim/aim-migrate",
            "tag": "0.1.0",
            "digest": "sha256:" + "ab" * 32,
            "pullPolicy": "Always",
        },
        "imagePullSecrets": [{"name": "regcred"}],
        "database": {"url": DATABASE_URL, "mountAsFile": True},
        "config": {
            "schema": "aim",
            "historyTable": "aim_history",
            "sentinelTable": "users",
            "baselineVersion": "30",
            "logFormat": "console",
            "logLevel": "debug",
            "applicationName": "aim-migrate-prod",
            "statementTimeout": "0",
            "strict": True,
        },
        "job": {"hookWeight": "-5", "backoffLimit": 1, "ttlSecondsAfterFinished": None},
        "serviceAccount": {"create": True, "name": "migrator"},
        "podAnnotations": {"sidecar.istio.io/inject": "false"},
        "podLabels": {"tier": "db"},
        "tmpVolume": {"medium": "Memory", "sizeLimit": "32Mi"},
        "extraEnv": [{"name": "PGSSLROOTCERT", "value": "/etc/ssl/db/ca.crt"}],
        "extraEnvFrom": [{"configMapRef": {"name": "aim-extra"}}],
        "extraVolumes": [{"name": "db-ca", "secret": {"secretName": "db-ca"}}],
        "extraVolumeMounts": [{"name": "db-ca", "mountPath": "/etc/ssl/db", "readOnly": True}],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db"}],
        "priorityClassName": "high",
        "migrations": {"configMap": "aim-migrations"},
        "exampleDeployment": {"enabled": True},
    },
    "job-disabled": {
        "job": {"enabled": False},
        "initContainer": {"command": "migrate"},
        "database": {"url": DATABASE_URL},
        "exampleDeployment": {"enabled": True},
    },
}


# --------------------------------------------------------------------------- helpers


@functools.cache
def _chart() -> Any:
    return helm.Chart.load(CHART)


@functools.cache
def _render_json(values_json: str, name: str, namespace: str) -> str:
    rendered = _chart().render(values=json.loads(values_json), name=name, namespace=namespace)
    return json.dumps(rendered)


def render_files(
    values: dict[str, Any] | None = None, *, name: str = RELEASE, namespace: str = NAMESPACE
) -> dict[str, str]:
    """Template path -> rendered text, as `helm template` would produce (cached)."""
    payload = json.dumps(values or {}, sort_keys=True)
    rendered: dict[str, str] = json.loads(_render_json(payload, name, namespace))
    return rendered


def render(values: dict[str, Any] | None = None, **kwargs: str) -> list[dict[str, Any]]:
    """Every Kubernetes object the chart renders (NOTES.txt excluded)."""
    docs: list[dict[str, Any]] = []
    for path, text in sorted(render_files(values, **kwargs).items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def notes(values: dict[str, Any] | None = None) -> str:
    files = render_files(values)
    return next(text for path, text in files.items() if path.endswith("NOTES.txt"))


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = of_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(object, pod template) of every workload."""
    for doc in docs:
        if doc["kind"] in ("Job", "Deployment"):
            yield doc, doc["spec"]["template"]


def runner_containers(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict]]:
    """(pod spec, container) of every aim-migrate container: the Job's and the init ones."""
    for _, template in pod_specs(docs):
        spec = template["spec"]
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            if container["name"] == "aim-migrate":
                yield spec, container


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    env = container.get("env", [])
    names = [item["name"] for item in env]
    assert len(names) == len(set(names)), f"duplicate env vars: {names}"
    return {item["name"]: item for item in env}


def env_value(container: dict[str, Any], name: str) -> str:
    return str(env_of(container)[name]["value"])


PRE_HOOK = "pre-install,pre-upgrade"
POST_HOOK = "post-install,post-upgrade"


def hook_job(docs: list[dict[str, Any]], hook: str) -> dict[str, Any]:
    found = [
        job
        for job in of_kind(docs, "Job")
        if job["metadata"]["annotations"]["helm.sh/hook"] == hook
    ]
    assert len(found) == 1, f"expected one {hook} Job, got {len(found)}"
    return found[0]


def pre_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The pre-install/pre-upgrade Job (pre-deploy migrations)."""
    return hook_job(docs, PRE_HOOK)


def post_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The post-install/post-upgrade Job (post-deploy migrations)."""
    return hook_job(docs, POST_HOOK)


def job_container(docs: list[dict[str, Any]], job: dict[str, Any] | None = None) -> dict[str, Any]:
    """The runner container of `job` (default: the pre-deploy Job)."""
    containers = (job or pre_job(docs))["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def init_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (init,) = one(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"]
    return dict(init)


def lint_findings(values: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """Lint messages at warning level or above (1 is info, 2 warning, 3 error)."""
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE, **options)
    assert report["total_charts_linted"] == 1
    return [msg for msg in report["messages"] if msg["severity"] >= 2] + [
        {"severity": 3, "path": "", "error": err} for err in report["errors"]
    ]


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_strings(value)
    elif node is not None:
        yield str(node)


def walk_env(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for _, template in pod_specs(docs):
        spec = template["spec"]
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            yield from container.get("env", [])


# --------------------------------------------------------------------------- every scenario


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_lint_is_clean(scenario: str) -> None:
    assert lint_findings(SCENARIOS[scenario]) == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_manifest_validates_strictly(scenario: str) -> None:
    docs = render(SCENARIOS[scenario])
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_standard_labels_and_namespace(scenario: str) -> None:
    values = SCENARIOS[scenario]
    for doc in render(values):
        metadata = doc["metadata"]
        assert metadata["namespace"] == NAMESPACE
        label_sets = [metadata["labels"]]
        if doc["kind"] in ("Job", "Deployment"):
            label_sets.append(doc["spec"]["template"]["metadata"]["labels"])
        for labels in label_sets:
            assert set(STANDARD_LABELS) <= set(labels), doc["kind"]
            assert labels["app.kubernetes.io/name"] == "aim-migrate"
            assert labels["app.kubernetes.io/instance"] == RELEASE
            assert labels["app.kubernetes.io/version"] == "0.1.0"
            assert labels["app.kubernetes.io/part-of"] == "aim"
            assert labels["app.kubernetes.io/managed-by"] == "Helm"
            assert labels["helm.sh/chart"] == "aim-migrate-0.1.0"
            expected = "backend" if doc["kind"] == "Deployment" else "migration"
            assert labels["app.kubernetes.io/component"] == expected
        if doc["kind"] == "Deployment":
            selector = doc["spec"]["selector"]["matchLabels"]
            assert selector.items() <= doc["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_runner_is_locked_down(scenario: str) -> None:
    docs = render(SCENARIOS[scenario])
    runners = list(runner_containers(docs))
    assert runners
    for pod, container in runners:
        pod_context = pod["securityContext"]
        assert pod_context["runAsNonRoot"] is True
        assert pod_context["runAsUser"] == pod_context["runAsGroup"] == 10001
        assert pod_context["fsGroup"] == 10001
        assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        # Repeated on the container so the init container is safe in any backend pod.
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == 10001
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        assert set(mounts.values()) <= set(volumes)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_database_url_only_from_a_secret(scenario: str) -> None:
    values = SCENARIOS[scenario]
    docs = render(values)
    secrets = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "Secret")}
    for _, container in runner_containers(docs):
        env = env_of(container)
        if values.get("database", {}).get("mountAsFile"):
            assert "DATABASE_URL" not in env
            assert env["DATABASE_URL_FILE"]["value"].startswith("/")
            continue
        assert "DATABASE_URL_FILE" not in env
        source = env["DATABASE_URL"]
        assert "value" not in source
        ref = source["valueFrom"]["secretKeyRef"]
        if "url" in values.get("database", {}):
            # The chart's own Secret, which really holds the URL.
            data = secrets[ref["name"]]["data"][ref["key"]]
            assert base64.b64decode(data).decode() == DATABASE_URL
        else:
            existing = values.get("database", {}).get("existingSecret", {})
            assert ref["name"] == existing.get("name", f"{FULLNAME}-database")
            assert ref["key"] == existing.get("key", "DATABASE_URL")
            assert not secrets
    # No literal value anywhere carries a password, and no ConfigMap holds one.
    for item in walk_env(docs):
        assert PASSWORD not in str(item.get("value", ""))
        assert PUSH_PASSWORD not in str(item.get("value", ""))
    for doc in docs:  # the chart's Secret holds it base64-encoded only
        assert not any(PASSWORD in text for text in walk_strings(doc))
    assert of_kind(docs, "ConfigMap") == []
    assert PASSWORD not in notes(values)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_hook_ordering(scenario: str) -> None:
    docs = render(SCENARIOS[scenario])
    jobs = of_kind(docs, "Job")
    prerequisites = of_kind(docs, "Secret") + of_kind(docs, "ServiceAccount")
    for doc in prerequisites:
        annotations = doc["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        # Kept after the hook, so init containers in the backend's pods can use them.
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
        for job in jobs:
            job_weight = int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
            assert int(annotations["helm.sh/hook-weight"]) < job_weight
    # Everything else is an ordinary release resource.
    for doc in docs:
        if doc not in prerequisites and doc not in jobs:
            assert "helm.sh/hook" not in doc["metadata"].get("annotations", {})


# --------------------------------------------------------------------------- specific cases


def test_defaults_render_the_hook_job() -> None:
    docs = render()
    assert [doc["kind"] for doc in docs] == ["Job", "Job"]  # pre-deploy, then post-deploy
    job = pre_job(docs)
    assert job["metadata"]["name"] == FULLNAME
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-weight"] == "0"
    # Failed Jobs stay for inspection; a successful one is removed.
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    spec = job["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 900
    assert spec["ttlSecondsAfterFinished"] == 86400
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "default"
    container = job_container(docs)
    assert container["image"] == "aim-migrate:0.1.0"
    assert container["args"] == ["migrate"]
    assert "command" not in container  # the image's ENTRYPOINT runs
    env = env_of(container)
    assert env_value(container, "AIM_LOG_FORMAT") == "json"
    assert env_value(container, "AIM_LOG_LEVEL") == "info"
    assert env_value(container, "AIM_LOCK_TIMEOUT") == "5m"
    assert env_value(container, "AIM_CONNECT_TIMEOUT") == "60s"
    assert env_value(container, "AIM_DDL_LOCK_TIMEOUT") == "5s"
    assert env_value(container, "AIM_DDL_LOCK_RETRIES") == "3"
    assert env_value(container, "AIM_STATEMENT_TIMEOUT") == "10m"
    # Unset settings leave the runner's (and the image's) defaults alone.
    for name in ("AIM_MIGRATIONS_DIR", "AIM_SCHEMA", "AIM_BASELINE_VERSION", "AIM_PUSHGATEWAY_URL"):
        assert name not in env
    assert all(item["value"] != "" for item in env.values() if "value" in item)


def test_kubernetes_version_is_shipped_by_kubernetes_validate() -> None:
    assert Version(kubernetes_validate.latest_version()) >= Version(KUBE_VERSION)
    probe = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "bogus": 1}
    with pytest.raises(kubernetes_validate.ValidationError):  # strict: unknown fields fail
        kubernetes_validate.validate(probe, KUBE_VERSION, strict=True)


def test_chart_metadata() -> None:
    metadata = _chart().metadata
    assert metadata["apiVersion"] == "v2"
    assert metadata["name"] == "aim-migrate"
    assert metadata["type"] == "application"
    assert metadata["version"] == "0.1.0"
    assert metadata["appVersion"] == "0.1.0"
    assert _chart().schema is not None


def test_config_values_become_aim_variables() -> None:
    docs = render(SCENARIOS["kitchen-sink"])
    container = job_container(docs)
    expected = {
        "AIM_SCHEMA": "aim",
        "AIM_HISTORY_TABLE": "aim_history",
        "AIM_SENTINEL_TABLE": "users",
        "AIM_BASELINE_VERSION": "30",
        "AIM_LOG_FORMAT": "console",
        "AIM_LOG_LEVEL": "debug",
        "AIM_APPLICATION_NAME": "aim-migrate-prod",
        "AIM_STATEMENT_TIMEOUT": "0",
        "AIM_STRICT": "true",
        "AIM_OUT_OF_ORDER": "false",
        "AIM_MIGRATIONS_DIR": "/migrations",
        "PGSSLROOTCERT": "/etc/ssl/db/ca.crt",
    }
    for name, value in expected.items():
        assert env_value(container, name) == value, name
    assert container["envFrom"] == [{"configMapRef": {"name": "aim-extra"}}]
    assert container["image"] == ("registry.example.com/aim/aim-migrate:0.1.0@sha256:" + "ab" * 32)
    assert container["imagePullPolicy"] == "Always"


def test_kitchen_sink_pod_settings() -> None:
    docs = render(SCENARIOS["kitchen-sink"])
    job = pre_job(docs)
    assert job["metadata"]["name"] == "db-migrate"
    assert job["metadata"]["labels"]["team"] == "platform"
    assert job["metadata"]["annotations"]["helm.sh/hook-weight"] == "-5"
    assert job["spec"]["backoffLimit"] == 1
    assert "ttlSecondsAfterFinished" not in job["spec"]
    template = job["spec"]["template"]
    assert template["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    assert template["metadata"]["labels"]["tier"] == "db"
    pod = template["spec"]
    assert pod["serviceAccountName"] == "migrator"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert pod["priorityClassName"] == "high"
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["aim-migrate-tmp"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "32Mi"}
    assert volumes["db-ca"] == {"name": "db-ca", "secret": {"secretName": "db-ca"}}
    assert {secret["metadata"]["name"] for secret in of_kind(docs, "Secret")} == {
        "db-migrate-database"
    }
    for secret in of_kind(docs, "Secret") + of_kind(docs, "ServiceAccount"):
        assert secret["metadata"]["annotations"]["helm.sh/hook-weight"] == "-15"


def test_database_url_as_a_mounted_file() -> None:
    docs = render(SCENARIOS["kitchen-sink"])
    container = job_container(docs)
    path = env_value(container, "DATABASE_URL_FILE")
    pod = pre_job(docs)["spec"]["template"]["spec"]
    mount = next(m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
    assert mount["readOnly"] is True
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    secret = volume["secret"]
    assert secret["secretName"] == "db-migrate-database"
    assert secret["items"] == [{"key": "DATABASE_URL", "path": path.rsplit("/", 1)[1]}]


def test_existing_secret_is_referenced_not_created() -> None:
    docs = render(SCENARIOS["existing-secret"])
    assert of_kind(docs, "Secret") == []
    ref = env_of(job_container(docs))["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "aim-db", "key": "url"}
    assert 'Secret "aim-db", key "url"' in notes(SCENARIOS["existing-secret"])


def test_chart_made_secret_is_an_early_persistent_hook() -> None:
    docs = render(SCENARIOS["chart-secret"])
    secret = one(docs, "Secret")
    assert secret["metadata"]["name"] == f"{FULLNAME}-database"
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["DATABASE_URL"]).decode() == DATABASE_URL
    assert secret["metadata"]["annotations"] == {
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-weight": "-10",
        "helm.sh/hook-delete-policy": "before-hook-creation",
    }


def test_prerequisites_follow_a_custom_job_weight() -> None:
    docs = render({"database": {"url": DATABASE_URL}, "job": {"hookWeight": -20}})
    assert pre_job(docs)["metadata"]["annotations"]["helm.sh/hook-weight"] == "-20"
    assert one(docs, "Secret")["metadata"]["annotations"]["helm.sh/hook-weight"] == "-30"


def test_service_account_is_a_hook_used_by_the_job() -> None:
    docs = render(SCENARIOS["service-account"])
    account = one(docs, "ServiceAccount")
    assert account["metadata"]["name"] == FULLNAME
    assert account["automountServiceAccountToken"] is False
    annotations = account["metadata"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"] == "migrate@p.iam.gserviceaccount.com"
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-weight"] == "-10"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    pod = pre_job(docs)["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == FULLNAME


def test_metrics_settings_and_grouping() -> None:
    docs = render(SCENARIOS["metrics"])
    container = job_container(docs)
    env = env_of(container)
    assert env_value(container, "AIM_PUSHGATEWAY_URL") == "http://pushgateway.monitoring.svc:9091"
    assert env_value(container, "AIM_PUSHGATEWAY_JOB") == "aim-migrate-prod"
    assert env_value(container, "AIM_PUSHGATEWAY_USERNAME") == "pusher"
    assert env_value(container, "AIM_PUSHGATEWAY_TIMEOUT") == "10s"
    assert env_value(container, "AIM_METRICS_REQUIRED") == "true"
    grouping = dict(
        pair.split("=", 1) for pair in env_value(container, "AIM_PUSHGATEWAY_GROUPING").split(",")
    )
    assert grouping == {
        "namespace": NAMESPACE,
        "release": RELEASE,
        "team": "data",
        "cluster": "eu-1",
    }
    password = env["AIM_PUSHGATEWAY_PASSWORD"]
    assert "value" not in password
    assert password["valueFrom"]["secretKeyRef"] == {"name": "pushgateway-auth", "key": "password"}


def test_grouping_follows_the_release() -> None:
    values = {"metrics": {"pushgatewayUrl": "http://pgw:9091"}}
    container = job_container(render(values, name="other", namespace="staging"))
    assert env_value(container, "AIM_PUSHGATEWAY_GROUPING") == "namespace=staging,release=other"
    assert env_value(container, "AIM_METRICS_REQUIRED") == "false"
    assert "AIM_PUSHGATEWAY_PASSWORD" not in env_of(container)


def test_migrations_from_a_configmap() -> None:
    docs = render(SCENARIOS["migrations-configmap"])
    container = job_container(docs)
    assert env_value(container, "AIM_MIGRATIONS_DIR") == "/migrations"
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/migrations")
    assert mount["readOnly"] is True
    pod = pre_job(docs)["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"] == {"name": "aim-migrations"}


def test_init_container_matches_the_job() -> None:
    docs = render(SCENARIOS["init-container"])
    deployment = one(docs, "Deployment")
    assert deployment["metadata"]["name"] == f"{FULLNAME}-example-backend"
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    job = job_container(docs)
    assert init["image"] == job["image"]
    assert init["env"] == job["env"]
    assert init == job  # the very same container spec, mounts and securityContext included
    job_volumes = pre_job(docs)["spec"]["template"]["spec"]["volumes"]
    assert all(volume in pod["volumes"] for volume in job_volumes)
    (backend,) = pod["containers"]
    assert backend["name"] == "backend"
    assert backend["env"][0]["valueFrom"] == init["env"][0]["valueFrom"]


def test_job_can_be_disabled_for_init_container_mode() -> None:
    docs = render(SCENARIOS["job-disabled"])
    # No pre-deploy Job; the post-deploy Job still applies what the init containers must not.
    assert [job["metadata"]["name"] for job in of_kind(docs, "Job")] == [f"{FULLNAME}-post-deploy"]
    assert env_value(job_container(docs, post_job(docs)), "AIM_PHASE") == "all"
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"]
    # The chart-made Secret still exists before the Deployment (a hook) and is kept.
    annotations = one(docs, "Secret")["metadata"]["annotations"]
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert "job.enabled=false" in notes(SCENARIOS["job-disabled"])


def test_notes_explain_how_to_inspect_a_failure() -> None:
    text = notes()
    assert f"kubectl -n {NAMESPACE} logs job/{FULLNAME}" in text
    assert f'Secret "{FULLNAME}-database"' in text


def test_long_release_names_stay_valid() -> None:
    name = "a-very-long-release-name-that-is-close-to-the-helm-limit-xx"[:53]
    docs = render(SCENARIOS["kitchen-sink"] | {"fullnameOverride": ""}, name=name)
    for doc in docs:
        assert len(doc["metadata"]["name"]) <= 63
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def test_parent_chart_can_include_the_init_container(tmp_path: Path) -> None:
    """A backend chart with aim-migrate as a dependency uses the named templates."""
    parent = tmp_path / "backend"
    shutil.copytree(CHART, parent / "charts" / "aim-migrate")
    (parent / "templates").mkdir()
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: backend\nversion: 1.2.3\nappVersion: '9.9.9'\n"
        "dependencies:\n  - name: aim-migrate\n    version: 0.1.0\n"
    )
    (parent / "values.yaml").write_text(
        "aim-migrate:\n  job:\n    enabled: false\n"
        "  initContainer:\n    command: migrate\n"
        "  database:\n    existingSecret:\n      name: backend-db\n"
    )
    (parent / "templates" / "deployment.yaml").write_text(
        """\
{{- $migrate := index .Subcharts "aim-migrate" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-backend
spec:
  selector:
    matchLabels: {app: backend}
  template:
    metadata:
      labels: {app: backend}
    spec:
      initContainers:
        - {{ include "aim-migrate.initContainer" $migrate | nindent 10 | trim }}
      containers:
        - name: backend
          image: "backend:{{ .Chart.AppVersion }}"
      volumes:
        {{- include "aim-migrate.volumes" $migrate | nindent 8 }}
"""
    )
    with helm.Chart.load(parent) as chart:
        files = chart.render(name="shop", namespace=NAMESPACE)
    docs = [
        doc
        for path, text in files.items()
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]
    # Only the subchart's post-deploy Job (job.enabled=false drops the pre-deploy one).
    assert [job["metadata"]["name"] for job in of_kind(docs, "Job")] == [
        "shop-aim-migrate-post-deploy"
    ]
    deployment = one(docs, "Deployment")
    kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)
    (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
    assert init["image"] == "aim-migrate:0.1.0"  # the subchart's appVersion, not the parent's
    ref = env_of(init)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "backend-db", "key": "DATABASE_URL"}


# --------------------------------------------------------------------------- zero-downtime rollouts

READ_ONLY = {
    "initContainer": {"database": {"existingSecret": {"name": "aim-db-wait", "key": "url"}}}
}


def _without_phase(container: dict[str, Any]) -> dict[str, Any]:
    return container | {"env": [item for item in container["env"] if item["name"] != "AIM_PHASE"]}


@pytest.mark.parametrize("scenario", ["defaults", "kitchen-sink", "metrics", "init-wait"])
def test_pre_and_post_deploy_jobs(scenario: str) -> None:
    """Two hook Jobs from one template: only the name, the hook and AIM_PHASE differ."""
    docs = render(SCENARIOS[scenario])
    pre, post = pre_job(docs), post_job(docs)
    assert len(of_kind(docs, "Job")) == 2
    prefix = pre["metadata"]["name"]
    assert post["metadata"]["name"] == f"{prefix}-post-deploy"
    for job, hook in ((pre, PRE_HOOK), (post, POST_HOOK)):
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == hook
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    assert (
        pre["metadata"]["annotations"]["helm.sh/hook-weight"]
        == post["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    pre_container, post_container = job_container(docs, pre), job_container(docs, post)
    assert env_value(pre_container, "AIM_PHASE") == "pre-deploy"
    assert env_value(post_container, "AIM_PHASE") == "all"
    assert pre_container["args"] == post_container["args"] == ["migrate"]
    assert "AIM_WAIT_TIMEOUT" not in env_of(pre_container)
    assert "AIM_WAIT_TIMEOUT" not in env_of(post_container)
    assert _without_phase(pre_container) == _without_phase(post_container)
    # Same pod spec, labels, settings and volumes otherwise.
    pre_pod, post_pod = copy.deepcopy(pre["spec"]), copy.deepcopy(post["spec"])
    for pod in (pre_pod, post_pod):
        pod["template"]["spec"]["containers"] = []
    assert pre_pod == post_pod
    assert pre["metadata"]["labels"] == post["metadata"]["labels"]


def test_job_settings_apply_to_both_jobs() -> None:
    values = {
        "job": {
            "hookWeight": -3,
            "activeDeadlineSeconds": 3600,
            "annotations": {"team": "db", "helm.sh/hook": "test"},  # the hook cannot be overridden
        }
    }
    docs = render(values)
    for job, hook in ((pre_job(docs), PRE_HOOK), (post_job(docs), POST_HOOK)):
        assert job["metadata"]["annotations"] == {
            "helm.sh/hook": hook,
            "helm.sh/hook-weight": "-3",
            "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
            "team": "db",
        }
        assert job["spec"]["activeDeadlineSeconds"] == 3600


def test_post_deploy_job_can_be_disabled() -> None:
    values = SCENARIOS["post-deploy-disabled"]
    docs = render(values)
    assert [job["metadata"]["name"] for job in of_kind(docs, "Job")] == [FULLNAME]
    assert env_value(job_container(docs), "AIM_PHASE") == "pre-deploy"  # still pre-deploy only
    text = notes(values)
    assert "postDeploy.enabled=false" in text
    assert f"{FULLNAME}-post-deploy" not in text
    # Both Jobs off: nothing but the example Deployment.
    both_off = values | {"job": {"enabled": False}, "exampleDeployment": {"enabled": True}}
    assert [doc["kind"] for doc in render(both_off)] == ["Deployment"]


def test_post_deploy_job_name_stays_a_dns_label() -> None:
    name = "a-very-long-release-name-that-is-close-to-the-helm-limit-xx"[:53]
    job = post_job(render({}, name=name))
    assert len(job["metadata"]["name"]) <= 63
    assert job["metadata"]["name"].endswith("-post-deploy")


def test_init_container_waits_by_default() -> None:
    docs = render(SCENARIOS["init-wait"])
    init = init_container(docs)
    job = job_container(docs)
    assert init["args"] == ["wait"]
    assert "command" not in init  # the image's ENTRYPOINT, aim-migrate
    env = env_of(init)
    assert env_value(init, "AIM_WAIT_TIMEOUT") == "15m"
    assert "AIM_PHASE" not in env  # wait has no phase
    # The same database Secret as the Jobs when no read-only one is set.
    assert env["DATABASE_URL"] == env_of(job)["DATABASE_URL"]
    assert init["image"] == job["image"]
    assert init["securityContext"] == job["securityContext"]
    assert init["volumeMounts"] == job["volumeMounts"]
    # Otherwise the same configuration as the Job.
    same = {name: item for name, item in env_of(job).items() if name != "AIM_PHASE"}
    assert {name: item for name, item in env.items() if name != "AIM_WAIT_TIMEOUT"} == same
    text = notes(SCENARIOS["init-wait"])
    assert "aim-migrate wait" in text
    assert "(15m)" in text


def test_init_container_wait_timeout_defaults_and_can_be_left_to_the_runner() -> None:
    docs = render({"exampleDeployment": {"enabled": True}})
    init = init_container(docs)
    assert init["args"] == ["wait"]
    assert env_value(init, "AIM_WAIT_TIMEOUT") == "10m"
    for unset in ("", None):
        init = init_container(
            render(
                _with("initContainer.waitTimeout", unset, {"exampleDeployment": {"enabled": True}})
            )
        )
        assert "AIM_WAIT_TIMEOUT" not in env_of(init)


def test_init_container_can_still_migrate() -> None:
    values = {
        "exampleDeployment": {"enabled": True},
        "initContainer": {"command": "migrate", "waitTimeout": "1m"},
        "args": ["migrate", "--strict"],
    }
    docs = render(values)
    init = init_container(docs)
    assert init["args"] == ["migrate", "--strict"]
    assert env_value(init, "AIM_PHASE") == "pre-deploy"  # never the post-deploy migrations
    assert "AIM_WAIT_TIMEOUT" not in env_of(init)
    assert init == job_container(docs)
    assert "aim-migrate migrate" in notes(values)


def test_init_container_uses_its_read_only_secret() -> None:
    values = READ_ONLY | {"database": {"url": DATABASE_URL}, "exampleDeployment": {"enabled": True}}
    docs = render(values)
    ref = env_of(init_container(docs))["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "aim-db-wait", "key": "url"}
    # The Jobs (which need DDL rights) and the backend keep the chart's Secret.
    chart_ref = {"name": f"{FULLNAME}-database", "key": "DATABASE_URL"}
    for job in (pre_job(docs), post_job(docs)):
        assert (
            env_of(job_container(docs, job))["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
            == chart_ref
        )
    (backend,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert backend["env"][0]["valueFrom"]["secretKeyRef"] == chart_ref
    # The chart does not create the read-only Secret: it only references it.
    assert [secret["metadata"]["name"] for secret in of_kind(docs, "Secret")] == [
        f"{FULLNAME}-database"
    ]
    assert 'Secret "aim-db-wait", key "url"' in notes(values)
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
    assert lint_findings(values) == []


def test_init_container_read_only_secret_as_a_mounted_file() -> None:
    values = READ_ONLY | {"database": {"mountAsFile": True}, "exampleDeployment": {"enabled": True}}
    docs = render(values)

    def database_volume(pod: dict[str, Any]) -> dict[str, Any]:
        secret: dict[str, Any] = next(
            v for v in pod["volumes"] if v["name"] == "aim-migrate-database"
        )["secret"]
        return secret

    backend_pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert database_volume(backend_pod)["secretName"] == "aim-db-wait"
    assert database_volume(backend_pod)["items"] == [{"key": "url", "path": "url"}]
    for job in (pre_job(docs), post_job(docs)):
        volume = database_volume(job["spec"]["template"]["spec"])
        assert volume["secretName"] == f"{FULLNAME}-database"
        assert volume["items"] == [{"key": "DATABASE_URL", "path": "url"}]
    assert "DATABASE_URL" not in env_of(init_container(docs))
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def test_parent_chart_init_container_waits_with_its_own_secret(tmp_path: Path) -> None:
    """From a parent chart, "aim-migrate.initContainer" honours initContainer.* too."""
    values = {"initContainer": READ_ONLY["initContainer"] | {"waitTimeout": "2m"}}
    parent = tmp_path / "backend"
    shutil.copytree(CHART, parent / "charts" / "aim-migrate")
    (parent / "templates").mkdir()
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: backend\nversion: 1.2.3\n"
        "dependencies:\n  - name: aim-migrate\n    version: 0.1.0\n"
    )
    (parent / "values.yaml").write_text(yaml.safe_dump({"aim-migrate": values}))
    (parent / "templates" / "pod.yaml").write_text(
        """\
{{- $migrate := index .Subcharts "aim-migrate" }}
apiVersion: v1
kind: Pod
metadata:
  name: backend
spec:
  initContainers:
    - {{ include "aim-migrate.initContainer" $migrate | nindent 6 | trim }}
  containers:
    - name: backend
      image: backend:1
  volumes:
    {{- include "aim-migrate.volumes" $migrate | nindent 4 }}
"""
    )
    with helm.Chart.load(parent) as chart:
        files = chart.render(name="shop", namespace=NAMESPACE)
    pod = yaml.safe_load(files["backend/templates/pod.yaml"])
    kubernetes_validate.validate(pod, KUBE_VERSION, strict=True)
    (init,) = pod["spec"]["initContainers"]
    assert init["args"] == ["wait"]
    assert env_value(init, "AIM_WAIT_TIMEOUT") == "2m"
    assert env_of(init)["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "aim-db-wait",
        "key": "url",
    }
    # The subchart's own Jobs still use the migrator's Secret.
    docs = [
        doc
        for path, text in files.items()
        if path.startswith("backend/charts/aim-migrate/templates/") and path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]
    for job in (pre_job(docs), post_job(docs)):
        ref = env_of(job_container(docs, job))["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "shop-aim-migrate-database", "key": "DATABASE_URL"}


def test_notes_explain_the_two_moments_and_rollback() -> None:
    text = notes()
    assert f"kubectl -n {NAMESPACE} logs job/{FULLNAME}-post-deploy" in text
    assert "pre-install/pre-upgrade" in text
    assert "post-install/post-upgrade" in text
    assert "helm upgrade --wait" in text
    assert "helm rollback" in text
    assert "NOT undone" in text
    assert "aim-migrate wait" in text
    # Job disabled while the init containers only wait: the NOTES say nobody migrates.
    waiting = notes({"job": {"enabled": False}})
    assert "Nothing in this release applies the\npre-deploy migrations" in waiting
    assert "Nothing in this release" not in notes(SCENARIOS["job-disabled"])


# --------------------------------------------------------------------------- rejected values


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    values = copy.deepcopy(base or {})
    node = values
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return values


INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "log format": (_with("config.logFormat", "xml"), "logFormat"),
    "log level": (_with("config.logLevel", "trace"), "logLevel"),
    "negative backoffLimit": (_with("job.backoffLimit", -1), "backoffLimit"),
    "huge backoffLimit": (_with("job.backoffLimit", 50), "backoffLimit"),
    "string backoffLimit": (_with("job.backoffLimit", "0"), "backoffLimit"),
    "zero deadline": (_with("job.activeDeadlineSeconds", 0), "activeDeadlineSeconds"),
    "negative ttl": (_with("job.ttlSecondsAfterFinished", -1), "ttlSecondsAfterFinished"),
    "bad hook weight": (_with("job.hookWeight", "first"), "hookWeight"),
    "pull policy": (_with("image.pullPolicy", "Sometimes"), "pullPolicy"),
    "unknown top-level key": ({"replicaCount": 2}, "replicaCount"),
    "unknown config key": (_with("config.lockTimeOut", "5m"), "lockTimeOut"),
    "unknown job key": (_with("job.parallelism", 2), "parallelism"),
    "unknown database key": (_with("database.password", PASSWORD), "password"),
    "both database sources": (
        _with("database.existingSecret.name", "aim-db", {"database": {"url": DATABASE_URL}}),
        "existingSecret",
    ),
    "repository missing": (_with("image.repository", None), "repository"),
    "repository empty": (_with("image.repository", ""), "repository"),
    "duration with words": (_with("config.lockTimeout", "5 minutes"), "lockTimeout"),
    "negative retries": (_with("config.ddlLockRetries", -1), "ddlLockRetries"),
    "reserved grouping label": (
        _with("metrics.extraGroupingLabels", {"namespace": "x"}),
        "extraGroupingLabels",
    ),
    "grouping label name": (
        _with("metrics.extraGroupingLabels", {"bad-key": "x"}),
        "bad-key",
    ),
    "empty secret key": (_with("database.existingSecret.key", ""), "key"),
    "grouping value with comma": (
        _with("metrics.extraGroupingLabels", {"team": "a,b"}),
        "extraGroupingLabels",
    ),
    "metrics required without url": (_with("metrics.required", True), "pushgatewayUrl"),
    "password without username": (
        _with("metrics.passwordSecret", {"name": "pgw", "key": "password"}),
        "username",
    ),
    "configmap and migrationsDir": (
        _with("config.migrationsDir", "/app/migrations", {"migrations": {"configMap": "m"}}),
        "migrationsDir",
    ),
    "root pod": (_with("podSecurityContext.runAsNonRoot", False), "runAsNonRoot"),
    "privileged container": (_with("securityContext.privileged", True), "privileged"),
    "tmp medium": (_with("tmpVolume.medium", "HugePages"), "medium"),
    "annotation not a string": (_with("podAnnotations", {"a": 1}), "podAnnotations"),
    "extraEnv not a list": (_with("extraEnv", {"A": "b"}), "extraEnv"),
    "unknown init command": (_with("initContainer.command", "sleep"), "initContainer/command"),
    "init command not a string": (
        _with("initContainer.command", ["wait"]),
        "initContainer/command",
    ),
    "wait timeout with words": (
        _with("initContainer.waitTimeout", "10 minutes"),
        "initContainer/waitTimeout",
    ),
    "wait timeout as a number": (
        _with("initContainer.waitTimeout", 600),
        "initContainer/waitTimeout",
    ),
    "unknown initContainer key": (_with("initContainer.timeout", "1m"), "timeout"),
    "init secret name": (
        _with("initContainer.database.existingSecret.name", "Bad_Name"),
        "initContainer/database/existingSecret/name",
    ),
    "init secret empty key": (
        _with("initContainer.database.existingSecret", {"name": "ro", "key": ""}),
        "initContainer/database/existingSecret/key",
    ),
    "unknown init database key": (_with("initContainer.database.url", DATABASE_URL), "url"),
    "postDeploy not a boolean": (_with("postDeploy.enabled", "true"), "postDeploy/enabled"),
    "unknown postDeploy key": (_with("postDeploy.hookWeight", 5), "hookWeight"),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_values_are_rejected_at_render_time(case: str) -> None:
    values, where = INVALID[case]
    with pytest.raises(helm.HelmValuesError, match=r"schema") as caught:
        _chart().render(values=values, name=RELEASE, namespace=NAMESPACE)
    assert where in str(caught.value)


def test_lint_reports_invalid_values() -> None:
    findings = lint_findings(_with("config.logFormat", "xml"))
    assert any("logFormat" in finding["error"] for finding in findings)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"database": {"url": DATABASE_URL, "existingSecret": {"name": "aim-db"}}},
            "not both",
        ),
        (
            {"migrations": {"configMap": "m"}, "config": {"migrationsDir": "/app/migrations"}},
            "config.migrationsDir must be empty",
        ),
        (
            {"metrics": {"pushgatewayUrl": "http://pgw:9091", "passwordSecret": {"name": "p"}}},
            "needs metrics.username",
        ),
        ({"initContainer": {"command": "sleep"}}, "initContainer.command must be"),
    ],
)
def test_template_guards_without_the_schema(
    tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    """Inconsistent values fail even where the schema is skipped (--skip-schema-validation)."""
    chart_dir = shutil.copytree(CHART, tmp_path / "aim-migrate")
    (chart_dir / "values.schema.json").unlink()
    with helm.Chart.load(chart_dir) as chart:
        assert chart.schema is None
        chart.render(name=RELEASE, namespace=NAMESPACE)
        with pytest.raises(helm.HelmRenderError, match=message):
            chart.render(values=values, name=RELEASE, namespace=NAMESPACE)
