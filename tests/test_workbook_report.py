"""End to end: the built project's 2022 workbook holds numbers a statistician can add up in Excel.

The built project (tests/conftest.py) rendered reports/2022/annual_report.xlsx with make, on synthetic registers.
"""
import openpyxl
import pandas as pd
import pytest

from pipeline.report import report_data, tables, workbook

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def book(built_project):
    return openpyxl.load_workbook(built_project.root / "reports" / "2022" / "annual_report.xlsx")


def rows(sheet) -> list[dict]:
    """The sheet's rows as {header: cell}."""
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2)]


def test_budget_line_totals_add_up_in_the_workbook_to_the_processed_lines(book, built_project):
    """Summing the total column over the line rows (not the computed subtotals) gives the processed table's sum."""
    lines = pd.read_parquet(built_project.root / "data" / "processed" / "budget_lines.parquet")
    expected = report_data.line_totals(lines[lines["year"] == 2022]).sum()
    budget = rows(book[workbook.CATALOGUE["budget-lines"].name()])
    line_rows = [r for r in budget if r["Mã dòng"].value]
    totals = [r[tables.total_header()].value for r in line_rows]
    assert len(line_rows) == (lines["year"] == 2022).sum()
    assert all(isinstance(v, (int, float)) for v in totals), totals
    assert sum(totals) == pytest.approx(expected, rel=1e-12)
    grand = budget[-1]  # the grand total row, computed from the lines
    assert grand["Mã dòng"].value is None and grand[tables.total_header()].value == pytest.approx(expected, rel=1e-12)
    assert all(c.font.b for c in grand.values()) and not any(c.font.b for c in line_rows[0].values())


def test_district_codes_stay_text_and_rates_are_fractions(book, built_project):
    districts = pd.read_parquet(built_project.root / "data" / "processed" / "districts.parquet")
    comparison = rows(book[workbook.CATALOGUE["district-comparison"].name()])
    codes = [r["Mã"].value for r in comparison]
    assert set(districts["district_code"]) < set(codes) and all(isinstance(c, str) for c in codes)
    rates = [r["Tỷ lệ nghèo (%)"] for r in comparison]
    assert all(c.number_format == "0.00%" and 0 <= c.value < 1 for c in rates if c.value != "<10")


def test_the_first_sheet_lists_every_sheet_with_its_status_and_the_synthetic_registers(book):
    assert book.sheetnames[0] == workbook.sources_sheet()
    listed = {r["Trang tính"].value: r for r in rows(book[workbook.sources_sheet()])}
    assert list(listed) == book.sheetnames[1:]
    comparison = listed[workbook.CATALOGUE["district-comparison"].name()]
    assert comparison["Trạng thái (status)"].value == workbook.status_labels()["synthetic"]
    assert "SYNTHETIC" in comparison["Nguồn"].value
    assert listed[workbook.CATALOGUE["budget-lines"].name()]["Nguồn"].value == tables.plan_document()
