"""The report's XLSX workbook: the tables the notebook showed, with real numbers, and what each table is.

The display tables (pipeline.report.tables, district_tables) are strings written the Vietnamese way. Here each
cell becomes the value it shows, so a statistician can sum and chart in Excel, whose number formats show the
reader's own separators:
  "466.028" -> 466028 as `#,##0`; "0,019" -> 0.019 as `#,##0.000` (the decimals the report shows);
  a rate ("7,88" in a column whose header says "%" or "Tỷ lệ", or in a row whose "Đơn vị" says "%")
  -> 0.0788 as `0.00%`; "265.293 (tính)" -> 265293 as `#,##0" (tính)"`, so a computed number stays marked
  in its own cell; "–" (missing) -> an empty cell.
  "<10" (a suppressed small cell), "trên 35.000" (a qualified value) and any other text stay text, and so
  does every cell of an identifier column (codes, years, node ids, hashes): district codes are zero-padded
  strings, whatever their cells look like.
The first sheet, "Nguồn và trạng thái", lists every table's sheet with what it is, its status (official,
plan, computed, synthetic, …) and its source (CATALOGUE), and how to read its cells. Same tables, same bytes:
no clock, fixed zip times.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

from pipeline import schema
from pipeline.report import tables
from pipeline.report.district_tables import SUPPRESS_BELOW, SUPPRESSED
from pipeline.vn import VietnameseNumberError, parse_formatted_vn_number

SOURCES_SHEET = "Nguồn và trạng thái"
UNIT_COLUMN = "Đơn vị"  # where rows differ in unit, the row's numbers are rates when it says "%"
# Columns that name things, never count them: always text, whatever their cells look like.
IDENTIFIER_COLUMNS = frozenset({"Mã", "Mã dòng", "Mã huyện", "Mã xã", "Nút", "Năm", "Năm rà soát", "Mục văn bản",
                                "SHA-256"})
_KIND_OF_STATUS = {"official": "official", "plan": "target", "estimate": "estimate", "computed": "derived"}
STATUS_LABELS = {
    **{status: f"{schema.VALUE_KIND_LABELS[kind]} ({status})" for status, kind in _KIND_OF_STATUS.items()},
    "projection": "Dự báo (projection)",
    "synthetic": "Số liệu tổng hợp (SYNTHETIC) – không phải số liệu chính thức",
    "record": "Thông tin lần chạy (run record) – không phải số liệu",
}
REGISTER_SOURCE = "Sổ rà soát hộ nghèo, hộ cận nghèo của các huyện (data/raw/registers)"
SYNTHETIC_REGISTER_SOURCE = ("Sổ rà soát hộ nghèo, hộ cận nghèo giả lập (SYNTHETIC, tạo bằng make sample-data): chỉ tổng "
                             "số hộ nghèo, cận nghèo toàn tỉnh năm 2021 và 2024 bằng số đã công bố")
_QUALIFIERS = tuple(word for word in schema.QUALIFIER_LABELS.values() if word)
# How to read the cells of a kind, said on the sources sheet for each sheet that has one.
CELL_NOTES = {
    "rate": "Tỷ lệ (%) lưu dưới dạng phân số, định dạng phần trăm: 7,88 % là 0,0788.",
    "computed": f"Ô có chữ «{tables.COMPUTED}» là số tính toán: giá trị là số, chữ «{tables.COMPUTED}» nằm trong định dạng ô.",
    "missing": f"Ô trống: không có số liệu (báo cáo HTML ghi «{tables.MISSING}»).",
    "suppressed": f"«{SUPPRESSED}»: ô dưới {SUPPRESS_BELOW} hộ được ẩn (chữ, không phải số).",
    "qualified": f"Giá trị có hạn định («{'», «'.join(_QUALIFIERS)}») giữ dạng chữ như văn bản nêu.",
}
_CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# A fixed timestamp for the zip entries and document properties when SOURCE_DATE_EPOCH is unset.
_DEFAULT_EPOCH = 315532800  # 1980-01-01, the earliest date a zip entry can hold


@dataclass(frozen=True)
class Sheet:
    """A report table in the workbook: sheet name (at most 31 characters), what it is, status and source."""

    name: str
    what: str
    status: tuple[str, ...]  # keys of STATUS_LABELS
    source: str
    registers: bool = False  # made from the household registers: synthetic, and sourced so, when they are
    text_columns: tuple[str, ...] = ()  # this table's columns kept as text, besides IDENTIFIER_COLUMNS
    bold_rows: Callable[[pd.DataFrame], pd.Series] | None = None  # rows set in bold, as in the HTML

    def statuses(self, synthetic_registers: bool) -> tuple[str, ...]:
        """The status, "synthetic" in place of "computed" when the registers behind it are synthetic."""
        if self.registers and synthetic_registers:
            return ("synthetic",) + tuple(s for s in self.status if s != "computed")
        return self.status

    def source_text(self, synthetic_registers: bool) -> str:
        """The source; a register table names the registers first (synthetic when they are)."""
        if not self.registers:
            return self.source
        registers = SYNTHETIC_REGISTER_SOURCE if synthetic_registers else REGISTER_SOURCE
        return "; ".join(part for part in (registers, self.source) if part)


_PLAN = tables.PLAN_DOCUMENT
_EACH_ROW = "Ghi ở cột «Nguồn» của từng dòng"
# Every table the notebook may show (table id, as in show_table), in no particular order: the workbook
# follows the report's order. A table id missing here fails the render (workbook_bytes).
CATALOGUE = {
    "district-flags": Sheet("Huyện nghèo", "Huyện có thuộc danh sách huyện nghèo trong từng giai đoạn không",
                            ("official",), _EACH_ROW),
    "poverty-targets": Sheet("Mục tiêu giảm nghèo", "Mục tiêu giảm nghèo của năm", ("plan",), _PLAN),
    "budget-lines": Sheet("Kinh phí theo dòng", "Kinh phí từng dòng của văn bản theo nguồn vốn (triệu đồng); các dòng "
                          "«Cộng…» và «Tổng cộng…» (chữ đậm, không có mã dòng) là tổng tính từ các dòng",
                          ("plan", "computed"), _PLAN, bold_rows=tables.budget_subtotal_rows),
    "capital-split": Sheet("ĐTPT và sự nghiệp", "Vốn đầu tư phát triển và vốn sự nghiệp theo nguồn vốn (triệu đồng); "
                           "dòng «Tổng các nguồn» cộng các nguồn", ("plan", "computed"), _PLAN),
    "stated-totals": Sheet("Các tổng theo văn bản", "Các tổng kinh phí đúng như văn bản nêu (triệu đồng)", ("plan",), _PLAN),
    "project-targets": Sheet("Chỉ tiêu theo dự án", "Chỉ tiêu kế hoạch của từng dự án", ("plan",), _PLAN),
    "credit": Sheet("Tín dụng ưu đãi", "Cho vay ưu đãi theo nhóm hộ; dòng «Cộng các nhóm (tính)» cộng các nhóm",
                    ("official", "computed"), _PLAN),
    "policy-results": Sheet("Kết quả chính sách", "Kết quả thực hiện các chính sách giảm nghèo, kèm kỳ số liệu",
                            ("official",), _PLAN),
    "poverty-series": Sheet("Chuỗi số liệu nghèo", "Số hộ và tỷ lệ hộ nghèo, cận nghèo theo năm và chuẩn nghèo; loại "
                            "của từng giá trị ở cột «Loại giá trị»", ("official", "computed", "plan", "estimate"), _EACH_ROW),
    "district-figures": Sheet("Số liệu của huyện", "Số hộ, hộ nghèo, hộ cận nghèo và tỷ lệ của huyện", ("computed",), "",
                              registers=True),
    "district-comparison": Sheet("So sánh các huyện", "Số hộ, hộ nghèo, hộ cận nghèo, tỷ lệ và chỉ số M0 của từng huyện "
                                 "và toàn tỉnh", ("computed",), "", registers=True),
    "deprivation": Sheet("Thiếu hụt theo chỉ số", "Hộ thiếu hụt theo 12 chỉ số (NĐ 07/2021) và đóng góp vào M0",
                         ("computed",), "", registers=True),
    "progress": Sheet("Tiến độ giảm nghèo", "Tỷ lệ nghèo theo năm rà soát, mức giảm so với mục tiêu giảm của kế hoạch",
                      ("computed", "plan"), f"mục tiêu giảm: {_PLAN}, mục B.II.2", registers=True),
    "flows": Sheet("Diễn biến hộ nghèo", "Diễn biến hộ nghèo giữa hai kỳ rà soát", ("computed",), "", registers=True),
    "register-audit": Sheet("Hộ vi phạm quy tắc", "Số hộ vi phạm từng quy tắc kiểm tra sổ rà soát", ("computed",), "",
                            registers=True),
    "transcription": Sheet("Kiểm tra chép số liệu", "Các dòng chép từ văn bản tìm thấy trong văn bản, theo bảng",
                           ("computed",), f"Kiểm tra của dự án: data/raw so với văn bản {_PLAN}"),
    "gx-summary": Sheet("Kiểm định GX", "Số kỳ vọng Great Expectations đạt và không đạt, theo bảng", ("computed",),
                        "Kiểm định Great Expectations của dự án trên data/processed"),
    "gx-failures": Sheet("Kiểm định GX – không đạt", "Các kỳ vọng không đạt và dòng lỗi", ("computed",),
                         "Kiểm định Great Expectations của dự án trên data/processed"),
    "reconciliation": Sheet("Đối chiếu số liệu", "Tổng văn bản nêu so với cộng các phần: «Theo văn bản» là số văn bản "
                            "nêu, «Cộng các phần» và «Chênh lệch» là số tính toán", ("plan", "computed"), _PLAN),
    "provenance": Sheet("Thông tin báo cáo", "Tham số, mã nguồn (git commit) và phần mềm của lần chạy", ("record",),
                        "Lần chạy báo cáo này", text_columns=("Giá trị",)),
    "headline": Sheet("Số liệu chính", "Các số liệu chính ở đầu báo cáo; loại số liệu và nguồn ghi ở từng dòng",
                      ("official", "plan", "estimate", "computed"), _EACH_ROW, registers=True, text_columns=("Giá trị",)),
    "register-files": Sheet("Tệp sổ rà soát", "Tệp sổ rà soát của huyện dùng cho báo cáo và SHA-256 của từng tệp",
                            ("record",), "data/raw/registers"),
    "raw-inputs": Sheet("Tệp đầu vào", "Tệp dữ liệu gốc và SHA-256 của từng tệp", ("record",),
                        "data/raw (danh mục tệp và nguồn: data/raw/README.md)"),
}
_SOURCES_COLUMNS = ("Trang tính", "Nội dung", "Trạng thái (status)", "Nguồn", "Cách đọc các ô")


def workbook_bytes(shown: dict[str, pd.DataFrame], synthetic_registers: bool, environ: dict | None = None) -> bytes:
    """The workbook of the tables a report showed (table id -> frame, in report order), sources sheet first.

    Raises KeyError naming any table id CATALOGUE does not know, so no table reaches the workbook unlabelled.
    """
    from openpyxl import Workbook

    unknown = sorted(set(shown) - set(CATALOGUE))
    if unknown:
        raise KeyError(f"pipeline.report.workbook.CATALOGUE has no sheet for the report tables {unknown}: "
                       "add each with its sheet name, status and source")
    stamp = datetime.fromtimestamp(_source_date_epoch(environ), tz=timezone.utc).replace(tzinfo=None)
    book = Workbook()
    sources = []
    for table_id, frame in shown.items():
        sheet = CATALOGUE[table_id]
        status = "; ".join(STATUS_LABELS[s] for s in sheet.statuses(synthetic_registers))
        bold = sheet.bold_rows(frame) if sheet.bold_rows is not None else None
        kinds = write_table(book.create_sheet(sheet.name), frame, IDENTIFIER_COLUMNS | set(sheet.text_columns), bold)
        _print_header(book[sheet.name], f"{sheet.name} – {status}")
        notes = " ".join(note for kind, note in CELL_NOTES.items() if kind in kinds)
        sources.append((sheet.name, sheet.what, status, sheet.source_text(synthetic_registers), notes))
    first = book.active
    first.title = SOURCES_SHEET
    write_table(first, pd.DataFrame(sources, columns=list(_SOURCES_COLUMNS)), set(_SOURCES_COLUMNS))
    book.properties.creator = __name__
    book.properties.created = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), stamp)


def write_table(sheet, frame: pd.DataFrame, text_columns: set[str], bold: pd.Series | None = None) -> set[str]:
    """A display table on a sheet: bold frozen header with filters, each cell as the value it shows, fitted widths.

    Returns the kinds of cells it wrote (keys of CELL_NOTES among them), for the sources sheet.
    """
    from openpyxl.styles import Font

    header = Font(bold=True)
    columns = [str(c) for c in frame.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = header
    rate_columns = {c for c in columns if is_rate_header(c)}
    units = frame[UNIT_COLUMN].map(_text).tolist() if UNIT_COLUMN in frame.columns else [""] * len(frame)
    bold_rows = list(bold) if bold is not None else [False] * len(frame)
    kinds: set[str] = set()
    for row, (values, unit, in_bold) in enumerate(zip(frame.itertuples(index=False), units, bold_rows), start=2):
        for col, (column, value) in enumerate(zip(columns, values), start=1):
            text = _text(value)
            if column in text_columns:
                content, number_format, kind = (text or None), "@", "text"
            else:
                content, number_format, kind = cell_value(text, column in rate_columns or "%" in unit)
            cell = sheet.cell(row=row, column=col, value=content)
            if number_format:
                cell.number_format = number_format
            if in_bold:
                cell.font = header
            kinds.add(kind)
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet, frame)
    return kinds


def is_rate_header(header: str) -> bool:
    """A column of rates: its header says "%" (also "điểm %", percentage points) or starts with "Tỷ lệ"."""
    return "%" in header or header.startswith("Tỷ lệ")


def cell_value(text: str, rate: bool) -> tuple[object, str | None, str]:
    """(value, number format, kind) of one display cell outside identifier columns.

    A number as tables.number/rate write it becomes that number (a rate: that fraction), its format showing the
    same decimals; "…(tính)" keeps its mark in the format; "–" and "" are empty; anything else stays text.
    """
    if text in ("", tables.MISSING):
        return None, None, "missing" if text else "empty"
    body, marked = text, text.endswith(f" {tables.COMPUTED}")
    if marked:
        body = text[: -len(tables.COMPUTED) - 1]
        if body == tables.MISSING:
            return None, None, "missing"
    try:
        value = parse_formatted_vn_number(body)
    except VietnameseNumberError:
        return text, None, _text_kind(text)
    decimals = max(0, -value.as_tuple().exponent)
    digits = "." + "0" * decimals if decimals else ""
    number_format = f"0{digits}%" if rate else f"#,##0{digits}"
    if marked:
        number_format += f'" {tables.COMPUTED}"'
    number = value / 100 if rate else value
    kind = "computed" if marked else "rate" if rate else "number"
    return (int(number) if number == number.to_integral_value() and not rate else float(number)), number_format, kind


def _text_kind(text: str) -> str:
    """Why a cell that is not a plain number stays text: suppressed, qualified ("trên 35.000") or plain text."""
    if text == SUPPRESSED:
        return "suppressed"
    word, _, rest = text.partition(" ")
    try:
        parse_formatted_vn_number(rest)
    except VietnameseNumberError:
        return "text"
    return "qualified" if word in _QUALIFIERS else "text"


def _text(value: object) -> str:
    """A display cell as text (display tables hold strings; a missing value is empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value if isinstance(value, str) else str(value)


def _print_header(sheet, text: str) -> None:
    """The sheet's status printed at the top of every page, so a printed sheet is labelled too."""
    sheet.oddHeader.center.text = text.replace("&", "&&")


def _fit_columns(sheet, table: pd.DataFrame) -> None:
    """Column widths from the longest cell (capped), so the workbook is readable when opened."""
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(table.columns, start=1):
        longest = max([len(str(column))] + [len(_text(v)) for v in table[column]])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)


def _source_date_epoch(environ: dict | None) -> int:
    """SOURCE_DATE_EPOCH when set (not before 1980, zip's first date), else 1980-01-01."""
    value = (environ if environ is not None else os.environ).get("SOURCE_DATE_EPOCH", "").strip()
    return max(int(value), _DEFAULT_EPOCH) if value.isdigit() else _DEFAULT_EPOCH


def _fixed_zip_times(content: bytes, stamp: datetime) -> bytes:
    """Re-pack a zip (XLSX) with every entry dated `stamp`, in the same order.

    openpyxl stamps docProps/core.xml "modified" with the clock on save; it is set to `stamp` here.
    """
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_MODIFIED.sub(rb"\g<1>" + modified + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)
    return output.getvalue()
