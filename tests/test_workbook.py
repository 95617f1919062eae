"""The XLSX workbook on hand-made display tables: numbers as numbers, rates as fractions, text kept as text,
a sources-and-status sheet, the same bytes every time."""
import io
import json
import random
import re
import unicodedata
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from pipeline import paths
from pipeline.report import district_tables, tables, workbook
from pipeline.report import edition as editions
from pipeline.vn import format_vn_number

EPOCH = {"SOURCE_DATE_EPOCH": "1640995200"}  # 2022-01-01 00:00:00 UTC


def book(shown: dict, synthetic: bool = False, environ: dict = EPOCH) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook.workbook_bytes(shown, synthetic, environ)))


def column(sheet, header: str) -> list:
    """The cells under a header (row 1) of a sheet."""
    headers = [c.value for c in sheet[1]]
    return [row[headers.index(header)] for row in sheet.iter_rows(min_row=2)]


def shown_text(cell) -> str:
    """What the report shows for a workbook cell, read back from its value and number format."""
    if cell.value is None:
        return tables.MISSING
    if isinstance(cell.value, str):
        return cell.value
    fmt = cell.number_format
    decimals = len(re.search(r"(?:\.(0+))?%?(?:\"|$)", fmt).group(1) or "")
    value = Decimal(repr(cell.value)) * (100 if "%" in fmt else 1)
    text = format_vn_number(value, decimals)
    return f"{text} {tables.computed_mark()}" if tables.computed_mark() in fmt else text


# --- cells ----------------------------------------------------------------------------------------


def test_numbers_become_numbers_showing_the_same_decimals():
    values = [466028.0, 1250.5, 0.019, -10000.0, 0.0, 3.01]
    frame = pd.DataFrame({"Nội dung": list("abcdef"), f"Số tiền (triệu đồng)": [tables.number(v) for v in values]})
    cells = column(book({"stated-totals": frame})["Các tổng theo văn bản"], f"Số tiền (triệu đồng)")
    assert [c.value for c in cells] == values
    assert all(isinstance(c.value, (int, float)) and not isinstance(c.value, bool) for c in cells)
    assert [c.number_format for c in cells] == ["#,##0", "#,##0.0", "#,##0.000", "#,##0", "#,##0", "#,##0.00"]


def test_every_display_number_round_trips_through_its_cell():
    """Random values through the report's own formatters: each cell, read with its format, shows the report's text."""
    draw = random.Random(20220101)
    values = [round(draw.uniform(-1e7, 1e7), draw.randint(0, 3)) for _ in range(300)] + [0.0, 0.5, 9.0, 10.0]
    frame = pd.DataFrame({
        "Giá trị": [tables.number(v) for v in values],
        "Tỷ lệ nghèo (%)": [tables.rate(v / 1e5) for v in values],
        "Hộ nghèo": [district_tables.count(abs(v)) for v in values],
        "Tổng": [tables.computed(v) for v in values],
    })
    sheet = book({"poverty-series": frame})["Chuỗi số liệu nghèo"]
    for header in frame.columns:
        assert [shown_text(c) for c in column(sheet, header)] == list(frame[header]), header


def test_rates_are_fractions_by_column_header_or_by_the_rows_unit():
    by_column = pd.DataFrame({"Mã": ["178"], "Tỷ lệ nghèo (%)": [tables.rate(7.88)], "Tỷ lệ cận nghèo": [tables.rate(12.5)],
                              "Giảm so với năm trước (điểm %)": [tables.rate(-1.25)], "Hộ nghèo": [tables.number(387)]})
    sheet = book({"district-comparison": by_column})["So sánh các huyện"]
    assert [(c.value, c.number_format) for c in sheet[2][1:]] == [
        (0.0788, "0.00%"), (0.125, "0.00%"), (-0.0125, "0.00%"), (387, "#,##0")]
    by_row = pd.DataFrame({"Năm": ["2020", "2020", "2022"], "Giá trị": [tables.by_unit(7.88, "%"), tables.by_unit(42490, "hộ"),
                                                                       tables.number(100)],
                           "Đơn vị": ["%", "hộ", "% số huyện nghèo"]})
    cells = column(book({"poverty-series": by_row})["Chuỗi số liệu nghèo"], "Giá trị")
    assert [(c.value, c.number_format) for c in cells] == [(0.0788, "0.00%"), (42490, "#,##0"), (1, "0%")]


def test_suppressed_qualified_and_other_text_cells_stay_text():
    frame = pd.DataFrame({"Chỉ tiêu": ["a", "b", "c", "d"],
                          "Giá trị": [district_tables.count(7), tables.qualified(35000, "over"), "không xác định được",
                                      tables.number(9)]})
    cells = column(book({"policy-results": frame})["Kết quả chính sách"], "Giá trị")
    assert [c.value for c in cells] == [district_tables.SUPPRESSED, "trên 35.000", "không xác định được", 9]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n"]


def test_identifier_columns_stay_text_whatever_their_cells_look_like():
    frame = pd.DataFrame({"Mã": ["181", "020", "20"], "Mã huyện": ["189", "178", "180"], "Năm": ["2022", "2.022", "999"],
                          "Nút": ["2022", "2022.DA1", "1.300"], "SHA-256": ["1" * 64, "0" * 64, "2.000"],
                          "Giá trị": ["1", "2", "3"]})
    sheet = book({"stated-totals": frame, "provenance": frame[["Mã", "Giá trị"]]}).worksheets
    for header in ("Mã", "Mã huyện", "Năm", "Nút", "SHA-256"):
        cells = column(sheet[1], header)
        assert [c.value for c in cells] == list(frame[header]) and {c.number_format for c in cells} == {"@"}, header
    assert [c.value for c in column(sheet[1], "Giá trị")] == [1, 2, 3]
    assert [c.value for c in column(sheet[2], "Giá trị")] == ["1", "2", "3"]  # provenance: a table of labels


def test_missing_and_empty_cells_are_empty_and_computed_numbers_keep_their_mark():
    frame = pd.DataFrame({"Nguồn vốn": ["a", "b", "c"],
                          f"Sự nghiệp (triệu đồng)": [tables.MISSING, "", tables.computed(200735.0)],
                          f"Tổng (triệu đồng)": [tables.computed(None), tables.number(None), tables.computed(0.5)]})
    cells = list(book({"capital-split": frame})["ĐTPT và sự nghiệp"].iter_rows(min_row=2, min_col=2, values_only=False))
    assert [[c.value for c in row] for row in cells] == [[None, None], [None, None], [200735, 0.5]]
    assert [c.number_format for c in cells[2]] == ['#,##0" (tính)"', '#,##0.0" (tính)"']


def test_header_is_bold_and_frozen_with_filters_and_subtotal_rows_are_bold():
    frame = pd.DataFrame({"Mã dòng": ["2022.DA1", ""], "Nội dung": ["Hạ tầng", "Cộng (tính từ các dòng)"],
                          tables.total_header(): ["156.228", "156.228"]})
    sheet = book({"budget-lines": frame})["Kinh phí theo dòng"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C3"
    assert all(c.font.b for c in sheet[1]) and not any(c.font.b for c in sheet[2]) and all(c.font.b for c in sheet[3])
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


# --- the sources sheet and the catalogue ---------------------------------------------------------


def test_sources_sheet_comes_first_and_labels_every_table():
    frame = pd.DataFrame({"Mã dòng": ["x"], "a": ["1"]})
    shown = {"budget-lines": frame, "district-comparison": frame, "raw-inputs": frame}
    for synthetic in (False, True):
        wb = book(shown, synthetic)
        assert wb.sheetnames == [workbook.sources_sheet(), "Kinh phí theo dòng", "So sánh các huyện", "Tệp đầu vào"]
        rows = {r[0]: r for r in wb[workbook.sources_sheet()].iter_rows(min_row=2, values_only=True)}
        assert list(rows) == wb.sheetnames[1:]
        name, what, status, source, _ = rows["Kinh phí theo dòng"]
        assert status == "Kế hoạch (plan); Tính toán (computed)" and source == tables.plan_document() and what
        comparison = rows["So sánh các huyện"]
        assert ("SYNTHETIC" in comparison[2] and "SYNTHETIC" in comparison[3]) == synthetic
        assert ("computed" in comparison[2]) != synthetic
        assert wb["So sánh các huyện"].oddHeader.center.text.endswith(comparison[2])  # printed pages say it too


def test_sources_sheet_says_how_to_read_the_cells_each_sheet_has():
    shown = {"credit": pd.DataFrame({"Nhóm hộ": ["a"], "Số hộ": [tables.computed(5)]}),
             "flows": pd.DataFrame({"Diễn biến": ["a"], "2021 → 2022": [district_tables.count(3)]}),
             "raw-inputs": pd.DataFrame({"Tệp (data/raw)": ["a.csv"], "Kích thước (byte)": ["1.024"]})}
    notes = {r[0]: r[4] for r in book(shown)[workbook.sources_sheet()].iter_rows(min_row=2, values_only=True)}
    assert notes == {"Tín dụng ưu đãi": workbook.cell_notes()["computed"], "Diễn biến hộ nghèo": workbook.cell_notes()["suppressed"],
                     "Tệp đầu vào": None}


def test_an_unknown_table_id_is_refused():
    with pytest.raises(KeyError, match="not-a-table"):
        workbook.workbook_bytes({"budget-lines": pd.DataFrame({"a": ["1"]}), "not-a-table": pd.DataFrame()}, False, EPOCH)


def test_every_table_the_notebook_shows_has_a_sheet_a_status_and_a_source():
    notebook = json.loads(paths.NOTEBOOKS.joinpath("annual_report.ipynb").read_text(encoding="utf-8"))
    source = "".join("".join(cell["source"]) for cell in notebook["cells"])
    shown = set(re.findall(r'show_table\([^\n]*?"([a-z-]+)"', source))
    assert len(shown) > 15 and shown <= set(workbook.CATALOGUE), shown - set(workbook.CATALOGUE)
    for ed in editions.EDITIONS.values():
        names = [sheet.name(ed) for sheet in workbook.CATALOGUE.values()] + [workbook.sources_sheet(ed)]
        assert len(set(names)) == len(names)
        for name in names:
            assert len(name) <= 31 and unicodedata.is_normalized("NFC", name) and not set(name) & set("[]:*?/\\"), name
        assert all(sheet.what(ed) for sheet in workbook.CATALOGUE.values())
    for table_id, sheet in workbook.CATALOGUE.items():
        assert sheet.status and set(sheet.status) <= set(workbook.STATUS_KEYS), table_id
        assert sheet.source or sheet.registers, table_id


def test_identifier_columns_are_headers_the_report_tables_write():
    code = "".join((paths.ROOT / "pipeline" / "report" / name).read_text(encoding="utf-8")
                   for name in ("tables.py", "district_tables.py"))
    for key in workbook.IDENTIFIER_KEYS + ("col.unit",):
        assert f'"{key}"' in code, key


# --- bytes ---------------------------------------------------------------------------------------


def test_same_tables_same_bytes_and_every_date_is_source_date_epoch():
    frame = pd.DataFrame({"Mã dòng": ["x"], tables.total_header(): ["1.000"]})
    first = workbook.workbook_bytes({"budget-lines": frame}, False, EPOCH)
    assert workbook.workbook_bytes({"budget-lines": frame.copy()}, False, EPOCH) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {(2022, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert core.count("2022-01-01T00:00:00Z") == 2  # created and modified
    assert workbook.workbook_bytes({"budget-lines": frame}, False, {}) != first  # 1980 when the variable is unset
