"""Helpers of the end-to-end tier (tests marked `e2e`): copies of the project, and `make` run in a copy.

The project is built once per test run (tests/conftest.py, `built_project`); tests read it, or take a
copy of it (`project_copy`) when they change or run anything. Nothing is ever written to the checkout.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from pipeline import paths
from pipeline.tools import runner
from pipeline.tools.project_copy import copy_project

EPOCH = "1640995200"  # the Makefile's SOURCE_DATE_EPOCH outside git (a copy has no commit to date)
# Variables of an outer make (`make test`) that must not leak into the make run in a copy.
OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")


def copy_of_checkout(root: Path) -> Path:
    """What a fresh clone has after `make setup`, at `root`: code, notebooks, suites, raw data and the Makefile.

    No household registers: make generates the synthetic sample, as in a fresh clone. The shared .venv is
    linked, and the input stamps are copied with their mtimes, so make finds the .venv up to date.
    """
    copy_project(root, paths.ROOT, registers=False)
    shutil.copy2(paths.ROOT / "Makefile", root / "Makefile")
    if (paths.ROOT / ".stamps").is_dir():
        shutil.copytree(paths.ROOT / ".stamps", root / ".stamps")
    (root / ".venv").symlink_to(paths.ROOT / ".venv")
    return root


def copy_with_sample_registers(root: Path) -> Path:
    """A fresh clone after `make setup` and `make sample-data`, at `root`: ready for a stage, nothing built yet."""
    copy_of_checkout(root)
    result = make(root, "sample-data")
    assert result.returncode == 0, output(result)
    return root


def copy_of_built(source: Path, root: Path) -> Path:
    """A copy of a built project with its outputs and make's stamps, mtimes kept: make finds it up to date."""
    shutil.copytree(source, root, symlinks=True)
    return root


def make_env(root: Path, **overrides: str) -> dict[str, str]:
    """The environment make runs with in the copy at `root` (the Makefile's own, a fixed SOURCE_DATE_EPOCH)."""
    environment = runner.stage_env(root, SOURCE_DATE_EPOCH=EPOCH, **overrides)
    return {k: v for k, v in environment.items() if k not in OUTER_MAKE}


def make(root: Path, *args: str, env: dict[str, str] | None = None) -> runner.StageRun:
    """`make <args>` in the copy at `root`, as a statistician runs it: how the e2e tests run stages.

    `env` adds to the environment (e.g. a pseudonym key); Makefile variables go in `args` (YEAR=2022).
    """
    environment = make_env(root, **(env or {}))
    return runner.run_command(root, f"make {' '.join(args)}", ["make", "--no-print-directory", *args], environment)


def output(result: runner.StageRun) -> str:
    """stdout and stderr of a run, for assertion messages."""
    return f"{result.label} exited {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
