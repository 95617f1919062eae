"""End to end: the real 2022 reports (province and districts, one batch) and 2021 of the built project (tests/conftest.py).

The built project rendered them with make (`make reports YEAR=2022`, `make report YEAR=2021`); tests that
render again do it in a copy of it, with the environment make gives a recipe.
"""
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.tools import runner
from pipeline.vn import format_vn_number
from tests import e2e

pytestmark = pytest.mark.e2e

PLAN_FIGURES_2022 = ("466.028", "401.710", "54.538", "9.780", "165.228")
CODE_MARKERS = ("import ", "report_data.", "In&nbsp;[", "Traceback", "Warning", "http://", "https://")
HTML_BUDGET_BYTES = 300_000  # a report is mailed and opened offline: the project's stylesheet and palette PNG charts


def render(root: Path, *args: str) -> runner.StageRun:
    """`python -m pipeline render ...` in the copy at `root`, as make runs it."""
    return runner.run_stage(root, "render", ["render", *args], e2e.make_env(root))


@pytest.fixture(scope="module")
def project(built_project):
    """The built project, and what rendering its 2022 and 2021 reports printed."""
    logs = built_project.logs
    return built_project.root, {("--year", "2022"): logs["reports YEAR=2022"], ("--year", "2021"): logs["report YEAR=2021"]}


def report(root: Path, year: int, stem: str = "annual_report") -> Path:
    return root / "reports" / str(year) / f"{stem}.html"


def test_2022_report_shows_the_plan_figures_formatted(project):
    root, _ = project
    html = report(root, 2022).read_text(encoding="utf-8")
    for figure in PLAN_FIGURES_2022:
        assert figure in html, figure
    assert "Báo cáo thực hiện Chương trình MTQG giảm nghèo bền vững – tỉnh Lạng Sơn – năm 2022" in html
    assert 'href="../gate/index.html"' in html


@pytest.mark.parametrize("year", [2022, 2021])
def test_html_has_no_code_errors_warnings_or_urls(project, year):
    root, runs = project
    html = report(root, year).read_text(encoding="utf-8")
    for marker in CODE_MARKERS:
        assert marker not in html, marker
    assert "<script" not in html
    assert len(html.encode("utf-8")) < HTML_BUDGET_BYTES
    assert "stderr" not in runs[("--year", str(year))].stderr  # nothing had to be stripped from the notebook


def test_every_2022_report_is_a_small_vietnamese_page_with_alt_text_scoped_headers_and_a_print_stylesheet(project):
    root, _ = project
    folder = root / "reports" / "2022"
    pages = [folder / "annual_report.html", *sorted((folder / "districts").glob("*.html"))]
    assert len(pages) == 12
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.startswith('<!DOCTYPE html>\n<html lang="vi">') and "năm 2022</title>" in html, page.name
        assert len(html.encode("utf-8")) < HTML_BUDGET_BYTES, page.name
        assert "@media print" in html and "@page" in html and "<script" not in html
        images = re.findall(r"<img [^>]*>", html)
        assert len(images) >= 2 and all(re.search(r' alt="Biểu đồ [^"]{20,}"', image) for image in images), page.name
        headers = re.findall(r"<th\b[^>]*>", html)
        assert headers and all(header.startswith('<th scope="col"') for header in headers), page.name
        assert html.count("<table ") == html.count('<div class="table-wrap"') >= 8


def test_2021_report_shows_the_2021_results(project):
    root, _ = project
    html = report(root, 2021).read_text(encoding="utf-8")
    assert "15.728" in html and "768.713" in html


def test_each_render_writes_html_notebook_and_a_workbook(project):
    root, runs = project
    for year in (2022, 2021):
        folder = root / "reports" / str(year)
        written = runs[("--year", str(year))].stdout
        for name in ("annual_report.html", "annual_report.ipynb", "annual_report.xlsx", "annual_report.run.json"):
            assert f"reports/{year}/{name}" in written
        assert (folder / "MANIFEST.sha256").is_file()
        workbook = openpyxl.load_workbook(folder / "annual_report.xlsx", read_only=True)
        assert len(workbook.sheetnames) >= 3 and all(len(name) <= 31 for name in workbook.sheetnames)
        notebook = (folder / "annual_report.ipynb").read_text(encoding="utf-8")
        assert '"year": ' + str(year) in notebook and "start_time" not in notebook


def test_district_report_is_filtered_and_shows_its_register_figures(project):
    root, _ = project
    html = report(root, 2022, "districts/huyen-binh-gia").read_text(encoding="utf-8")
    assert "Huyện Bình Gia" in html and "Số liệu của Huyện Bình Gia" in html
    assert "Các tổng kinh phí đúng như văn bản nêu" not in html  # province tables stay in the province report
    assert "SỐ LIỆU TỔNG HỢP (SYNTHETIC)" in html  # synthetic registers are labelled as such
    assert 'href="../../gate/index.html"' in html
    assert (root / "reports" / "2022" / "districts" / "huyen-binh-gia.xlsx").exists()


def test_a_district_report_opens_with_its_own_poor_household_count(project):
    """The first table of a district report is its summary, led by the district's poor households."""
    root, _ = project
    html = report(root, 2022, "districts/huyen-binh-gia").read_text(encoding="utf-8")
    poverty = pd.read_parquet(root / "data" / "processed" / "district_poverty.parquet")
    poor = poverty[(poverty["review_year"] == 2022) & (poverty["district_code"] == "181")]["poor_hh"].iloc[0]
    first_table = html[html.index("<table"):html.index("</table>")]
    assert "Hộ nghèo (Huyện Bình Gia" in first_table and f"{format_vn_number(poor)} hộ" in first_table
    assert html.index("<table") < html.index('id="so-lieu-huyen"') < html.index('id="so-sanh"')


@pytest.mark.parametrize("stem, args", [("annual_report", ()), ("districts/huyen-binh-gia", ("--district", "181"))])
def test_a_report_rendered_alone_is_byte_identical_to_the_same_report_in_the_batch(project, project_copy, stem, args):
    """The built project rendered 2022 in one batch (`make reports`); here one report is rendered alone, in a copy,
    its outputs deleted first so that it is really rendered again."""
    root, _ = project
    names = [f"reports/2022/{stem}.{ext}" for ext in ("html", "ipynb", "xlsx", "run.json")]
    for name in names:
        (project_copy / name).unlink()
    result = render(project_copy, "--year", "2022", *args)
    assert result.returncode == 0, result.stderr
    assert f"Đã ghi / wrote reports/2022/{stem}.html" in result.stdout
    assert [e2e.sha(project_copy / name) for name in names] == [e2e.sha(root / name) for name in names]


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


def test_unknown_year_fails_before_any_work_and_lists_the_valid_years(project_copy):
    root = project_copy
    result = render(root, "--year", "2030")
    assert result.returncode == 2
    assert "Không có dữ liệu cho năm 2030" in result.stderr and "2021, 2022" in result.stderr
    assert "Traceback" not in result.stderr and not (root / "reports" / "2030").exists()
