"""The Helm chart (helm/aim-migrate), rendered and linted by real Helm, offline.

helm-python-sdk runs Helm v4's own chart loader, values schema check, template engine and
linter in-process; kubernetes-validate checks every rendered object against the Kubernetes
OpenAPI schemas of 1.29 (the chart's minimum), 1.31 and the newest shipped minor in strict mode
(unknown fields are errors). checkov scans the rendered manifests (helm/checkov-allowlist.yaml
lists the accepted findings). No cluster is involved; tests/test_chart_run.py runs the rendered
Job's container in the real image.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm  # real Helm v4, bundled as a library
import kubernetes_validate
import pytest
import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "aim-migrate"
# The newest Kubernetes minor that kubernetes-validate ships schemas for (pinned, so a new
# release of the package does not silently change what is checked).
KUBE_VERSION = "1.37.0"
# Every manifest is validated against each of these: the chart's minimum (kubeVersion, native
# sidecars), 1.31 (podFailurePolicy GA) and the newest.
KUBE_VERSIONS = ("1.29.0", "1.31.0", KUBE_VERSION)
RELEASE = "backend"
NAMESPACE = "prod"
FULLNAME = "backend-aim-migrate"  # "<release>-<chart>"
PASSWORD = "Tr0ub4dor-and-3"
DATABASE_URL = f"postgresql://migrator:{PASSWORD}@db.prod.svc:5432/aim?sslmode=verify-full"
PUSH_PASSWORD = "push-Secret-42"
# image.repository is required (no default): every value set passes one (see render_files).
REPOSITORY = "registry.example.com/aim/aim-migrate"
MINIMAL = {"image": {"repository": REPOSITORY}}
CLOUD_SQL_PROXY = {
    "name": "cloud-sql-proxy",
    "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
    "args": ["--port=5432", "--health-check", "--http-address=0.0.0.0", "p:eu-west1:db"],
    "startupProbe": {"httpGet": {"path": "/startup", "port": 9090}, "periodSeconds": 1},
    "securityContext": {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
}

STANDARD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)

# Value sets rendered by the parametrized tests (each over MINIMAL). "defaults" is the documented
# minimal install: only image.repository (the database URL then comes from the Secret
# "<fullname>-database", mounted as a file).
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
    # DATABASE_URL from a secretKeyRef instead of the default mounted file.
    "env-mode": {
        "database": {"existingSecret": {"name": "aim-db"}, "mountAsFile": False},
        "exampleDeployment": {"enabled": True},
    },
    "ca-secret": {
        "database": {"url": DATABASE_URL, "ca": {"secret": "db-ca"}},
        "exampleDeployment": {"enabled": True},
    },
    "ca-configmap": {"database": {"ca": {"configMap": "db-ca-bundle", "key": "root.pem"}}},
    # A Cloud SQL Auth Proxy as a native sidecar, an extra init container, and the mesh's own
    # native sidecars allowed in (no injection switch).
    "sidecars": {
        "database": {"existingSecret": {"name": "aim-db-proxy"}},
        "sidecars": [CLOUD_SQL_PROXY],
        "extraInitContainers": [
            {
                "name": "wait-for-proxy-config",
                "image": "busybox:1.36",
                "command": ["true"],
                "securityContext": CLOUD_SQL_PROXY["securityContext"],
                "resources": CLOUD_SQL_PROXY["resources"],
            }
        ],
        "serviceMesh": {"disableInjection": False},
        "podAnnotations": {"sidecar.istio.io/nativeSidecar": "true"},
        "exampleDeployment": {"enabled": True},
    },
    "network-policy": {
        "networkPolicy": {
            "enabled": True,
            "database": {"cidrs": ["10.20.0.0/16"], "ports": [5432, 6432]},
            "pushgateway": {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "pushgateway"}},
            },
        },
        "metrics": {"pushgatewayUrl": "http://pushgateway.monitoring.svc:9091"},
    },
    "network-policy-in-cluster": {
        "networkPolicy": {
            "enabled": True,
            "database": {"podSelector": {"matchLabels": {"app": "postgres"}}},
            "dns": {
                "to": [{"namespaceSelector": {"matchLabels": {"dns": "yes"}}}],
                "ports": [5353],
            },
            "extraEgress": [{"to": [{"ipBlock": {"cidr": "199.36.153.4/30"}}]}],
        },
    },
    "openshift": {
        "openshift": {"enabled": True},
        "database": {"url": DATABASE_URL},
        "exampleDeployment": {"enabled": True},
    },
    "gitops": {
        "job": {"hookWeight": 3, "hookDeletePolicy": "before-hook-creation"},
        "podAnnotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
        "serviceAccount": {"create": True},
    },
    "argocd-off": {
        "argocd": {"enabled": False},
        "job": {"podFailurePolicy": {"enabled": False}, "backoffLimit": 0},
    },
    # Issue 17: both hook Jobs as Indexed Jobs over a targets file; the example backend's init
    # container still uses the one application database.
    "fanout": {
        "fanout": {
            "enabled": True,
            "shards": 4,
            "parallel": 8,
            "targetsSecret": {"name": "aim-targets"},
        },
        "exampleDeployment": {"enabled": True},
    },
}
FANOUT_TARGETS_FILE = "/var/run/secrets/aim-migrate/targets/targets"


# --------------------------------------------------------------------------- helpers


@functools.cache
def _chart() -> Any:
    return helm.Chart.load(CHART)


@functools.cache
def _render_json(values_json: str, name: str, namespace: str) -> str:
    rendered = _chart().render(values=json.loads(values_json), name=name, namespace=namespace)
    return json.dumps(rendered)


def merged(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`values` over `base`, maps merged key by key (as Helm merges values)."""
    out = copy.deepcopy(base)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def with_repository(values: dict[str, Any] | None) -> dict[str, Any]:
    """The value set plus the one required value, image.repository (unless it sets one)."""
    return merged(MINIMAL, values or {})


def render_files(
    values: dict[str, Any] | None = None, *, name: str = RELEASE, namespace: str = NAMESPACE
) -> dict[str, str]:
    """Template path -> rendered text, as `helm template` would produce (cached). The values
    are rendered over MINIMAL (image.repository)."""
    payload = json.dumps(with_repository(values), sort_keys=True)
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
    """The runner init container of the example Deployment (after any sidecars)."""
    inits = one(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"]
    (init,) = [container for container in inits if container["name"] == "aim-migrate"]
    assert inits[-1] is init  # the runner comes last, after sidecars and extra init containers
    return dict(init)


def database_ref(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    """{name, key} of the Secret a runner reads the database URL from: its secretKeyRef, or the
    Secret volume holding the file DATABASE_URL_FILE names."""
    env = env_of(container)
    if "DATABASE_URL" in env:
        assert "DATABASE_URL_FILE" not in env
        return dict(env["DATABASE_URL"]["valueFrom"]["secretKeyRef"])
    path = env["DATABASE_URL_FILE"]["value"]
    directory, filename = path.rsplit("/", 1)
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == directory]
    assert mount["readOnly"] is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    (item,) = [item for item in volume["secret"]["items"] if item["path"] == filename]
    return {"name": volume["secret"]["secretName"], "key": item["key"]}


def validate_strictly(doc: dict[str, Any]) -> None:
    """Strict OpenAPI validation for every Kubernetes version the chart supports."""
    for version in KUBE_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            pytest.fail(
                f"{version}: {doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}"
            )


def lint_findings(values: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """Lint messages at warning level or above (1 is info, 2 warning, 3 error), of the values
    over MINIMAL."""
    report = helm.lint(CHART, with_repository(values), strict=True, namespace=NAMESPACE, **options)
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


@pytest.mark.parametrize("version", KUBE_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_manifest_validates_strictly(scenario: str, version: str) -> None:
    docs = render(SCENARIOS[scenario])
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
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
    openshift = SCENARIOS[scenario].get("openshift", {}).get("enabled", False)
    for pod, container in runners:
        pod_context = pod["securityContext"]
        assert pod_context["runAsNonRoot"] is True
        if openshift:  # the restricted SCC assigns the UID, GID and fsGroup
            assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(pod_context)
        else:
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
        if openshift:
            assert not {"runAsUser", "runAsGroup"} & set(context)
        else:
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
    for pod, container in runner_containers(docs):
        env = env_of(container)
        if "AIM_TARGETS_FILE" in env:  # fan-out: the URLs come from the targets Secret only
            assert values.get("fanout", {}).get("enabled")
            assert not {"DATABASE_URL", "DATABASE_URL_FILE"} & set(env)
            continue
        if values.get("database", {}).get("mountAsFile", True):  # the default: a mounted file
            assert "DATABASE_URL" not in env
            assert env["DATABASE_URL_FILE"]["value"].startswith("/")
        else:
            assert "DATABASE_URL_FILE" not in env
            assert "value" not in env["DATABASE_URL"]
        ref = database_ref(pod, container)
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
    argocd = SCENARIOS[scenario].get("argocd", {}).get("enabled", True)
    prerequisites = (
        of_kind(docs, "Secret") + of_kind(docs, "ServiceAccount") + of_kind(docs, "NetworkPolicy")
    )
    for doc in prerequisites:
        annotations = doc["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        # Kept after the hook, so init containers in the backend's pods can use them.
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
        if argocd:  # the same for Argo CD: a PreSync hook of an earlier wave than the Jobs
            assert annotations["argocd.argoproj.io/hook"] == "PreSync"
            assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
            assert annotations["argocd.argoproj.io/sync-wave"] == annotations["helm.sh/hook-weight"]
        else:
            assert not any(key.startswith("argocd.argoproj.io/") for key in annotations)
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
    assert annotations["argocd.argoproj.io/hook"] == "PreSync"
    spec = job["spec"]
    # Changed from 0: podFailurePolicy now fails the Job at once on exit 1/2/3 and replaces
    # evicted pods; backoffLimit only bounds the rest (cannot connect, lock timeout, OOM).
    assert spec["backoffLimit"] == 2
    assert spec["podFailurePolicy"]["rules"][1]["onExitCodes"]["values"] == [1, 2, 3]
    assert spec["activeDeadlineSeconds"] == 900
    assert spec["ttlSecondsAfterFinished"] == 86400
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "default"
    container = job_container(docs)
    assert container["image"] == f"{REPOSITORY}:0.1.0"  # was "aim-migrate:0.1.0" (Docker Hub)
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
    # The URL is a mounted Secret file by default (was DATABASE_URL from a secretKeyRef).
    assert "DATABASE_URL" not in env
    assert env_value(container, "DATABASE_URL_FILE") == "/var/run/secrets/aim-migrate/database/url"
    assert database_ref(pod, container) == {"name": f"{FULLNAME}-database", "key": "DATABASE_URL"}


def test_kubernetes_version_is_shipped_by_kubernetes_validate() -> None:
    assert Version(kubernetes_validate.latest_version()) >= Version(KUBE_VERSION)
    supported = {Version(v) for v in kubernetes_validate.utils.all_versions()}
    assert {Version(v) for v in KUBE_VERSIONS} <= supported
    # The oldest version validated is the chart's minimum.
    assert _chart().metadata["kubeVersion"] == f">={min(KUBE_VERSIONS, key=Version)}-0"
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
    # serviceMesh.disableInjection (default on) adds Linkerd's switch to the one set here.
    assert template["metadata"]["annotations"] == {
        "sidecar.istio.io/inject": "false",
        "linkerd.io/inject": "disabled",
    }
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
    ref = database_ref(pre_job(docs)["spec"]["template"]["spec"], job_container(docs))
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
        # argocd.enabled (default): the same hook spelled out for Argo CD.
        "argocd.argoproj.io/hook": "PreSync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        "argocd.argoproj.io/sync-wave": "-10",
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
    # The backend gets DATABASE_URL from the Secret that the init container reads as a file.
    assert backend["env"][0]["valueFrom"]["secretKeyRef"] == database_ref(pod, init)


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
        validate_strictly(doc)


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
        f"  image:\n    repository: {REPOSITORY}\n"
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
    validate_strictly(deployment)
    (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
    # The subchart's appVersion, not the parent's (the repository is now always given).
    assert init["image"] == f"{REPOSITORY}:0.1.0"
    ref = database_ref(deployment["spec"]["template"]["spec"], init)
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
    for job, hook, argo in ((pre, PRE_HOOK, "PreSync"), (post, POST_HOOK, "PostSync")):
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == hook
        assert annotations["argocd.argoproj.io/hook"] == argo
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
            # Neither the hook nor Argo CD's annotations can be overridden here.
            "annotations": {"team": "db", "helm.sh/hook": "test", "argocd.argoproj.io/hook": "x"},
        }
    }
    docs = render(values)
    for job, hook, argo in (
        (pre_job(docs), PRE_HOOK, "PreSync"),
        (post_job(docs), POST_HOOK, "PostSync"),
    ):
        assert job["metadata"]["annotations"] == {
            "helm.sh/hook": hook,
            "helm.sh/hook-weight": "-3",
            "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
            "argocd.argoproj.io/hook": argo,
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
            "argocd.argoproj.io/sync-wave": "-3",
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
    backend_pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert database_ref(backend_pod, init) == database_ref(
        pre_job(docs)["spec"]["template"]["spec"], job
    )
    assert env["DATABASE_URL_FILE"] == env_of(job)["DATABASE_URL_FILE"]
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
    backend_pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    ref = database_ref(backend_pod, init_container(docs))
    assert ref == {"name": "aim-db-wait", "key": "url"}
    # The Jobs (which need DDL rights) and the backend keep the chart's Secret.
    chart_ref = {"name": f"{FULLNAME}-database", "key": "DATABASE_URL"}
    for job in (pre_job(docs), post_job(docs)):
        assert database_ref(job["spec"]["template"]["spec"], job_container(docs, job)) == chart_ref
    (backend,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert backend["env"][0]["valueFrom"]["secretKeyRef"] == chart_ref
    # The chart does not create the read-only Secret: it only references it.
    assert [secret["metadata"]["name"] for secret in of_kind(docs, "Secret")] == [
        f"{FULLNAME}-database"
    ]
    assert 'Secret "aim-db-wait", key "url"' in notes(values)
    for doc in docs:
        validate_strictly(doc)
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
        validate_strictly(doc)


def test_parent_chart_init_container_waits_with_its_own_secret(tmp_path: Path) -> None:
    """From a parent chart, "aim-migrate.initContainer" honours initContainer.* too."""
    values = MINIMAL | {"initContainer": READ_ONLY["initContainer"] | {"waitTimeout": "2m"}}
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
    validate_strictly(pod)
    (init,) = pod["spec"]["initContainers"]
    assert init["args"] == ["wait"]
    assert env_value(init, "AIM_WAIT_TIMEOUT") == "2m"
    assert database_ref(pod["spec"], init) == {"name": "aim-db-wait", "key": "url"}
    # The subchart's own Jobs still use the migrator's Secret.
    docs = [
        doc
        for path, text in files.items()
        if path.startswith("backend/charts/aim-migrate/templates/") and path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]
    for job in (pre_job(docs), post_job(docs)):
        ref = database_ref(job["spec"]["template"]["spec"], job_container(docs, job))
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
    # (An empty repository, the default, now fails the render with an explanation instead:
    # test_image_repository_is_required.)
    "repository with a space": (_with("image.repository", "my registry/aim"), "repository"),
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
    # Schema holes of issue 16.
    "empty tmp sizeLimit": (_with("tmpVolume.sizeLimit", ""), "tmpVolume/sizeLimit"),
    "zero tmp sizeLimit": (_with("tmpVolume.sizeLimit", "0"), "tmpVolume/sizeLimit"),
    "null tmp sizeLimit": (_with("tmpVolume.sizeLimit", None), "sizeLimit"),
    "tmp sizeLimit with words": (_with("tmpVolume.sizeLimit", "64 megs"), "tmpVolume/sizeLimit"),
    "Bitnami-style pod context": (
        _with("podSecurityContext.enabled", False),
        "podSecurityContext': additional properties 'enabled'",
    ),
    "Bitnami-style container context": (
        _with("securityContext.enabled", False),
        "securityContext': additional properties 'enabled'",
    ),
    "unknown pod context key": (
        _with("podSecurityContext.runAsUserName", "x"),
        "runAsUserName",
    ),
    "procMount": (_with("securityContext.procMount", "Unmasked"), "procMount"),
    "unconfined seccomp": (
        _with("securityContext.seccompProfile", {"type": "Unconfined"}),
        "securityContext/seccompProfile/type",
    ),
    "localhost seccomp without a profile": (
        _with("podSecurityContext.seccompProfile", {"type": "Localhost"}),
        "localhostProfile",
    ),
    "seccomp unknown key": (
        _with("podSecurityContext.seccompProfile", {"type": "RuntimeDefault", "mode": "x"}),
        "mode",
    ),
    "capabilities as a string": (
        _with("securityContext.capabilities", {"drop": "ALL"}),
        "securityContext/capabilities/drop",
    ),
    "fsGroupChangePolicy": (
        _with("podSecurityContext.fsGroupChangePolicy", "Sometimes"),
        "fsGroupChangePolicy",
    ),
    "root user": (_with("securityContext.runAsUser", 0), "securityContext/runAsUser"),
    "user as a string": (_with("podSecurityContext.runAsUser", "10001"), "runAsUser"),
    "hook delete policy": (_with("job.hookDeletePolicy", "always"), "hookDeletePolicy"),
    "hook delete policy with spaces": (
        _with("job.hookDeletePolicy", "before-hook-creation, hook-succeeded"),
        "hookDeletePolicy",
    ),
    "exit code 0": (
        _with("job.podFailurePolicy.failJobExitCodes", [0]),
        "failJobExitCodes",
    ),
    "exit code as a string": (
        _with("job.podFailurePolicy.failJobExitCodes", ["1"]),
        "failJobExitCodes",
    ),
    "duplicate exit codes": (
        _with("job.podFailurePolicy.failJobExitCodes", [1, 1]),
        "failJobExitCodes",
    ),
    "unknown podFailurePolicy key": (_with("job.podFailurePolicy.rules", []), "rules"),
    "mesh switch not a boolean": (
        _with("serviceMesh.disableInjection", "yes"),
        "serviceMesh/disableInjection",
    ),
    "openshift not a boolean": (_with("openshift.enabled", "true"), "openshift/enabled"),
    "argocd not a boolean": (_with("argocd.enabled", 1), "argocd/enabled"),
    "sidecar named like the runner": (
        _with("sidecars", [{"name": "aim-migrate", "image": "x:1"}]),
        "sidecars/0/name",
    ),
    "sidecar without a name": (_with("sidecars", [{"image": "x:1"}]), "sidecars/0"),
    "sidecar without an image": (_with("sidecars", [{"name": "proxy"}]), "sidecars/0"),
    "sidecar restartPolicy": (
        _with("sidecars", [{"name": "proxy", "image": "x:1", "restartPolicy": "OnFailure"}]),
        "sidecars/0/restartPolicy",
    ),
    "init container name": (
        _with("extraInitContainers", [{"name": "Bad_Name", "image": "x:1"}]),
        "extraInitContainers/0/name",
    ),
    "network policy without the database": (
        _with("networkPolicy.enabled", True),
        "networkPolicy/database",
    ),
    "network policy CIDR": (
        _with("networkPolicy", {"enabled": True, "database": {"cidrs": ["10.0.0.1"]}}),
        "networkPolicy/database/cidrs/0",
    ),
    "network policy port": (
        _with(
            "networkPolicy",
            {"enabled": True, "database": {"cidrs": ["10.0.0.0/8"], "ports": [70000]}},
        ),
        "networkPolicy/database/ports/0",
    ),
    "network policy selector": (
        _with(
            "networkPolicy",
            {"enabled": True, "database": {"podSelector": {"app": "postgres"}}},
        ),
        "networkPolicy/database/podSelector",
    ),
    "network policy without the Pushgateway": (
        _with(
            "networkPolicy",
            {"enabled": True, "database": {"cidrs": ["10.0.0.0/8"]}},
            {"metrics": {"pushgatewayUrl": "http://pgw:9091"}},
        ),
        "networkPolicy/pushgateway",
    ),
    "unknown networkPolicy key": (_with("networkPolicy.ingress", []), "ingress"),
    "CA from a Secret and a ConfigMap": (
        _with("database.ca", {"secret": "a", "configMap": "b"}),
        "database/ca/configMap",
    ),
    "CA Secret name": (_with("database.ca.secret", "Bad_Name"), "database/ca/secret"),
    "mountAsFile not a boolean": (_with("database.mountAsFile", "yes"), "mountAsFile"),
    # Fan-out (issue 17).
    "fanout not a boolean": (_with("fanout.enabled", "yes"), "fanout/enabled"),
    "zero shards": (_with("fanout.shards", 0), "fanout/shards"),
    "too many shards": (_with("fanout.shards", 1001), "fanout/shards"),
    "shards as a string": (_with("fanout.shards", "4"), "fanout/shards"),
    "zero parallel": (_with("fanout.parallel", 0), "fanout/parallel"),
    "too much parallel": (_with("fanout.parallel", 257), "fanout/parallel"),
    "negative backoffLimitPerIndex": (
        _with("fanout.backoffLimitPerIndex", -1),
        "fanout/backoffLimitPerIndex",
    ),
    "backoffLimitPerIndex as a string": (
        _with("fanout.backoffLimitPerIndex", "1"),
        "fanout/backoffLimitPerIndex",
    ),
    "targets Secret name": (
        _with("fanout.targetsSecret.name", "Bad_Name"),
        "fanout/targetsSecret/name",
    ),
    "targets Secret empty key": (
        _with("fanout.targetsSecret.key", ""),
        "fanout/targetsSecret/key",
    ),
    "unknown fanout key": (_with("fanout.maxFailedIndexes", 2), "maxFailedIndexes"),
    "unknown targetsSecret key": (_with("fanout.targetsSecret.namespace", "x"), "namespace"),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_values_are_rejected_at_render_time(case: str) -> None:
    values, where = INVALID[case]
    with pytest.raises(helm.HelmValuesError, match=r"schema") as caught:
        _chart().render(values=with_repository(values), name=RELEASE, namespace=NAMESPACE)
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
        ({"image": {"repository": ""}}, "image.repository is required"),
        ({"database": {"ca": {"secret": "a", "configMap": "b"}}}, "not both"),
        ({"sidecars": [{"name": "aim-migrate", "image": "x:1"}]}, "is taken"),
        (
            {
                "sidecars": [{"name": "proxy", "image": "x:1"}],
                "extraInitContainers": [{"name": "proxy", "image": "y:1"}],
            },
            '"proxy" is taken',
        ),
        ({"networkPolicy": {"enabled": True}}, "networkPolicy.database needs"),
        (
            {
                "networkPolicy": {"enabled": True, "database": {"cidrs": ["10.0.0.0/8"]}},
                "metrics": {"pushgatewayUrl": "http://pgw:9091"},
            },
            "networkPolicy.pushgateway needs",
        ),
        ({"job": {"hookDeletePolicy": "always"}}, "job.hookDeletePolicy"),
        ({"fanout": {"enabled": True}}, "fanout.targetsSecret.name is required"),
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
        chart.render(values=MINIMAL, name=RELEASE, namespace=NAMESPACE)
        with pytest.raises(helm.HelmRenderError, match=message):
            chart.render(values=with_repository(values), name=RELEASE, namespace=NAMESPACE)


def test_tmp_volume_is_a_valid_empty_dir_even_without_the_schema(tmp_path: Path) -> None:
    """`tmpVolume.sizeLimit: ""` used to render `emptyDir:` (null: no volume source at all)."""
    chart_dir = shutil.copytree(CHART, tmp_path / "aim-migrate")
    (chart_dir / "values.schema.json").unlink()
    with helm.Chart.load(chart_dir) as chart:
        files = chart.render(
            values=with_repository({"tmpVolume": {"medium": "", "sizeLimit": ""}}),
            name=RELEASE,
            namespace=NAMESPACE,
        )
    job = yaml.safe_load(files["aim-migrate/templates/job.yaml"])
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["aim-migrate-tmp"] == {"name": "aim-migrate-tmp", "emptyDir": {}}


# ------------------------------------------------------------------ real clusters (issue 16)


def test_image_repository_is_required() -> None:
    """No default that would silently pull docker.io/library/aim-migrate."""
    with pytest.raises(helm.HelmRenderError) as caught:
        _chart().render(values={}, name=RELEASE, namespace=NAMESPACE)
    message = str(caught.value)
    assert "image.repository is required" in message
    assert "--set image.repository=" in message
    assert "docker.io/library/aim-migrate" in message
    with pytest.raises(helm.HelmRenderError, match=r"image\.repository is required"):
        _chart().render(values={"image": {"repository": ""}}, name=RELEASE, namespace=NAMESPACE)


def _pod(job: dict[str, Any]) -> dict[str, Any]:
    return dict(job["spec"]["template"])


def test_service_mesh_injection_is_off_in_the_hook_pods() -> None:
    docs = render()
    for job in (pre_job(docs), post_job(docs)):
        metadata = _pod(job)["metadata"]
        assert metadata["annotations"] == {
            "sidecar.istio.io/inject": "false",
            "linkerd.io/inject": "disabled",
        }
        assert metadata["labels"]["sidecar.istio.io/inject"] == "false"  # Istio's current form
    # Switched off (a mesh with native sidecars, STRICT mTLS to the database): nothing added,
    # the pod's own annotations stay.
    docs = render(SCENARIOS["sidecars"])
    for job in (pre_job(docs), post_job(docs)):
        metadata = _pod(job)["metadata"]
        assert metadata["annotations"] == {"sidecar.istio.io/nativeSidecar": "true"}
        assert "sidecar.istio.io/inject" not in metadata["labels"]
    # The switch is explicit: it wins over a podAnnotations value.
    docs = render({"podAnnotations": {"linkerd.io/inject": "enabled", "team": "db"}})
    annotations = _pod(pre_job(docs))["metadata"]["annotations"]
    assert annotations["linkerd.io/inject"] == "disabled"
    assert annotations["team"] == "db"
    # The backend's pods are meshed on purpose: the example Deployment gets no such switch.
    deployment = one(render({"exampleDeployment": {"enabled": True}}), "Deployment")
    assert "annotations" not in deployment["spec"]["template"]["metadata"]
    assert "sidecar.istio.io/inject" not in deployment["spec"]["template"]["metadata"]["labels"]


def test_sidecars_are_native_sidecars_before_the_runner() -> None:
    values = SCENARIOS["sidecars"]
    docs = render(values)
    for job in (pre_job(docs), post_job(docs)):
        pod = job["spec"]["template"]["spec"]
        proxy, extra = pod["initContainers"]
        assert proxy == CLOUD_SQL_PROXY | {"restartPolicy": "Always"}  # started first, stopped last
        assert extra["name"] == "wait-for-proxy-config"
        assert "restartPolicy" not in extra  # an ordinary init container, run to completion
        assert [c["name"] for c in pod["containers"]] == ["aim-migrate"]  # the Job's only container
        assert pod["restartPolicy"] == "Never"
    # The example backend: the proxy (serving the backend too), the extra one, then the runner.
    backend = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert [c["name"] for c in backend["initContainers"]] == [
        "cloud-sql-proxy",
        "wait-for-proxy-config",
        "aim-migrate",
    ]
    assert backend["initContainers"][0]["restartPolicy"] == "Always"
    # No sidecars: no initContainers key in the Jobs.
    assert "initContainers" not in pre_job(render())["spec"]["template"]["spec"]
    # An extra init container may itself be a sidecar, where the user puts it.
    late = {"extraInitContainers": [{"name": "late", "image": "x:1", "restartPolicy": "Always"}]}
    (sidecar,) = pre_job(render(late))["spec"]["template"]["spec"]["initContainers"]
    assert sidecar["restartPolicy"] == "Always"


def test_pod_failure_policy_retries_evictions_and_fails_fast() -> None:
    job = pre_job(render())
    assert job["spec"]["backoffLimit"] == 2
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"  # required by the API
    assert job["spec"]["podFailurePolicy"] == {
        "rules": [
            {
                "action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
            },
            {
                "action": "FailJob",
                "onExitCodes": {
                    "containerName": "aim-migrate",
                    "operator": "In",
                    "values": [1, 2, 3],
                },
            },
        ]
    }
    assert job == _with_post_hook_removed(post_job(render()), job)
    # Exit codes are sorted and de-typed as the API wants; an empty list keeps only Ignore.
    custom = pre_job(render(_with("job.podFailurePolicy.failJobExitCodes", [3, 1, 10, 2])))
    assert custom["spec"]["podFailurePolicy"]["rules"][1]["onExitCodes"]["values"] == [1, 2, 3, 10]
    none = pre_job(render(_with("job.podFailurePolicy.failJobExitCodes", [])))
    assert [rule["action"] for rule in none["spec"]["podFailurePolicy"]["rules"]] == ["Ignore"]
    # Off: the plain Job, as before issue 16 (then set backoffLimit 0, as argocd-off does).
    off = pre_job(render(SCENARIOS["argocd-off"]))
    assert "podFailurePolicy" not in off["spec"]
    assert off["spec"]["backoffLimit"] == 0
    assert "A failed pod is retried up to job.backoffLimit=0" in notes(SCENARIOS["argocd-off"])
    assert "Exit codes 1, 2, 3 fail the Job at once" in notes()


def _with_post_hook_removed(post: dict[str, Any], pre: dict[str, Any]) -> dict[str, Any]:
    """The post-deploy Job given the pre-deploy one's metadata and AIM_PHASE (all that differs)."""
    post = copy.deepcopy(post)
    post["metadata"] = pre["metadata"]
    for container in post["spec"]["template"]["spec"]["containers"]:
        for item in container["env"]:
            if item["name"] == "AIM_PHASE":
                item["value"] = "pre-deploy"
    return post


def test_argocd_hooks_and_hook_delete_policy() -> None:
    docs = render(SCENARIOS["gitops"])
    for job, argo in ((pre_job(docs), "PreSync"), (post_job(docs), "PostSync")):
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"  # the value
        assert annotations["argocd.argoproj.io/hook"] == argo
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
        assert annotations["argocd.argoproj.io/sync-wave"] == "3"
        # safe-to-evict reaches the pods (documented for node drains by the autoscaler).
        assert (
            _pod(job)["metadata"]["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"]
            == "false"
        )
    account = one(docs, "ServiceAccount")["metadata"]["annotations"]
    assert account["argocd.argoproj.io/sync-wave"] == "-7"  # an earlier wave than the Jobs
    assert account["argocd.argoproj.io/hook"] == "PreSync"
    # Every policy is translated term by term.
    values = _with("job.hookDeletePolicy", "hook-failed,hook-succeeded")
    annotations = pre_job(render(values))["metadata"]["annotations"]
    assert annotations["helm.sh/hook-delete-policy"] == "hook-failed,hook-succeeded"
    assert annotations["argocd.argoproj.io/hook-delete-policy"] == "HookFailed,HookSucceeded"
    assert "A failed one is deleted at once too" in notes(values)
    # argocd.enabled=false: Helm's annotations only (Argo CD maps those itself).
    docs = render(SCENARIOS["argocd-off"] | {"database": {"url": DATABASE_URL}})
    for doc in of_kind(docs, "Job") + of_kind(docs, "Secret"):
        assert not [key for key in doc["metadata"]["annotations"] if key.startswith("argocd")]


def test_network_policy_allows_only_the_database_dns_and_pushgateway() -> None:
    assert of_kind(render(), "NetworkPolicy") == []  # opt-in
    docs = render(SCENARIOS["network-policy"])
    policy = one(docs, "NetworkPolicy")
    assert policy["metadata"]["name"] == FULLNAME
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in spec  # no ingress at all: the runner listens on nothing
    # It selects the Jobs' pods, and only them.
    selector = spec["podSelector"]["matchLabels"]
    for job in of_kind(docs, "Job"):
        assert selector.items() <= _pod(job)["metadata"]["labels"].items()
    backend = one(
        render(SCENARIOS["network-policy"] | {"exampleDeployment": {"enabled": True}}), "Deployment"
    )
    assert not selector.items() <= backend["spec"]["template"]["metadata"]["labels"].items()
    database, dns, pushgateway = spec["egress"]
    assert database == {
        "to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 6432}],
    }
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    monitoring = SCENARIOS["network-policy"]["networkPolicy"]["pushgateway"]
    assert pushgateway == {"to": [monitoring], "ports": [{"protocol": "TCP", "port": 9091}]}
    assert "reach only the database, DNS and the Pushgateway" in notes(SCENARIOS["network-policy"])
    # In-cluster database, custom DNS, extra egress; no Pushgateway rule without a URL.
    spec = one(render(SCENARIOS["network-policy-in-cluster"]), "NetworkPolicy")["spec"]
    database, dns, extra = spec["egress"]
    assert database["to"] == [{"podSelector": {"matchLabels": {"app": "postgres"}}}]
    assert dns == {
        "to": [{"namespaceSelector": {"matchLabels": {"dns": "yes"}}}],
        "ports": [{"port": 5353, "protocol": "UDP"}, {"port": 5353, "protocol": "TCP"}],
    }
    assert extra == {"to": [{"ipBlock": {"cidr": "199.36.153.4/30"}}]}
    # The Pushgateway's port comes from its URL (scheme default without one).
    values = merged(
        SCENARIOS["network-policy"], {"metrics": {"pushgatewayUrl": "https://pgw.example.com/x"}}
    )
    rule = one(render(values), "NetworkPolicy")["spec"]["egress"][2]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


def test_database_url_env_mode_is_still_available() -> None:
    docs = render(SCENARIOS["env-mode"])
    for pod, container in runner_containers(docs):
        env = env_of(container)
        assert "DATABASE_URL_FILE" not in env
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "aim-db",
            "key": "DATABASE_URL",
        }
        assert "aim-migrate-database" not in {v["name"] for v in pod["volumes"]}
        assert "aim-migrate-database" not in {m["name"] for m in container["volumeMounts"]}


@pytest.mark.parametrize(
    ("scenario", "source"),
    [
        (
            "ca-secret",
            {
                "secret": {
                    "secretName": "db-ca",
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    "defaultMode": 292,
                }
            },
        ),
        (
            "ca-configmap",
            {
                "configMap": {
                    "name": "db-ca-bundle",
                    "items": [{"key": "root.pem", "path": "ca.crt"}],
                    "defaultMode": 292,
                }
            },
        ),
    ],
)
def test_database_ca_is_mounted_for_verify_full(scenario: str, source: dict[str, Any]) -> None:
    docs = render(SCENARIOS[scenario])
    runners = list(runner_containers(docs))
    assert len(runners) >= 2
    for pod, container in runners:
        path = env_value(container, "PGSSLROOTCERT")
        assert path == "/var/run/secrets/aim-migrate/ca/ca.crt"
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "aim-migrate-ca"]
        assert mount == {
            "name": "aim-migrate-ca",
            "mountPath": "/var/run/secrets/aim-migrate/ca",
            "readOnly": True,
        }
        (volume,) = [v for v in pod["volumes"] if v["name"] == "aim-migrate-ca"]
        assert volume == {"name": "aim-migrate-ca"} | source
    assert "PGSSLROOTCERT" not in env_of(job_container(render()))


def test_openshift_leaves_the_user_to_the_scc() -> None:
    docs = render(SCENARIOS["openshift"])
    for _, template in pod_specs(docs):
        spec = template["spec"]
        assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(spec["securityContext"])
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert not {"runAsUser", "runAsGroup"} & set(container.get("securityContext", {}))
    # Everything else of the lockdown stays (checked for every scenario above), and the values
    # themselves are untouched: without the switch the UID comes back.
    assert job_container(render())["securityContext"]["runAsUser"] == 10001


def test_notes_do_not_claim_what_has_not_run() -> None:
    text = notes()
    assert "applied the pending" not in text  # rendered before the hooks run (and on --dry-run)
    assert "`--dry-run` and `helm template` run nothing" in text
    assert "applies the pending pre-deploy migrations" in text
    # Failed Jobs do not stay forever: the TTL controller deletes them.
    assert "job.ttlSecondsAfterFinished (86400s): then the TTL controller deletes them" in text
    kept = notes(_with("job.ttlSecondsAfterFinished", None))
    assert "stay for inspection until the next\ninstall/upgrade replaces it" in kept
    assert "TTL controller" not in kept


def test_docs_create_secrets_in_the_release_namespace_and_mount_the_ca() -> None:
    """The first hour of a newcomer: the commands in the READMEs and values.yaml work as given."""
    section = (ROOT / "README.md").read_text().split("## Deploy on Kubernetes", 1)[1]
    section = section.split("\n## ", 1)[0]
    header = (CHART / "values.yaml").read_text().split("\n\n", 1)[0]  # "Minimal install"
    values_comments = [
        line.removeprefix("#   ") for line in header.splitlines() if line.startswith("#   ")
    ]
    texts = {
        "README.md#deploy-on-kubernetes": _shell_blocks(section),
        "helm/aim-migrate/README.md": _shell_blocks((CHART / "README.md").read_text()),
        "helm/aim-migrate/values.yaml": "\n".join(values_comments),
    }
    for where, text in texts.items():
        # One command per logical line (backslash continuations joined).
        commands = text.replace("\\\n", " ").splitlines()
        secrets = [c for c in commands if re.search(r"\bkubectl\b.*\bcreate secret\b", c)]
        assert secrets, where
        for command in secrets:
            assert re.search(r"(-n|--namespace)[ =]\S", command), f"{where}: {command}"
        installs = [c for c in commands if re.search(r"\bhelm (install|upgrade)\b", c)]
        assert installs, where
        for command in installs:
            assert "image.repository=" in command, f"{where}: {command}"
            assert re.search(r"(-n|--namespace)[ =]\S", command), f"{where}: {command}"
            # Every verify-full example comes with the server's CA.
            if "verify-full" in text:
                assert "database.ca." in command, f"{where}: {command}"


def _shell_blocks(markdown: str) -> str:
    return "\n".join(re.findall(r"```(?:sh|bash|console)\n(.*?)```", markdown, flags=re.DOTALL))


# --------------------------------------------------------------------------- checkov

CHECKOV_ALLOWLIST = ROOT / "helm" / "checkov-allowlist.yaml"
CHECKOV_SCENARIOS = (
    "defaults",
    "env-mode",
    "init-wait",
    "kitchen-sink",
    "sidecars",
    "network-policy",
    "openshift",
    "fanout",
)


def _checkov() -> str:
    cache = Path(os.environ.get("AIM_TEST_CACHE", Path.home() / ".cache" / "aim-migrate-tests"))
    for candidate in (os.environ.get("AIM_CHECKOV"), cache / "checkov-venv" / "bin" / "checkov"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    message = "checkov is not installed (scripts/test installs it into its own venv)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_checkov_finds_nothing_unlisted(tmp_path: Path) -> None:
    """checkov's Kubernetes checks on the rendered manifests of several value sets: every
    failed check must be in helm/checkov-allowlist.yaml (with its reason), and every entry
    there must still match a finding."""
    checkov = _checkov()
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "ERROR"}
    # One run per value set: checkov's graph checks (a NetworkPolicy selecting a pod) would
    # otherwise connect resources of different value sets.
    runs = {}
    for scenario in CHECKOV_SCENARIOS:
        manifest = tmp_path / scenario / "manifests.yaml"
        manifest.parent.mkdir()
        manifest.write_text(
            "\n---\n".join(
                text
                for path, text in sorted(render_files(SCENARIOS[scenario]).items())
                if not path.endswith("NOTES.txt") and text.strip()
            )
        )
        command = [
            checkov,
            "--file",
            str(manifest),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",  # offline: no Prisma Cloud guidelines or policies
        ]
        runs[scenario] = subprocess.Popen(
            command, cwd=manifest.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    reports: dict[str, dict[str, Any]] = {}
    for scenario, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), stderr.decode()  # 1: some check failed
        reports[scenario] = json.loads(stdout)
        assert reports[scenario]["summary"]["passed"] > 50, f"{scenario}: checkov ran no checks"
    # The allowlist is for the version scripts/test installs (new releases add checks).
    pinned = re.search(r"checkov==([0-9.]+)", (ROOT / "scripts" / "test").read_text())
    assert pinned, "scripts/test pins no checkov version"
    for scenario, report in reports.items():
        assert report["summary"]["checkov_version"] == pinned[1], scenario
    allowlist = yaml.safe_load(CHECKOV_ALLOWLIST.read_text())
    for entry in allowlist:
        assert set(entry) <= {"checks", "resources", "scenarios", "reason"}, entry
        assert len(entry["reason"]) > 40, entry  # a real reason
        assert set(entry.get("scenarios", CHECKOV_SCENARIOS)) <= set(CHECKOV_SCENARIOS), entry
    used: set[tuple[int, str]] = set()
    unlisted = []
    findings = [
        (scenario, item)
        for scenario, report in reports.items()
        for item in report["results"]["failed_checks"]
    ]
    for scenario, result in findings:
        kind, _namespace, name = result["resource"].split(".")[:3]
        matches = [
            index
            for index, entry in enumerate(allowlist)
            if result["check_id"] in entry["checks"]
            and any(fnmatch.fnmatchcase(f"{kind}/{name}", p) for p in entry["resources"])
            and scenario in entry.get("scenarios", CHECKOV_SCENARIOS)
        ]
        used.update((index, result["check_id"]) for index in matches)
        if not matches:
            unlisted.append(
                f"{scenario}: {result['check_id']} {kind}/{name}: {result['check_name']}"
            )
    assert unlisted == [], "checkov findings not in helm/checkov-allowlist.yaml:\n" + "\n".join(
        unlisted
    )
    stale = [
        check
        for index, entry in enumerate(allowlist)
        for check in entry["checks"]
        if (index, check) not in used
    ]
    assert stale == [], f"allowlist entries that match no finding any more: {stale}"


def test_readme_cloud_sql_example_renders() -> None:
    """The README's Cloud SQL Auth Proxy values render into valid manifests as described."""
    section = (ROOT / "README.md").read_text().split("## Deploy on Kubernetes", 1)[1]
    (example,) = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
        if block.startswith("# values-cloudsql.yaml")
    ]
    values = yaml.safe_load(example)
    docs = render(values)
    for doc in docs:
        validate_strictly(doc)
    assert lint_findings(values) == []
    pod = pre_job(docs)["spec"]["template"]["spec"]
    (proxy,) = pod["initContainers"]
    assert proxy["name"] == "cloud-sql-proxy"
    assert proxy["restartPolicy"] == "Always"
    assert pod["serviceAccountName"] == FULLNAME


# --------------------------------------------------------------------------- fan-out (issue 17)


def test_fanout_jobs_are_indexed_jobs_over_the_targets_secret() -> None:
    values = SCENARIOS["fanout"]
    docs = render(values)
    pre, post = pre_job(docs), post_job(docs)
    for job, phase in ((pre, "pre-deploy"), (post, "all")):
        spec = job["spec"]
        assert spec["completionMode"] == "Indexed"
        assert spec["completions"] == spec["parallelism"] == 4
        assert spec["backoffLimitPerIndex"] == 1
        # No global backoffLimit: its default (2147483647 with backoffLimitPerIndex) lets one
        # shard's retries leave the other shards alone.
        assert "backoffLimit" not in spec
        assert spec["podFailurePolicy"] == {
            "rules": [
                {
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                },
                {
                    "action": "FailIndex",
                    "onExitCodes": {
                        "containerName": "aim-migrate",
                        "operator": "In",
                        "values": [1, 2, 3],
                    },
                },
            ]
        }
        pod = spec["template"]["spec"]
        assert pod["restartPolicy"] == "Never"  # required by backoffLimitPerIndex
        container = job_container(docs, job)
        env = env_of(container)
        assert env_value(container, "AIM_TARGETS_FILE") == FANOUT_TARGETS_FILE
        assert env_value(container, "AIM_SHARD_COUNT") == "4"
        assert env_value(container, "AIM_PARALLEL") == "8"
        assert env_value(container, "AIM_PHASE") == phase
        # Kubernetes sets JOB_COMPLETION_INDEX itself; the chart must not.
        assert not {"DATABASE_URL", "DATABASE_URL_FILE", "JOB_COMPLETION_INDEX"} & set(env)
        (mount,) = [
            m
            for m in container["volumeMounts"]
            if m["mountPath"] == FANOUT_TARGETS_FILE.rsplit("/", 1)[0]
        ]
        assert mount["readOnly"] is True
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert volumes[mount["name"]]["secret"] == {
            "secretName": "aim-targets",
            "items": [{"key": "targets", "path": "targets"}],
            "defaultMode": 0o444,
        }
        # No trace of the single-database Secret in the Jobs (it may not exist).
        assert "aim-migrate-database" not in volumes
        assert f"{FULLNAME}-database" not in list(walk_strings(job))
    assert pre == _with_post_hook_removed(post, pre)
    # The example backend's init container is per application database: unchanged.
    without = {key: value for key, value in values.items() if key != "fanout"}
    assert init_container(docs) == init_container(render(without))
    assert one(docs, "Deployment") == one(render(without), "Deployment")
    notes_text = notes(values)
    assert 'Indexed Jobs of 4 shard(s) migrating the databases listed in Secret "aim-targets"' in (
        notes_text.replace("\n", " ")
    )
    assert "Exit codes 1, 2, 3 fail their shard at once" in notes_text


def test_fanout_defaults_and_settings() -> None:
    docs = render({"fanout": {"enabled": True, "targetsSecret": {"name": "aim-targets"}}})
    for job in (pre_job(docs), post_job(docs)):
        spec = job["spec"]
        assert (spec["completions"], spec["parallelism"], spec["backoffLimitPerIndex"]) == (1, 1, 1)
        container = job_container(docs, job)
        assert env_value(container, "AIM_SHARD_COUNT") == "1"
        assert env_value(container, "AIM_PARALLEL") == "4"
    custom = render(
        {
            "fanout": {
                "enabled": True,
                "shards": 1000,
                "parallel": 256,
                "backoffLimitPerIndex": 0,
                "targetsSecret": {"name": "tenants", "key": "urls.txt"},
            },
            "job": {"podFailurePolicy": {"enabled": False}},
            "database": {"mountAsFile": False, "ca": {"secret": "db-ca"}},
        }
    )
    for job in (pre_job(custom), post_job(custom)):
        validate_strictly(job)
        spec = job["spec"]
        assert (spec["completions"], spec["parallelism"], spec["backoffLimitPerIndex"]) == (
            1000,
            1000,
            0,
        )
        assert "podFailurePolicy" not in spec
        pod = spec["template"]["spec"]
        container = job_container(custom, job)
        env = env_of(container)
        assert not {"DATABASE_URL", "DATABASE_URL_FILE"} & set(env)  # also in env mode
        assert env_value(container, "PGSSLROOTCERT").endswith("/ca.crt")  # the CA still applies
        (volume,) = [
            v for v in pod["volumes"] if "secret" in v and v["secret"]["secretName"] == "tenants"
        ]
        assert volume["secret"]["items"] == [{"key": "urls.txt", "path": "targets"}]
    # Off (the default): plain Jobs, as before.
    for job in (pre_job(render()), post_job(render())):
        assert not {"completionMode", "completions", "parallelism", "backoffLimitPerIndex"} & set(
            job["spec"]
        )


def test_fanout_needs_the_targets_secret() -> None:
    with pytest.raises(helm.HelmRenderError) as caught:
        _chart().render(
            values=with_repository({"fanout": {"enabled": True}}), name=RELEASE, namespace=NAMESPACE
        )
    assert "fanout.targetsSecret.name is required when fanout.enabled is true" in str(caught.value)


def test_readme_fanout_example_renders() -> None:
    """The README's fan-out values render into valid Indexed Jobs."""
    section = (ROOT / "README.md").read_text().split("## Deploy on Kubernetes", 1)[1]
    section = section.split("\n## ", 1)[0]
    (example,) = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
        if block.startswith("# values-fanout.yaml")
    ]
    values = yaml.safe_load(example)
    docs = render(values)
    for doc in docs:
        validate_strictly(doc)
    assert lint_findings(values) == []
    for job in (pre_job(docs), post_job(docs)):
        assert job["spec"]["completionMode"] == "Indexed"
        assert job["spec"]["completions"] == values["fanout"]["shards"]
        assert "AIM_TARGETS_FILE" in env_of(job_container(docs, job))
