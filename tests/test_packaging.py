"""The package has a name of its own: the wheel ships only `aim_migrate`, and the tool works
installed next to a user's own top-level `app` package (a FastAPI backend usually has one)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",  # hatchling comes with the dev extra
            "--disable-pip-version-check",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("aim_migrate-*.whl")
    return found


def test_the_wheel_ships_only_the_aim_migrate_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    version = wheel.name.split("-")[1]
    assert tops == {"aim_migrate", f"aim_migrate-{version}.dist-info"}
    assert "aim_migrate/cli.py" in names
    assert not [n for n in names if n.startswith("app/")]
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"aim-migrate = aim_migrate.cli:main" in entry_points


def test_installed_beside_a_package_called_app(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # The user's own `app`, with a `__version__` and a `cli` of its own, first on the path.
    user_app = tmp_path / "user" / "app"
    user_app.mkdir(parents=True)
    (user_app / "__init__.py").write_text('__version__ = "the-users-app"\n')
    (user_app / "cli.py").write_text("raise SystemExit('the wrong cli')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIM_", "PG", "DATABASE_URL"))}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "user"), str(target)])
    for command in (
        [sys.executable, "-m", "aim_migrate", "--version"],
        [
            sys.executable,
            "-c",
            "import sys; from aim_migrate.cli import main; sys.exit(main())",
            "--version",
        ],
    ):
        done = subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == "aim-migrate 0.1.0"
    # Installing ours did not touch theirs, and theirs is still what `import app` finds.
    check = subprocess.run(
        [sys.executable, "-c", "import app; print(app.__version__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert check.stdout.strip() == "the-users-app"
    assert not (target / "app").exists()
