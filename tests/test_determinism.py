"""Two clean runs give the same bytes: every file under data/processed/ and reports/.

The pipeline runs twice from raw data only, through the CLI as make runs it (build, validate, render
2022, render 2021, render 2022 district 181), in two temporary copies of the project at different
paths and with different time zones (TZ=UTC and TZ=Pacific/Kiritimati, UTC+14: a different calendar
day for most of the day), SOURCE_DATE_EPOCH fixed. So the outputs may depend neither on where the
project lives nor on the local clock's zone. Left out of the comparison: reports/run_log.jsonl (a log,
with wall-clock times by design) and names starting with "." (make's stamps).
"""
import difflib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.tools import runner
from pipeline.tools.project_copy import copy_project

EPOCH = "1640995200"
RUNS = {  # folder under tmp -> environment differences
    "a/project": {"TZ": "UTC"},
    "b/a deeper/path/project": {"TZ": "Pacific/Kiritimati"},
}
EXPECTED = ("data/processed/validation_results.parquet", "reports/data_docs/index.html",
            "reports/2022/annual_report.html", "reports/2022/annual_report.ipynb", "reports/2022/annual_report.xlsx",
            "reports/2021/annual_report.html", "reports/2022/districts/huyen-binh-gia.html")


def run_all(root: Path, overrides: dict) -> list[str]:
    """Every stage in order; returns failure messages (empty when all succeeded)."""
    env = runner.stage_env(root, SOURCE_DATE_EPOCH=EPOCH, **overrides)
    for label, args in runner.stages("2022", "2021", "181"):
        result = runner.run_stage(root, label, args, env)
        if result.returncode != 0:
            return [f"{root}: {label} failed (exit {result.returncode}):\n{result.stderr[-2000:]}"]
    return []


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("determinism")
    source = copy_project(tmp / "source")  # one snapshot of the working tree for both runs
    roots = {copy_project(tmp / folder, source): overrides for folder, overrides in RUNS.items()}
    with ThreadPoolExecutor(max_workers=len(roots)) as pool:
        failures = [m for ms in pool.map(lambda item: run_all(*item), roots.items()) for m in ms]
    assert not failures, "\n".join(failures)
    return list(roots)


def first_difference(a: Path, b: Path) -> str:
    """A few lines around the first difference of two text files ("" for binary files)."""
    try:
        left, right = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""
    diff = difflib.unified_diff(left.splitlines(), right.splitlines(), lineterm="", n=0)
    return "\n".join(line[:300] for _, line in zip(range(8), diff))


def test_two_clean_runs_give_identical_bytes(runs):
    first, second = runs
    a, b = runner.output_hashes(first), runner.output_hashes(second)
    missing = [name for name in EXPECTED if name not in a]
    assert not missing, f"the run did not produce {missing}"
    diff = runner.compare_hashes(a, b)
    if any(diff.values()):
        lines = [f"outputs differ between {first} (TZ=UTC) and {second} (TZ=Pacific/Kiritimati):"]
        lines += [f"  only in the first run: {name}" for name in diff["only_expected"]]
        lines += [f"  only in the second run: {name}" for name in diff["only_actual"]]
        for name in diff["different"]:
            lines.append(f"  different bytes: {name}")
            excerpt = first_difference(first / name, second / name)
            if excerpt and len(lines) < 80:
                lines += ["      " + line for line in excerpt.splitlines()]
        pytest.fail("\n".join(lines))


def test_runs_leave_no_work_in_progress_files(runs):
    for root in runs:
        assert runner.partial_outputs(root) == [], f"temporary files left in {root}"


def test_outputs_do_not_name_the_project_folder(runs):
    """Neither copy's path (nor the temporary folder around it) appears inside any output file."""
    for root in runs:
        needle = str(root.parent).encode()
        leaking = [name for name in runner.output_hashes(root) if needle in (root / name).read_bytes()]
        assert not leaking, f"{root.parent} is written inside {leaking}"
