"""The container image, built and run for real with buildah (no Docker engine here).

Base images cannot be pulled here, so the test makes a stand-in for the official slim Python
image: a Debian bookworm root filesystem from debootstrap (python3, python3-venv,
ca-certificates), cached between runs, imported as an image and passed as BASE_IMAGE. The
image is then run against the real PostgreSQL: a fresh run, a no-op run, and failing runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Database, Run, write_migrations

pytestmark = pytest.mark.slow

CACHE = Path(os.environ.get("AIM_TEST_CACHE", Path.home() / ".cache" / "aim-migrate-tests"))
BASE_TAR = CACHE / "bookworm-python3-rootfs.tar"
BASE_IMAGE = "localhost/aim-test-base:bookworm"
IMAGE = "localhost/aim-migrate:test"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (scripts/test installs them as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Buildah:
    store: Path

    def __call__(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        command = [
            "buildah",
            "--storage-driver",
            "vfs",
            "--root",
            str(self.store / "root"),
            "--runroot",
            str(self.store / "runroot"),
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def ok(self, *args: str, timeout: float = 900) -> str:
        done = self(*args, timeout=timeout)
        assert done.returncode == 0, f"buildah {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return done.stdout.strip()


def _base_rootfs() -> Path:
    """debootstrap once (about a minute), then reuse the tarball."""
    if BASE_TAR.exists():
        return BASE_TAR
    _require("debootstrap")
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"rootfs-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                "bookworm",
                str(target),
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        partial = BASE_TAR.with_suffix(".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(target, arcname=".")
        partial.rename(BASE_TAR)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return BASE_TAR


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Buildah]:
    _require("buildah")
    if os.geteuid() != 0:
        pytest.skip("buildah with chroot isolation needs root here")
    build = tmp_path_factory.mktemp("buildah")
    buildah = Buildah(build / "store")  # a private store under the build directory
    base_context = build / "base"
    base_context.mkdir()
    try:
        os.link(_base_rootfs(), base_context / "rootfs.tar")
    except OSError:  # another filesystem
        shutil.copy(_base_rootfs(), base_context / "rootfs.tar")
    (base_context / "Containerfile").write_text("FROM scratch\nADD rootfs.tar /\n")
    buildah.ok("build", "--isolation", "chroot", "-t", BASE_IMAGE, str(base_context))
    started = time.monotonic()
    buildah.ok(
        "build",
        "--isolation",
        "chroot",
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        "-v",
        f"{CA_BUNDLE}:{CA_BUNDLE}:ro",  # package downloads in RUN need the host's CA bundle
        "-t",
        IMAGE,
        str(ROOT),
        timeout=1200,
    )
    print(f"image built in {time.monotonic() - started:.0f} s")
    yield buildah
    shutil.rmtree(build / "store", ignore_errors=True)


def image_config(buildah: Buildah) -> dict[str, Any]:
    """The OCI image configuration, as `docker inspect` would show it."""
    return dict(json.loads(buildah.ok("inspect", "--type", "image", IMAGE))["OCIv1"]["config"])


def run_image(
    buildah: Buildah, env: dict[str, str], *args: str, volumes: tuple[str, ...] = ()
) -> tuple[Run, Path]:
    """`docker run IMAGE [args]`: entrypoint and command from the image's own config, as the
    image's user, with /opt, /usr and /app bind-mounted read-only and /tmp as a tmpfs."""
    config = image_config(buildah)
    container = buildah.ok("from", "--pull-never", IMAGE)
    try:
        root = Path(buildah.ok("mount", container))
        marker = root / "tmp" / ".before-run"
        marker.touch()
        time.sleep(0.01)
        command = [*config["Entrypoint"], *(args or config["Cmd"])]
        flags = ["--isolation", "chroot", "--user", config["User"], "--network", "host"]
        for name, value in env.items():
            flags += ["--env", f"{name}={value}"]
        for directory in ("opt", "usr", "app"):
            flags += ["-v", f"{root / directory}:/{directory}:ro"]
        flags += ["--mount", "type=tmpfs,destination=/tmp"]
        for volume in volumes:
            flags += ["-v", volume]
        done = buildah("run", *flags, container, "--", *command, timeout=300)
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
                "-not",
                "-path",
                f"{root}/tmp/*",
                "-not",
                "-path",
                f"{root}/etc/*",  # resolv.conf and hosts, written by buildah itself
                "-not",
                "-path",
                f"{root}/run/*",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert written == [], f"the container wrote outside /tmp: {written}"
        return Run(done.returncode, done.stdout, done.stderr), root
    finally:
        buildah("umount", container)
        buildah("rm", container)


def test_image_configuration(image: Buildah) -> None:
    config = image_config(image)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["aim-migrate"]
    assert config["Cmd"] == ["migrate"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["AIM_MIGRATIONS_DIR"] == "/app/migrations"
    assert config["Labels"]["org.opencontainers.image.title"] == "aim-migrate"
    assert config["Labels"]["org.opencontainers.image.version"]


def test_image_holds_only_what_runs(image: Buildah) -> None:
    container = image.ok("from", "--pull-never", IMAGE)
    try:
        root = Path(image.ok("mount", container))
        venv = root / "opt" / "aim-migrate"
        assert (venv / "bin" / "aim-migrate").exists()
        assert not list(venv.glob("bin/pip*"))
        site = next(venv.glob("lib/python3*/site-packages"))
        assert not (site / "pip").exists()
        assert list((site / "aim_migrate" / "__pycache__").glob("cli.*.pyc")), "not compiled"
        assert not (site / "app").exists()  # the wheel ships only the aim_migrate package
        assert list((site / "psycopg" / "__pycache__").glob("*.pyc"))
        assert (root / "app" / "migrations" / "V1__consolidated_schema.sql").exists()
        for leaked in ("tests", ".git", ".venv"):
            assert not (root / "app" / leaked).exists()
            assert not (root / "src" / leaked).exists()
        for compiler in ("gcc", "cc", "g++"):
            assert not (root / "usr" / "bin" / compiler).exists()
        assert not list(root.glob("root/.cache/pip*"))
    finally:
        image("umount", container)
        image("rm", container)


def test_docker_run_story_fresh_noop_and_failures(
    image: Buildah, database: Database, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database.url}
    fresh, _ = run_image(image, env)
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    assert fresh.event("db.detected")["track"] == "baseline"
    assert len(database.tables() - {"schema_migrations"}) == 31
    assert [json.loads(line)["event"] for line in fresh.stdout.splitlines()][-1] == "run.finished"

    noop, _ = run_image(image, env)
    assert noop.code == 0
    assert noop.event("run.finished")["applied"] == 0

    # A mounted migrations directory replaces the baked-in one; an edited applied file fails.
    mounted = write_migrations(tmp_path / "mounted", {})
    for f in (ROOT / "migrations").glob("*.sql"):
        shutil.copy(f, mounted / f.name)
    (mounted / "001_initial_schema.sql").write_text("-- edited after it was applied\n")
    mounted.chmod(0o755)
    tampered, _ = run_image(
        image,
        {**env, "AIM_MIGRATIONS_DIR": "/migrations"},
        volumes=(f"{mounted}:/migrations:ro",),
    )
    assert tampered.code == 3
    assert tampered.event("validation.checksum_mismatch")

    unreachable, _ = run_image(
        image, {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x", "AIM_CONNECT_TIMEOUT": "1"}
    )
    assert unreachable.code == 4

    missing, _ = run_image(image, {})
    assert missing.code == 2
