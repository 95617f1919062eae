"""`make report` as a statistician runs it, in a throw-away copy of the project.

Shows: the report is written; a second run does no work; an unknown YEAR lists the valid ones; and bad raw
input (text in an amount, a duplicated row, an unknown district code) fails with file, row and column named
while the previous report stays byte-for-byte as it was.
"""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline import paths

COPIED = ("Makefile", "pipeline", "notebooks", "expectations", "data/raw", "requirements.lock", ".stamps")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_of_project(tmp_path_factory.mktemp("project"))
    result = make(root, "report", "YEAR=2022")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def copy_of_project(root: Path) -> Path:
    """What a clean checkout plus `make setup` has, in `root` (the shared .venv is linked, not rebuilt)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = paths.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, root / name)
    # The shared .venv is up to date: its lock stamp is copied with its mtime (make test wrote it).
    (root / ".venv").symlink_to(paths.ROOT / ".venv")
    return root


def make(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "LANGSON_PROJECT_ROOT"}
    environment["SOURCE_DATE_EPOCH"] = "1640995200"
    environment.update(env or {})
    return subprocess.run(["make", "--no-print-directory", *args], cwd=root, env=environment, capture_output=True,
                          text=True, timeout=300)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_is_written_and_a_second_run_does_nothing(project):
    html = project / "reports" / "2022" / "annual_report.html"
    assert html.exists() and (project / "reports" / "2022" / "annual_report.xlsx").exists()
    again = make(project, "report", "YEAR=2022")
    assert again.returncode == 0
    assert ">>>" not in again.stdout, again.stdout  # no recipe ran


def test_touching_every_input_rebuilds_nothing(project):
    for path in [*(project / "data" / "raw").iterdir(), *(project / "pipeline").glob("*.py"),
                 *(project / "notebooks").iterdir(), *(project / "expectations").iterdir()]:
        path.touch()
    again = make(project, "report", "YEAR=2022")
    assert again.returncode == 0 and ">>>" not in again.stdout, again.stdout


def test_a_changed_raw_byte_rebuilds_the_chain_and_so_does_restoring_it(project):
    raw = project / "data" / "raw" / "projects.csv"
    original = raw.read_bytes()
    raw.write_bytes(original.replace("Giám sát, đánh giá".encode(), "Giám sát,  đánh giá".encode()))
    try:
        changed = make(project, "report", "YEAR=2022")
        assert changed.returncode == 0 and ">>> data" in changed.stdout, changed.stdout
    finally:
        raw.write_bytes(original)
    restored = make(project, "report", "YEAR=2022")
    assert ">>> data" in restored.stdout and ">>> report" in restored.stdout


def test_unknown_year_lists_the_valid_ones(project):
    result = make(project, "report", "YEAR=2030")
    assert result.returncode != 0
    assert "2021" in result.stderr and "2022" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "reports" / "2030").exists()


@pytest.mark.parametrize("file, old, new, expected", [
    ("budget_figures.csv", ",47.500,", ",bốn mươi bảy,", ("budget_figures.csv", "dòng", "Số tiền (triệu đồng)")),
    ("budget_figures.csv", ",181,Ngân sách", ",179,Ngân sách", ("budget_figures.csv", "dòng", "district_code")),
    ("policy_results_2021.csv", None, None, ("policy_results_2021.csv", "dòng", "Mã chỉ tiêu")),
])
def test_bad_raw_input_fails_clearly_and_keeps_the_previous_report(project, file, old, new, expected):
    raw = project / "data" / "raw" / file
    original = raw.read_text(encoding="utf-8")
    html = project / "reports" / "2022" / "annual_report.html"
    before = sha(html)
    if old is None:  # duplicate the last row
        broken = original + original.splitlines()[-1] + "\n"
    else:
        assert original.count(old) == 1
        broken = original.replace(old, new)
    raw.write_text(broken, encoding="utf-8")
    try:
        result = make(project, "report", "YEAR=2022")
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        for word in expected:
            assert word in output, output
        assert "Traceback" not in output
        assert sha(html) == before
    finally:
        raw.write_text(original, encoding="utf-8")


def test_manifest_checks_with_sha256sum_and_run_record_maps_cells(project):
    import json
    assert make(project, "report", "YEAR=2022").returncode == 0  # earlier tests left processed data mid-change
    check = subprocess.run(["sha256sum", "-c", "--quiet", "reports/2022/MANIFEST.sha256"], cwd=project,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = (project / "reports" / "2022" / "MANIFEST.sha256").read_text(encoding="utf-8")
    for name in ("data/raw/budget_figures.csv", "requirements.lock", "reports/2022/annual_report.html",
                 "reports/2022/annual_report.xlsx", "data/processed/reconciliation.parquet"):
        assert f"  {name}\n" in listed
    record = json.loads((project / "reports" / "2022" / "annual_report.run.json").read_text(encoding="utf-8"))
    assert record["parameters"] == {"year": 2022, "district": None}
    assert record["source_date_epoch"] == "1640995200"
    tables = {c["id"]: c["cell"] for c in record["cells"] if c["kind"] == "table"}
    assert tables["reconciliation"] == "quality" and tables["budget-lines"] == "budget"
    assert any(c["kind"] == "figure" for c in record["cells"])


def test_verify_passes_and_names_a_raw_file_changed_by_one_byte(project):
    assert make(project, "verify", "YEAR=2022").returncode == 0
    raw = project / "data" / "raw" / "districts.csv"
    original = raw.read_bytes()
    raw.write_bytes(original.replace("Tràng Định".encode(), "Tràng Đinh".encode(), 1))
    try:
        result = make(project, "verify", "YEAR=2022")
    finally:
        raw.write_bytes(original)
    assert result.returncode != 0
    assert "data/raw/districts.csv: tệp đầu vào đã đổi / input changed" in result.stderr
    assert "reports/2022/annual_report.html" in result.stderr


def test_reports_writes_the_province_every_district_and_an_index(project):
    result = make(project, "reports", "YEAR=2022")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = project / "reports" / "2022"
    districts = sorted((folder / "districts").glob("*.html"))
    assert len(districts) == 11 and (folder / "annual_report.html").exists()
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count("<a href=\"districts/") == 11 and "annual_report.html" in index
    assert "synthetic" in index.lower()
    assert "http://" not in index and "https://" not in index


def test_a_2024_district_report_renders(project):
    result = make(project, "report", "YEAR=2024", "DISTRICT=181")
    assert result.returncode == 0, result.stdout + result.stderr
    html = (project / "reports" / "2024" / "districts" / "huyen-binh-gia.html").read_text(encoding="utf-8")
    assert "Nghèo đa chiều theo huyện" in html and "SỐ LIỆU TỔNG HỢP (SYNTHETIC)" in html
