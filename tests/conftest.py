"""Two tiers of tests (README, "Testing").

Fast, unmarked: in-process, on small hand-made or generated data; they never read the checkout's
data/processed or reports/. `make test-fast` runs them.

End-to-end, marked `e2e`: they run make or the pipeline on the ONE project built per test run,
`built_project`: a copy of the checkout in which make has run build, registers, validate, the 2022
reports (province, districts, index) and the 2021 report. A test that only reads it takes
`built_project`; a test that changes or runs anything takes `project_copy`, its own copy of it, so no
test depends on another. `make test` runs both tiers, in two pytest-xdist workers (--dist worksteal).
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from pipeline.registers import files as register_files
from pipeline.registers import stage as register
from pipeline.tools import runner
from pipeline.tools import synthetic_registers as sr
from tests import e2e

# What the built project is made with, in this order: every e2e test may rely on these outputs.
BUILD = (("reports", "YEAR=2022"), ("report", "YEAR=2021"))
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … in a pytest-xdist worker, else None


@dataclass(frozen=True)
class BuiltProject:
    root: Path
    logs: dict[str, runner.StageRun]  # "reports YEAR=2022" -> what that make run printed


def pytest_collection_modifyitems(config, items):
    """Run alone, fast tests first (a broken unit fails in seconds). In xdist workers, end-to-end tests first:
    --dist worksteal gives the first half of the list to one worker, which builds the project while the other
    runs fast tests, then takes end-to-end tests from it."""
    first = "e2e" if WORKER else "fast"
    items.sort(key=lambda item: ("e2e" if item.get_closest_marker("e2e") else "fast") != first)


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> BuiltProject:
    """The project built once per test run by make, from a copy of the checkout (see the module docstring).

    Under pytest-xdist the workers share it: the first to need it builds it in their common temporary folder
    while holding a lock and writes down where it is (or why it failed); the others wait for the lock and
    read that.
    """
    shared = tmp_path_factory.getbasetemp()
    if WORKER:
        shared = shared.parent  # pytest-<n>/, around each worker's own popen-gw<i>/
    with open(shared / "built_project.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = shared / "built_project.json"
        if not record.exists():
            record.write_text(json.dumps(_build(shared / "built" / "project")), encoding="utf-8")
        built = json.loads(record.read_text(encoding="utf-8"))
    if built["failed"]:
        pytest.fail(built["failed"], pytrace=False)
    return BuiltProject(Path(built["root"]), {name: runner.StageRun(**run) for name, run in built["logs"].items()})


def _build(root: Path) -> dict:
    e2e.copy_of_checkout(root)
    logs, failed = {}, ""
    for args in BUILD:
        result = e2e.make(root, *args)
        logs[" ".join(args)] = dataclasses.asdict(result)
        if result.returncode != 0:
            failed = "the built project could not be built: " + e2e.output(result)
            break
    return {"root": str(root), "logs": logs, "failed": failed}


@pytest.fixture
def project_copy(built_project, tmp_path) -> Path:
    """A copy of the built project for one test to change and run things in (≈ 0.3 s)."""
    return e2e.copy_of_built(built_project.root, tmp_path / "project")


# ---------------------------------------------------------------- fast tier: shared small data

@pytest.fixture(scope="session")
def small_registers(tmp_path_factory) -> tuple[Path, dict]:
    """A small synthetic province (K = 0.02: ≈ 4k households a year, seed 11) and its generator manifest."""
    out = tmp_path_factory.mktemp("small") / "registers"
    return out, sr.generate(out, seed=11, scale=0.02)


@pytest.fixture(scope="session")
def small_register_tables(small_registers) -> dict[str, pd.DataFrame]:
    """The register stage's tables of `small_registers`, with the demo key of the untouched synthetic sample."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(register_files.PSEUDONYM_KEY_ENV, raising=False)
        return register.build_tables(small_registers[0])
