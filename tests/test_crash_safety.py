"""Killing `make` at any moment leaves no partial output, and the next `make` repairs everything.

In a copy of the built project (its outputs are C; the same inputs give the same bytes, see
test_determinism.py), `make report YEAR=2022` is started as its own process group and SIGKILLed (the group,
plus every descendant, in case one started a session of its own) once in each stage, the last stage first,
one kill after the other in the same copy:

- render at 50 % of its duration (in the built project's run log), counted from the moment its process appears;
- validate at 50 %, counted from the moment its results file is gone (validate deletes it and its page
  first, on purpose: a stale pass is never trusted), so the kill lands while GX checks the tables, not
  while Python imports GX;
- registers at 50 % (in DuckDB's work; the DuckDB folder of the killed stage stays under TMPDIR);
- build at 70 % (reading and writing its tables).

A stage is made to run by removing its done-stamp (make's record that it ran). Aiming at the stages last to first,
each run starts at the stage aimed at, and after the last kill no stage is done.

After every kill, every output file present under data/processed/ and reports/ is byte-identical to C. A
missing one is fine. A killed writer cannot clean up, so its work in progress may stay behind, but only under
a hidden work-in-progress name (atomic.py's `.<name>.<random>.tmp`), never at an output's name. Then
`make report YEAR=2022` runs again, undisturbed: the tree must equal C exactly, with no work-in-progress name
and no DuckDB folder of a killed run left.

A kill lands in a millisecond-long write window only by luck, so such leftovers are also planted before that
last run (it must remove them): atomic.py's temporary files beside a table that build writes, beside the
gate page and beside the report.
"""
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from pipeline.registers import engine
from pipeline.tools import runner
from tests import e2e

pytestmark = pytest.mark.e2e

TARGET = ("report", "YEAR=2022")
STAMPS = {"build": "data/processed/.stamps/build.done", "registers": "data/processed/.stamps/registers.done",
          "validate": "data/processed/.stamps/validate.done", "render": "reports/2022/.report-province.done"}
REPORT = "reports/2022/annual_report.html"
# (name, stage aimed at, fraction of its duration)
KILLS = (("render at 50 %", "render", 0.5), ("validate at 50 %", "validate", 0.5),
         ("registers at 50 %", "registers", 0.5), ("build at 70 %", "build", 0.7))
# A stage whose clock starts when this output is gone (its first act), not when its process appears.
WORK_STARTS_WHEN_GONE = {"validate": "data/processed/validation_results.parquet"}
# What a kill leaves when it lands inside a write (planted: the windows are milliseconds long).
PLANTED = ("data/processed/.budget_lines.parquet.killed0.tmp", "reports/gate/.index.html.killed0.tmp",
           "reports/2022/.annual_report.html.killed0.tmp")


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


def kill_make(root: Path, env: dict, stage: str, delay: float) -> tuple[str, int | None]:
    """Start `make report YEAR=2022`; SIGKILL its process group and every descendant `delay` s after the
    `stage` process started (or, for a stage of WORK_STARTS_WHEN_GONE, after it deleted that output).

    Returns the stage that was running ("finished" if make ended first) and make's exit code if it ended by
    itself (None if killed).
    """
    chain = psutil.Popen(["make", "--no-print-directory", *TARGET], cwd=root, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gone = WORK_STARTS_WHEN_GONE.get(stage)
    while running_stage(chain) != stage or (gone and (root / gone).exists()):
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
    for proc in family:  # a descendant in a session of its own would escape killpg
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(family, timeout=10)
    return hit, None


def durations(root: Path) -> dict[str, float]:
    """Each stage's duration in seconds in the built project's run log (render: the one-report render of 2021)."""
    log = [json.loads(line) for line in (root / runner.LOG_FILE).read_text(encoding="utf-8").splitlines()]
    return {entry["stage"]: entry["duration_s"] for entry in log if entry.get("status") == "ok"}


def plant(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a file")


def test_a_killed_run_leaves_no_partial_output_and_the_next_run_repairs_it(project_copy, tmp_path):
    root = project_copy
    scratch = tmp_path / "t"  # the pipeline's own temporary folders (DuckDB's, papermill's) go here
    scratch.mkdir()
    env = e2e.make_env(root, TMPDIR=str(scratch))
    clean = runner.output_hashes(root)
    assert REPORT in clean and runner.partial_outputs(root) == []
    seconds = durations(root)
    log, problems = [], []
    for name, stage, fraction in KILLS:
        delay = fraction * seconds[stage]
        for _ in range(4):  # a stage may run faster than it did in the built project (another load): aim earlier
            (root / STAMPS[stage]).unlink(missing_ok=True)
            hit, exit_code = kill_make(root, env, stage, delay)
            if hit == stage or exit_code not in (None, 0):
                break
            delay /= 2
        left = runner.partial_outputs(root)
        what = f"killed during {hit}" if exit_code is None else f"ended before the kill (exit {exit_code})"
        log.append(f"{name}: {what}" + (f"; left {left}" if left else ""))
        if exit_code not in (None, 0):
            problems.append(f"{name}: make failed by itself (exit {exit_code})")
        elif hit != stage:
            problems.append(f"{name}: the kill did not land in {stage}")
        diff = runner.compare_hashes(clean, runner.output_hashes(root))
        if diff["only_actual"] or diff["different"]:
            problems.append(f"{name}: files that are not the clean run's: {diff['different'] + diff['only_actual']}")

    for relative in PLANTED:
        plant(root / relative)
    rerun = e2e.make(root, *TARGET, env={"TMPDIR": str(scratch)})
    assert rerun.returncode == 0, e2e.output(rerun)
    for stage in (">>> data: build", ">>> data: household registers", ">>> validate", ">>> report"):
        assert stage in rerun.stdout, e2e.output(rerun)  # every stage ran again
    diff = runner.compare_hashes(clean, runner.output_hashes(root))
    if any(diff.values()):
        problems.append(f"after the rerun the tree differs from a clean run: {diff}")
    if runner.partial_outputs(root):
        problems.append(f"after the rerun, work in progress is still there: {runner.partial_outputs(root)}")
    spill = sorted(scratch.glob(f"{engine.TEMP_PREFIX}*"))  # DuckDB's folders of killed register stages
    if spill:
        problems.append(f"after the rerun, DuckDB folders of killed runs are still there: {spill}")
    print("kill points:", *log, sep="\n")  # shown with pytest -rP
    assert not problems, "\n".join(problems) + "\n\nkill points:\n" + "\n".join(log)
