"""One district corrects its register: only that district's report and the province report are rendered again.

Issue 4 ("changing one district's register rebuilds that district's outputs and the province report, and
nothing else"), in a throw-away copy of the project with all 12 reports of 2022 made first. The edit
removes one household from Bình Gia's 2022 register, a household whose id appears in no other district
(the one rule that crosses districts, duplicate ids, would rightly involve the other district too).
An edited synthetic file is no longer the untouched sample, so the run needs a real pseudonym key, as a
province with real registers has: it is set for every run here.
"""
from pathlib import Path

import pytest

from pipeline.tools import bench
from tests.test_make_end_to_end import copy_of_project, make, sha

KEY = {"LANGSON_PSEUDONYM_KEY": "test-key-for-incremental-reports-0123456789"}
EDITED_DISTRICT, EDITED_SLUG = "181", "huyen-binh-gia"


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """(project, files before, files after, stdout of the second run)."""
    root = copy_of_project(tmp_path_factory.mktemp("incremental"))
    first = make(root, "reports", "YEAR=2022", env=KEY)
    assert first.returncode == 0, first.stdout + first.stderr
    before = snapshot(root / "reports" / "2022")
    bench.remove_one_household(root / "data" / "raw" / "registers", "2022", EDITED_DISTRICT)
    second = make(root, "reports", "YEAR=2022", env=KEY)
    assert second.returncode == 0, second.stdout + second.stderr
    return root, before, snapshot(root / "reports" / "2022"), second.stdout


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """path -> (sha256, mtime in ns) of every report file."""
    return {p.relative_to(folder).as_posix(): (sha(p), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def test_other_districts_reports_are_kept_byte_for_byte_and_not_rewritten(corrected):
    _, before, after, _ = corrected
    others = [name for name in before if name.startswith("districts/") and EDITED_SLUG not in name]
    assert len(others) == 10 * 4  # html, ipynb, xlsx, run.json of the 10 other districts
    assert {name: after[name] for name in others} == {name: before[name] for name in others}


def test_the_district_and_the_province_report_are_rendered_again(corrected):
    _, before, after, stdout = corrected
    for name in (f"districts/{EDITED_SLUG}.html", f"districts/{EDITED_SLUG}.xlsx", "annual_report.html",
                 "annual_report.xlsx", "MANIFEST.sha256"):
        assert after[name][0] != before[name][0], name
    assert "rendered 2, kept 10" in stdout


def test_the_new_reports_are_what_a_clean_run_makes(corrected, tmp_path):
    """Kept and re-rendered reports together equal a full build from the corrected raw data."""
    root, _, after, _ = corrected
    clean = copy_of_project(tmp_path / "clean")
    (clean / "data" / "raw" / "registers").joinpath("2022", f"ho_{EDITED_DISTRICT}_2022.csv").write_bytes(
        (root / "data" / "raw" / "registers" / "2022" / f"ho_{EDITED_DISTRICT}_2022.csv").read_bytes())
    result = make(clean, "reports", "YEAR=2022", env=KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    rebuilt = snapshot(clean / "reports" / "2022")
    assert {n: h for n, (h, _) in rebuilt.items()} == {n: h for n, (h, _) in after.items()}


def test_the_gate_checks_every_table_again(corrected):
    """Before the reports: the gate (which keeps no results between runs) checks every table again; so does
    the register stage read every register file."""
    import json

    from pipeline import schema

    root = corrected[0]
    log = [json.loads(line) for line in (root / "reports" / "run_log.jsonl").read_text(encoding="utf-8").splitlines()]
    validate = [entry for entry in log if entry["stage"] == "validate"][-1]
    assert validate["validated"] == [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]
    registers = [entry for entry in log if entry["stage"] == "registers"][-1]
    assert len(registers["inputs"]) == 44 + 1  # every register file, and SYNTHETIC.json
