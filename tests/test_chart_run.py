"""Render, then run: the chart and the image must agree.

The chart is rendered by real Helm (as in tests/test_helm.py); then the runner container of the
pre-deploy Job, of the post-deploy Job and of the example Deployment's init container is run
exactly as rendered, in the image that tests/test_container.py builds with buildah, against the
real PostgreSQL: the container's command and args (over the image's ENTRYPOINT and CMD, with
Kubernetes' rules), its env with every secretKeyRef resolved from the rendered (or the
namespace's) Secrets, its volumeMounts with the Secret, ConfigMap and emptyDir volumes they name
(files, items and modes as the kubelet projects them; the emptyDir as a tmpfs of its sizeLimit),
its user and group from the securityContexts (or, under openshift.enabled, a UID from an
OpenShift namespace range with GID 0, as the restricted SCC assigns), and its read-only root
filesystem (the image's directories bind-mounted read-only, and nothing may be written outside
the mounts). The database and the Pushgateway are checked afterwards.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from tests.conftest import Database, Pushgateway, Run
from tests.test_container import (
    IMAGE,
    Buildah,
    image,  # noqa: F401 - the fixture that builds the image
    image_config,
)

pytestmark = pytest.mark.slow

CHART = Path(__file__).resolve().parents[1] / "helm" / "aim-migrate"
REPOSITORY, TAG = IMAGE.rsplit(":", 1)  # localhost/aim-migrate, test
NAMESPACE = "prod"
# What OpenShift's restricted-v2 SCC would assign: a UID from the namespace's range, GID 0.
OPENSHIFT_USER = (1000680000, 0)

# Two releases of the backend's migrations, shipped in the ConfigMap "aim-migrations"
# (migrations.configMap): the second adds a pre-deploy and a post-deploy (contract) migration.
RELEASE_1 = {
    "001_accounts.sql": "CREATE TABLE accounts (id serial PRIMARY KEY, legacy_name text);",
}
RELEASE_2 = RELEASE_1 | {
    "002_drop_legacy_name.sql": (
        "-- aim-migrate: post-deploy\nALTER TABLE accounts DROP COLUMN legacy_name;"
    ),
    "003_add_email.sql": "ALTER TABLE accounts ADD COLUMN email text;",
}


# --------------------------------------------------------------------------- the namespace


@dataclass
class Namespace:
    """The objects the pods can reference: the chart's rendered ones plus those that exist
    before the install (`kubectl create secret`, the migrations ConfigMap)."""

    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, doc: dict[str, Any]) -> None:
        name = doc["metadata"]["name"]
        if doc["kind"] == "Secret":
            data = {key: base64.b64decode(value) for key, value in doc.get("data", {}).items()}
            data |= {key: value.encode() for key, value in doc.get("stringData", {}).items()}
            self.secrets[name] = data
        elif doc["kind"] == "ConfigMap":
            self.config_maps[name] = dict(doc.get("data", {}))

    def secret(self, name: str, key: str) -> bytes:
        assert name in self.secrets, f"Secret {name!r} does not exist"
        assert key in self.secrets[name], f"Secret {name!r} has no key {key!r}"
        return self.secrets[name][key]


def render(values: dict[str, Any], release: str) -> list[dict[str, Any]]:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values=values, name=release, namespace=NAMESPACE)
    return [
        doc
        for path, text in sorted(files.items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def pod_of(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return dict(doc["spec"]["template"]["spec"])


def runner_of(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = [
        c for c in pod.get("initContainers", []) + pod["containers"] if c["name"] == "aim-migrate"
    ]
    return dict(container)


# --------------------------------------------------------------------------- running a container


def _bytes(quantity: str) -> int:
    match = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|k|M|G)?", quantity)
    assert match, quantity
    units = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return int(float(match[1]) * units[match[2]])


def _project(directory: Path, files: dict[str, bytes], volume: dict[str, Any]) -> None:
    """A Secret or ConfigMap volume as the kubelet projects it: `items` (or every key) as
    files with `defaultMode` (0644 unless set) in a world-readable directory."""
    directory.mkdir(parents=True)
    items = volume.get("items") or [{"key": key, "path": key} for key in files]
    for item in items:
        assert item["key"] in files, f"no key {item['key']!r} for volume {volume}"
        target = directory / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[item["key"]])
        target.chmod(item.get("mode", volume.get("defaultMode", 0o644)))
    directory.chmod(0o755)


def _in_root(root: Path, path: str) -> str:
    """`path` with the image's symlinks resolved inside `root`, as runc does for a mount target
    (Debian's /var/run -> /run). buildah's chroot isolation would otherwise follow an absolute
    symlink on the host and create the mount point there."""
    parts = [part for part in path.split("/") if part]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if candidate.is_symlink():
            hops += 1
            assert hops < 40, f"symlink loop in {path}"
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved.append(part)
    return "/" + "/".join(resolved)


@dataclass
class Container:
    """A working container of the image (one for the module: the runs write nothing into it,
    which every run checks, so each starts from the image as built)."""

    buildah: Buildah
    id: str
    root: Path


@pytest.fixture(scope="module")
def container(image: Buildah) -> Iterator[Container]:  # noqa: F811 - the fixture above
    container_id = image.ok("from", "--pull-never", IMAGE)
    try:
        yield Container(image, container_id, Path(image.ok("mount", container_id)))
    finally:
        image("umount", container_id)
        image("rm", container_id)


@dataclass
class Pod:
    """One container of a rendered pod spec, run as the kubelet would run it."""

    image: Container
    namespace: Namespace
    workdir: Path
    assigned_user: tuple[int, int] | None = None  # set by the SCC when the pod names none

    def run(self, pod: dict[str, Any], container: dict[str, Any]) -> Run:
        config = image_config(self.image.buildah)
        assert container["image"] == IMAGE
        assert container["imagePullPolicy"] in ("IfNotPresent", "Never")  # the local image

        # Command and args, with Kubernetes' rules over the image's ENTRYPOINT and CMD.
        if "command" in container:
            argv = [*container["command"], *container.get("args", [])]
        else:
            argv = [*config["Entrypoint"], *container.get("args", config["Cmd"])]

        # The environment: literal values and secretKeyRefs, nothing else.
        assert not container.get("envFrom")
        env: dict[str, str] = {}
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = str(item["value"])
            else:
                (source,) = item["valueFrom"]
                assert source == "secretKeyRef", item
                ref = item["valueFrom"]["secretKeyRef"]
                env[item["name"]] = self.namespace.secret(ref["name"], ref["key"]).decode()

        # The user: the container's securityContext over the pod's.
        pod_context = pod.get("securityContext", {})
        context = container.get("securityContext", {})
        uid = context.get("runAsUser", pod_context.get("runAsUser"))
        gid = context.get("runAsGroup", pod_context.get("runAsGroup"))
        if self.assigned_user is not None:  # openshift.enabled: the pod must name no user
            assert uid is None
            assert gid is None
            assert "fsGroup" not in pod_context
            uid, gid = self.assigned_user
        assert uid is not None, "no user in the pod spec"
        assert gid is not None
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")):
            assert uid != 0
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]

        return self._run(pod, container, argv, env, (uid, gid))

    def _run(
        self,
        pod: dict[str, Any],
        container: dict[str, Any],
        argv: list[str],
        env: dict[str, str],
        user: tuple[int, int],
    ) -> Run:
        root = self.image.root
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        run_id = uuid.uuid4().hex[:8]
        flags = ["--isolation", "chroot", "--network", "host", "--user", "{}:{}".format(*user)]
        flags += ["--cap-drop", "ALL"]
        mounted: list[str] = []
        for mount in container.get("volumeMounts", []):
            assert "subPath" not in mount
            volume = volumes[mount["name"]]
            path = _in_root(root, mount["mountPath"])
            mounted.append(path)
            if "emptyDir" in volume:
                options = ["type=tmpfs", f"destination={path}", "tmpfs-mode=1777"]
                if "sizeLimit" in volume["emptyDir"]:
                    options.append(f"tmpfs-size={_bytes(volume['emptyDir']['sizeLimit'])}")
                flags += ["--mount", ",".join(options)]
                continue
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                assert name in self.namespace.secrets, f"Secret {name!r} does not exist"
                files, spec = self.namespace.secrets[name], volume["secret"]
            elif "configMap" in volume:
                name = volume["configMap"]["name"]
                assert name in self.namespace.config_maps, f"ConfigMap {name!r} does not exist"
                files = {k: v.encode() for k, v in self.namespace.config_maps[name].items()}
                spec = volume["configMap"]
            else:
                pytest.fail(f"volume type not supported by this test: {volume}")
            source = self.workdir / run_id / mount["name"]
            _project(source, files, spec)
            flags += ["-v", f"{source}:{path}:{'ro' if mount.get('readOnly') else 'rw'}"]

        # readOnlyRootFilesystem: the image's own directories are mounted read-only, and
        # nothing may be written anywhere outside the volumes.
        for directory in ("opt", "usr", "app"):
            flags += ["-v", f"{root / directory}:/{directory}:ro"]
        for name, value in env.items():
            flags += ["--env", f"{name}={value}"]
        marker = root / ".before-run"
        marker.touch()
        time.sleep(0.01)
        done = self.image.buildah("run", *flags, self.image.id, "--", *argv, timeout=300)
        excluded = ["tmp", "etc", "run", *(p.strip("/") for p in mounted)]
        written = subprocess.run(
            [
                "find",
                str(root),
                "-xdev",
                "-newer",
                str(marker),
                "-not",
                "-type",
                "d",
                *(arg for d in excluded for arg in ("-not", "-path", f"{root}/{d}/*")),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert written == [], f"the container wrote outside its volumes: {written}"
        return Run(done.returncode, done.stdout, done.stderr)


# --------------------------------------------------------------------------- the release story


def chart_values(mode: str, database_url: str, pushgateway_url: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "image": {"repository": REPOSITORY, "tag": TAG},
        "migrations": {"configMap": "aim-migrations"},
        "config": {"connectTimeout": "10s", "lockTimeout": "30s", "logLevel": "debug"},
        "exampleDeployment": {"enabled": True},
        "tmpVolume": {"sizeLimit": "16Mi"},
    }
    if mode == "secret-file":  # the defaults: the chart's Secret, mounted as a file
        values["database"] = {"url": database_url}
    elif mode == "secret-env":  # database.mountAsFile=false: a secretKeyRef
        values["database"] = {"url": database_url, "mountAsFile": False}
    elif mode == "openshift":  # an existing Secret, and the SCC's user
        values["database"] = {"existingSecret": {"name": "aim-db", "key": "url"}}
        values["openshift"] = {"enabled": True}
    if pushgateway_url:
        values["metrics"] = {"pushgatewayUrl": pushgateway_url, "required": True}
    return values


@dataclass
class Release:
    name: str
    values: dict[str, Any]
    image: Container
    workdir: Path
    existing: Namespace

    def deploy(self, migrations: dict[str, str]) -> Iterator[tuple[str, Run]]:
        """`helm upgrade --install --wait`: the pre-deploy Job, the rollout (the backend pods'
        init container), the post-deploy Job, each run from the rendered manifests in turn
        (the caller checks the database between them)."""
        namespace = Namespace(dict(self.existing.secrets), dict(self.existing.config_maps))
        namespace.config_maps["aim-migrations"] = migrations  # this release's ConfigMap
        docs = render(self.values, self.name)
        for doc in docs:
            namespace.add(doc)
        openshift = self.values.get("openshift", {}).get("enabled", False)
        pod = Pod(self.image, namespace, self.workdir, OPENSHIFT_USER if openshift else None)
        fullname = f"{self.name}-aim-migrate"
        for step, kind, name in (
            ("pre-deploy", "Job", fullname),
            ("init", "Deployment", f"{fullname}-example-backend"),
            ("post-deploy", "Job", f"{fullname}-post-deploy"),
        ):
            spec = pod_of(docs, kind, name)
            runner = runner_of(spec)
            # The URL arrives as the mode under test: a mounted file or a secretKeyRef.
            env = {item["name"] for item in runner["env"]}
            as_file = self.values["database"].get("mountAsFile", True)
            assert ("DATABASE_URL_FILE" in env, "DATABASE_URL" in env) == (as_file, not as_file)
            run = pod.run(spec, runner)
            assert run.code == 0, f"{step}:\n{run.stdout}\n{run.stderr}"
            yield step, run


def _applied(database: Database) -> list[tuple[Any, ...]]:
    return database.query("SELECT version, phase, status FROM schema_migrations ORDER BY version")


def _columns(database: Database) -> list[str]:
    rows = database.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' "
        "ORDER BY ordinal_position"
    )
    return [str(name) for (name,) in rows]


@pytest.fixture
def release(
    request: pytest.FixtureRequest, container: Container, database: Database, tmp_path: Path
) -> Release:
    mode = request.param
    existing = Namespace()
    if mode == "openshift":  # kubectl create secret generic aim-db --from-literal=url=...
        existing.secrets["aim-db"] = {"url": database.url.encode()}
    pushgateway_url = None
    if mode == "secret-file":
        gateway: Pushgateway = request.getfixturevalue("pushgateway")
        pushgateway_url = gateway.url
    name = f"chartrun-{uuid.uuid4().hex[:6]}"
    values = chart_values(mode, database.url, pushgateway_url)
    return Release(name, values, container, tmp_path, existing)


@pytest.mark.parametrize("release", ["secret-file", "secret-env", "openshift"], indirect=True)
def test_rendered_containers_run_in_the_image(release: Release, database: Database) -> None:
    # Install: everything pending is applied before the backend starts.
    install = dict(release.deploy(RELEASE_1))
    assert install["pre-deploy"].event("run.finished")["applied"] == 1
    assert install["pre-deploy"].event("db.detected")["track"] == "chain"  # no baseline file
    assert install["init"].names()[-2:] == ["wait.ready", "run.finished"]
    assert install["post-deploy"].event("run.finished")["applied"] == 0
    assert _applied(database) == [("001_accounts", "pre-deploy", "applied")]

    # Upgrade: the pre-deploy Job applies 003 and leaves the contract step 002 for the
    # post-deploy Job, after the rollout (whose init containers wait for 003 only).
    steps = release.deploy(RELEASE_2)
    step, pre = next(steps)
    assert step == "pre-deploy"
    assert pre.event("run.finished")["applied"] == 1
    assert pre.event("db.detected")["deferred"] == ["002_drop_legacy_name"]
    assert [v for v, _, _ in _applied(database)] == ["001_accounts", "003_add_email"]
    step, init = next(steps)
    assert step == "init"
    assert init.names()[-2:] == ["wait.ready", "run.finished"]
    assert "legacy_name" in _columns(database)  # the old code may still read it
    step, post = next(steps)
    assert step == "post-deploy"
    assert post.event("run.finished")["applied"] == 1
    assert next(steps, None) is None
    assert _applied(database) == [
        ("001_accounts", "pre-deploy", "applied"),
        ("002_drop_legacy_name", "post-deploy", "applied"),
        ("003_add_email", "pre-deploy", "applied"),
    ]
    assert _columns(database) == ["id", "email"]
    history = database.history()
    assert [status for _, _, status, _ in history] == ["applied"] * 3
    assert all(len(checksum) == 64 for *_, checksum in history)

    # The settings the chart rendered reached the runner (config.logLevel=debug).
    assert any(event["level"] == "debug" for event in pre.events)
    if "metrics" in release.values:
        gateway_url = release.values["metrics"]["pushgatewayUrl"]
        gateway = Pushgateway(gateway_url)
        metrics = gateway.metrics(namespace=NAMESPACE, release=release.name)
        assert metrics["aim_migrate_last_run_success"][0] == 1
        assert metrics["aim_migrate_schema_version"][0] == 3
        labels = metrics["aim_migrate_last_run_success"][1]
        assert labels["job"] == "aim-migrate"
        assert labels["database"] == database.name
