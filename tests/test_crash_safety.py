"""Killing the pipeline at any moment leaves no partial output, and the next run repairs everything.

In a temporary copy of the project with a completed run (outputs C; the same inputs give the same
bytes, see test_determinism.py), `build && registers && validate && render --year 2022` is started as its own
process group and SIGKILLed (the group, plus the papermill kernel, which jupyter_client starts in a
session of its own) at 10 %, 50 % and 90 % of each stage's duration in the clean run, counted from the
moment that stage's process appears, and once more while GX is writing the new Data Docs site: 13 kill
points, one after the other in the same copy. To keep the test short, a kill aimed at a later stage
starts the chain at that stage (`validate && render`, `render`) when every file of C is in place (the
earlier stages would only rewrite the same bytes); otherwise the whole chain runs.

After every kill, every output file present under data/processed/ and reports/ is byte-identical to
C. A missing one is fine (validate deletes validation_results.parquet first on purpose; a folder
swap has a moment with no data_docs/). A killed writer cannot clean up, so its work in progress may
stay behind, but only under a hidden work-in-progress name (atomic.py's `.<name>.<random>.tmp`,
validate.py's `.data_docs-new-*` / `.data_docs-old-*`), never at an output's name. Then the chain
runs again, undisturbed: the tree must equal C exactly and no work-in-progress name may be left.

The register stage's DuckDB folder (database and spill files, under TMPDIR) that a kill leaves behind is
removed by the next run of the stage: after the last run none is left.

A kill lands in a millisecond-long write window only by luck, so such leftovers are also planted
deliberately: Data Docs staging/old folders before that last run (it must remove them), and
atomic.py's temporary files in the second test (the next write of the same target removes them).
"""
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pipeline.registers import engine
from pipeline.tools import runner
from pipeline.tools.project_copy import copy_project

EPOCH = "1640995200"
STAGES = runner.stages("2022", also_year="", district="")  # build, registers, validate, render 2022
FRACTIONS = (0.1, 0.5, 0.9)
DATA_DOCS_STAGING = "reports/.data_docs-new-*"


def chain_command(first: str = "build") -> list[str]:
    """`build && registers && validate && render --year 2022` as one shell command, or its tail from stage `first`."""
    python = shlex.quote(sys.executable)
    tail = [args for _, args in STAGES][[args[0] for _, args in STAGES].index(first):]
    return ["bash", "-c", " && ".join(f"{python} -m pipeline {shlex.join(args)}" for args in tail)]


def run_chain(root: Path, env: dict) -> list[runner.StageRun]:
    results = []
    for label, args in STAGES:
        result = runner.run_stage(root, label, args, env)
        assert result.returncode == 0, f"{label} failed:\n{result.stderr[-2000:]}"
        results.append(result)
    return results


def stage_of(processes: list[psutil.Process]) -> str:
    """The stage that was running: X of a `python -m pipeline X` among the processes."""
    for proc in processes:
        try:
            line = proc.cmdline()
        except psutil.Error:
            continue
        for i in range(len(line) - 2):
            if line[i:i + 2] == ["-m", "pipeline"]:
                return line[i + 2]
    return "between stages"


def running_stage(chain: psutil.Process) -> str:
    try:
        return stage_of([chain, *chain.children(recursive=True)])
    except psutil.NoSuchProcess:
        return "finished"


def kill_chain(root: Path, env: dict, first: str, stage: str | None = None, delay: float = 0.0,
               when_exists: str | None = None) -> tuple[str, int | None]:
    """Start the chain at stage `first`; SIGKILL its process group and every descendant `delay` s after
    the `stage` process started, or `delay` s after a path matching the glob `when_exists` appeared.

    Returns the stage that was running ("finished" if the chain ended first) and the chain's exit code
    if it ended by itself (None if killed).
    """
    chain = psutil.Popen(chain_command(first), cwd=root, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = (lambda: running_stage(chain) == stage) if stage else (lambda: any(root.glob(when_exists)))
    while not started():
        if chain.poll() is not None:
            return "finished", chain.returncode
        time.sleep(0.005)
    with contextlib.suppress(psutil.TimeoutExpired):  # still running after `delay`: kill it
        return "finished", chain.wait(timeout=delay)
    try:
        family = [chain, *chain.children(recursive=True)]
    except psutil.NoSuchProcess:
        family = [chain]
    hit = stage_of(family)
    with contextlib.suppress(ProcessLookupError):  # the group may have ended a moment ago
        os.killpg(chain.pid, signal.SIGKILL)
    for proc in family:  # the kernel lives in a session of its own: killpg does not reach it
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(family, timeout=10)
    return hit, None


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy with a completed clean run: (root, env, hashes C, {stage: duration in s})."""
    tmp = tmp_path_factory.mktemp("crash")
    root = copy_project(tmp / "project")
    scratch = tmp / "t"  # the pipeline's own temporary folders (papermill's) go here, not to /tmp
    scratch.mkdir()
    env = runner.stage_env(root, SOURCE_DATE_EPOCH=EPOCH, TMPDIR=str(scratch))
    results = run_chain(root, env)
    clean = runner.output_hashes(root)
    assert "reports/2022/annual_report.html" in clean and runner.partial_outputs(root) == []
    return root, env, clean, {args[0]: result.wall_s for (_, args), result in zip(STAGES, results)}


def test_a_killed_run_leaves_no_partial_output_and_the_next_run_repairs_it(project):
    root, env, clean, durations = project
    kills = [(f"{stage} at {fraction:.0%}", {"stage": stage, "delay": fraction * duration})
             for stage, duration in durations.items() for fraction in FRACTIONS]
    kills.append(("while Data Docs are written", {"when_exists": DATA_DOCS_STAGING, "delay": 0.15}))
    log, problems, leftovers = [], [], set()
    for name, how in kills:
        # With every output of C in place, earlier stages would only rewrite the same bytes: start at the
        # stage aimed at. After a kill that left something missing (validate deletes its results first),
        # run the whole chain, as make would.
        complete = set(clean) <= set(runner.output_hashes(root))
        first = how.get("stage", "validate") if complete else "build"
        hit, exit_code = kill_chain(root, env, first, **how)
        left = runner.partial_outputs(root)
        leftovers.update(left)
        what = f"killed during {hit}" if exit_code is None else f"ended before the kill (exit {exit_code})"
        log.append(f"{name}: {what}" + (f"; left {left}" if left else ""))
        if exit_code not in (None, 0):
            problems.append(f"{name}: the chain failed by itself (exit {exit_code})")
        diff = runner.compare_hashes(clean, runner.output_hashes(root))
        if diff["only_actual"] or diff["different"]:
            problems.append(f"{name}: files that are not the clean run's: {diff['different'] + diff['only_actual']}")
    hit_stages = {line.split("killed during ", 1)[1].split(";")[0] for line in log if "killed during " in line}
    assert {"build", "validate", "render"} <= hit_stages, "kill points missed a stage:\n" + "\n".join(log)
    assert any(".data_docs-new-" in name for name in leftovers), (
        "the kill while Data Docs are written left no staging folder: it did not land where it should\n"
        + "\n".join(log))

    for relative in PLANTED_DATA_DOCS:  # as if a kill had landed in the last moments of a folder swap
        plant(root / relative)
    run_chain(root, env)
    diff = runner.compare_hashes(clean, runner.output_hashes(root))
    if any(diff.values()):
        problems.append(f"after the rerun the tree differs from a clean run: {diff}")
    if runner.partial_outputs(root):
        problems.append(f"after the rerun, work in progress is still there: {runner.partial_outputs(root)}")
    spill = sorted(Path(env["TMPDIR"]).glob(f"{engine.TEMP_PREFIX}*"))  # DuckDB's folders of killed register stages
    if spill:
        problems.append(f"after the rerun, DuckDB folders of killed runs are still there: {spill}")
    print("kill points:", *log, sep="\n")  # shown with pytest -rP
    assert not problems, "\n".join(problems) + "\n\nkill points:\n" + "\n".join(log)


# What a kill leaves when it lands inside a write (planted: the windows are milliseconds long).
PLANTED_DATA_DOCS = ("reports/.data_docs-new-killed0/index.html",
                     "reports/.data_docs-old-killed0/data_docs/index.html")
PLANTED_TEMPS = {  # stage that writes the file -> its temporary file
    "build": "data/processed/.budget_lines.parquet.killed0.tmp",
    "render": "reports/2022/.annual_report.html.killed0.tmp",
}


class LeftBehind(AssertionError):
    """A killed writer's temporary file survived the next run."""


def plant(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a file")


@pytest.mark.parametrize("stage", sorted(PLANTED_TEMPS))
def test_the_next_run_removes_a_killed_writers_temporary_file(project, stage):
    root, env, clean, _ = project
    leftover = root / PLANTED_TEMPS[stage]
    plant(leftover)
    try:
        label, args = next((label, args) for label, args in STAGES if args[0] == stage)
        result = runner.run_stage(root, label, args, env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert runner.output_hashes(root) == clean
        if leftover.exists():
            raise LeftBehind(f"{PLANTED_TEMPS[stage]} is still there after `python -m pipeline {stage}`")
    finally:
        leftover.unlink(missing_ok=True)
