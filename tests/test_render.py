"""End to end: render the real 2022 reports (province and districts, in a batch) and 2021 into a temporary copy.

The copy holds data/processed and notebooks/; the render subprocess gets LANGSON_PROJECT_ROOT pointing at
it, so the working tree's reports/ is never touched. Runs under `make test`, which builds the data first.
"""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pipeline
from pipeline import paths

CODE_DIR = Path(pipeline.__file__).resolve().parent.parent
NEEDED = ("districts", "projects", "budget_lines", "budget_stated_totals", "policy_results", "plan_targets",
          "poverty_series")
PLAN_FIGURES_2022 = ("466.028", "401.710", "54.538", "9.780", "165.228")
CODE_MARKERS = ("import ", "report_data.", "In&nbsp;[", "Traceback", "Warning", "http://", "https://")
HTML_BUDGET_BYTES = 1_500_000


def render(root: Path, *args: str, command: str = "render") -> subprocess.CompletedProcess:
    """`python -m pipeline render ...` (or render-all) against the copy at `root`, with a fixed SOURCE_DATE_EPOCH."""
    env = {**os.environ, "LANGSON_PROJECT_ROOT": str(root), "SOURCE_DATE_EPOCH": "1640995200",
           "LANGSON_CODE_COMMIT": "test-commit"}  # a commit landing mid-test must not change the footer
    return subprocess.run([sys.executable, "-m", "pipeline", command, *args], cwd=CODE_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict:
    """File -> (size, mtime) under a folder, to show a run left it alone."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of data/processed + notebooks with every 2022 report (one batch, 2 workers) and the 2021 report."""
    missing = [name for name in NEEDED if not (paths.PROCESSED / f"{name}.parquet").exists()]
    if missing:
        pytest.skip(f"data/processed lacks {', '.join(missing)}: run `make data` first (make test does)")
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(paths.PROCESSED, root / "data" / "processed")
    shutil.copytree(paths.NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    before = snapshot(paths.REPORTS) if paths.REPORTS.exists() else {}
    runs = {("--year", "2022"): render(root, "--year", "2022", command="render-all"),
            ("--year", "2021"): render(root, "--year", "2021")}
    for args, result in runs.items():
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    assert (snapshot(paths.REPORTS) if paths.REPORTS.exists() else {}) == before, "the working tree's reports/ changed"
    return root, runs


def report(root: Path, year: int, stem: str = "annual_report") -> Path:
    return root / "reports" / str(year) / f"{stem}.html"


def test_2022_report_shows_the_plan_figures_formatted(project):
    root, _ = project
    html = report(root, 2022).read_text(encoding="utf-8")
    for figure in PLAN_FIGURES_2022:
        assert figure in html, figure
    assert "Báo cáo thực hiện Chương trình MTQG giảm nghèo bền vững – tỉnh Lạng Sơn – năm 2022" in html
    assert 'href="../data_docs/index.html"' in html


@pytest.mark.parametrize("year", [2022, 2021])
def test_html_has_no_code_errors_warnings_or_urls(project, year):
    root, runs = project
    html = report(root, year).read_text(encoding="utf-8")
    for marker in CODE_MARKERS:
        assert marker not in html, marker
    assert "<script" not in html
    assert len(html.encode("utf-8")) < HTML_BUDGET_BYTES
    assert "stderr" not in runs[("--year", str(year))].stderr  # nothing had to be stripped from the notebook


def test_2021_report_shows_the_2021_results(project):
    root, _ = project
    html = report(root, 2021).read_text(encoding="utf-8")
    assert "15.728" in html and "768.713" in html


def test_each_render_writes_html_notebook_and_a_workbook(project):
    root, runs = project
    for year in (2022, 2021):
        folder = root / "reports" / str(year)
        written = runs[("--year", str(year))].stdout
        for name in ("annual_report.html", "annual_report.ipynb", "annual_report.xlsx", "annual_report.run.json",
                     "MANIFEST.sha256"):
            assert f"reports/{year}/{name}" in written
        workbook = openpyxl.load_workbook(folder / "annual_report.xlsx", read_only=True)
        assert len(workbook.sheetnames) >= 3 and all(len(name) <= 31 for name in workbook.sheetnames)
        notebook = (folder / "annual_report.ipynb").read_text(encoding="utf-8")
        assert '"year": ' + str(year) in notebook and "start_time" not in notebook


def test_district_report_is_filtered_and_shows_its_register_figures(project):
    root, _ = project
    html = report(root, 2022, "districts/huyen-binh-gia").read_text(encoding="utf-8")
    assert "Huyện Bình Gia" in html and "Nghèo đa chiều theo huyện" in html
    assert "SỐ LIỆU TỔNG HỢP (SYNTHETIC)" in html  # synthetic registers are labelled as such
    assert 'href="../../data_docs/index.html"' in html
    assert (root / "reports" / "2022" / "districts" / "huyen-binh-gia.xlsx").exists()


def outputs_of(root: Path, stem: str) -> dict[str, str]:
    """sha256 of a report's HTML, executed notebook and workbook."""
    files = [root / "reports" / "2022" / f"{stem}.{ext}" for ext in ("html", "ipynb", "xlsx")]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.parametrize("stem, args", [("annual_report", ()), ("districts/huyen-binh-gia", ("--district", "181"))])
def test_a_report_rendered_alone_is_byte_identical_to_the_same_report_rendered_in_the_batch(project, stem, args):
    root, _ = project
    in_batch = outputs_of(root, stem)
    for path in (root / "reports" / "2022").glob(f"{stem}.*"):
        path.unlink()
    result = render(root, "--year", "2022", *args)
    assert result.returncode == 0, result.stderr
    assert outputs_of(root, stem) == in_batch


def test_a_district_report_copied_alone_shows_the_full_comparison(project, tmp_path):
    """Reviewers e-mail one file: the comparison with the province and every district is in its own bytes."""
    root, _ = project
    alone = tmp_path / "huyen-binh-gia.html"
    shutil.copy2(root / "reports" / "2022" / "districts" / "huyen-binh-gia.html", alone)
    html = alone.read_text(encoding="utf-8")
    comparison = html[html.index('id="T_district-comparison"'):]
    comparison = comparison[:comparison.index("</table>")]
    names = pd.read_parquet(root / "data" / "processed" / "districts.parquet")["district_name"]
    assert len(names) == 11 and all(name in comparison for name in names)
    assert "Toàn tỉnh" in comparison
    assert "<iframe" not in html and 'src="data:image/png;base64,' in html
    assert "Biểu đồ thanh ngang: Tỷ lệ hộ nghèo theo huyện" in html  # the comparison chart's alt text


def test_unknown_year_fails_before_any_work_and_lists_the_valid_years(project):
    root, _ = project
    result = render(root, "--year", "2030")
    assert result.returncode == 2
    assert "Không có dữ liệu cho năm 2030" in result.stderr and "2021, 2022" in result.stderr
    assert "Traceback" not in result.stderr and not (root / "reports" / "2030").exists()
