"""Two clean runs give the same bytes: every file under data/processed/ and reports/.

The first run is the built project (tests/conftest.py: make, TZ=UTC as the Makefile sets it). The second
starts from another copy of the checkout at a different, deeper path with a space in it, and runs
`make report YEAR=2022 TZ=Pacific/Kiritimati` and the same with DISTRICT=181 (UTC+14: a different calendar
day for most of the day; a variable on make's command line overrides the Makefile's TZ), SOURCE_DATE_EPOCH
fixed: sample registers, build, registers, validate, the province report and Bình Gia's, each rendered
alone where the built project rendered them in one batch. Every file it writes must be
byte-identical to the built project's, so outputs may depend neither on where the project lives nor on the
local clock's zone. Its 2022 MANIFEST.sha256 lists two of the twelve reports: each of its lines must be a
line of the built project's. Left out: reports/run_log.jsonl (a log, with wall-clock times by design) and
names starting with "." (make's stamps). Neither run may leave work-in-progress files, nor write the path of
its folder into an output.
"""
import difflib
from pathlib import Path

import pytest

from pipeline.tools import runner
from tests import e2e

pytestmark = pytest.mark.e2e

SECOND = (("report", "YEAR=2022", "TZ=Pacific/Kiritimati"),
          ("report", "YEAR=2022", "DISTRICT=181", "TZ=Pacific/Kiritimati"))
MANIFEST = "reports/2022/MANIFEST.sha256"
EXPECTED = ("data/processed/validation_results.parquet", "data/processed/register_households.parquet",
            "reports/gate/index.html", "reports/2022/annual_report.html", "reports/2022/annual_report.ipynb",
            "reports/2022/annual_report.xlsx", "reports/2022/districts/huyen-binh-gia.html", MANIFEST)


def second_run(tmp_path: Path) -> Path:
    root = e2e.copy_of_checkout(tmp_path / "a deeper" / "path" / "project")
    for args in SECOND:
        result = e2e.make(root, *args)
        assert result.returncode == 0, e2e.output(result)
    return root


def first_difference(a: Path, b: Path) -> str:
    """A few lines around the first difference of two text files ("" for binary files)."""
    try:
        left, right = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""
    diff = difflib.unified_diff(left.splitlines(), right.splitlines(), lineterm="", n=0)
    return "\n".join(line[:300] for _, line in zip(range(8), diff))


def test_a_second_clean_run_elsewhere_gives_identical_bytes(built_project, tmp_path):
    """One test (not one per check), so that two test workers never both make the second run."""
    first, second = built_project.root, second_run(tmp_path)
    a, b = runner.output_hashes(first), runner.output_hashes(second)
    missing = [name for name in EXPECTED if name not in b]
    assert not missing, f"the second run did not produce {missing}"
    problems = [f"only in the second run: {name}" for name in sorted(set(b) - set(a))]
    for name in sorted(name for name in set(a) & set(b) if a[name] != b[name] and name != MANIFEST):
        problems.append(f"different bytes: {name}")
        excerpt = first_difference(first / name, second / name)
        if excerpt and len(problems) < 40:
            problems += ["    " + line for line in excerpt.splitlines()]
    listed = set((first / MANIFEST).read_text(encoding="utf-8").splitlines())
    problems += [f"{MANIFEST} of the second run has a line the built project's has not: {line}"
                 for line in (second / MANIFEST).read_text(encoding="utf-8").splitlines() if line not in listed]
    for root in (first, second):
        problems += [f"work in progress left in {root}: {name}" for name in runner.partial_outputs(root)]
        needle = str(root.parent).encode()  # neither copy's path, nor the folder around it, inside an output
        problems += [f"{root.parent} is written inside {name}" for name in runner.output_hashes(root)
                     if needle in (root / name).read_bytes()]
    assert not problems, f"{first} (TZ=UTC) and {second} (TZ=Pacific/Kiritimati):\n" + "\n".join(problems)
