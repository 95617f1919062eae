"""The report's XLSX workbook: the tables the notebook showed, with real numbers, and what each table is.

The display tables (pipeline.report.tables, district_tables) are strings written the edition's way (vi 1.234,5;
en 1,234.5). Here each cell becomes the value it shows, so a statistician can sum and chart in Excel, whose
number formats show the reader's own separators:
  "466.028" -> 466028 as `#,##0`; "0,019" -> 0.019 as `#,##0.000` (the decimals the report shows);
  a rate ("7,88" in a column whose header says "%" or "Tỷ lệ", or in a row whose "Đơn vị" says "%")
  -> 0.0788 as `0.00%`; "265.293 (tính)" -> 265293 as `#,##0" (tính)"`, so a computed number stays marked
  in its own cell; "–" (missing) -> an empty cell. The English edition's cells give the same numbers.
  "<10" (a suppressed small cell), "trên 35.000" (a qualified value) and any other text stay text, and so
  does every cell of an identifier column (codes, years, node ids, hashes): district codes are zero-padded
  strings, whatever their cells look like.
The first sheet, "Nguồn và trạng thái" ("Sources and status"), lists every table's sheet with what it is, its
status (official, plan, computed, synthetic, …) and its source (CATALOGUE), and how to read its cells. Sheet
names, descriptions and notes come from the edition's labels ("sheet.<table id>.name", …). Same tables, same
bytes: no clock, fixed zip times.
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
from pipeline.report.edition import VI, Edition
from pipeline.vn import VietnameseNumberError

# Columns that name things, never count them (label keys): always text, whatever their cells look like.
IDENTIFIER_KEYS = ("col.code", "col.line_id", "col.district_code", "col.commune_code", "col.node", "col.year",
                   "col.review_year", "col.section")
STATUS_KEYS = (*schema.STATUS_OF_VALUE_KIND.values(), "projection", "synthetic", "record", "glossary")  # labels "status_label.<key>"
# How to read the cells of a kind, said on the sources sheet for each sheet that has one (labels "cell_note.<kind>").
CELL_NOTE_KINDS = ("rate", "computed", "missing", "suppressed", "qualified")
_CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# A fixed timestamp for the zip entries and document properties when SOURCE_DATE_EPOCH is unset.
_DEFAULT_EPOCH = 315532800  # 1980-01-01, the earliest date a zip entry can hold


def identifier_columns(ed: Edition = VI) -> frozenset[str]:
    return frozenset({ed.t(key) for key in IDENTIFIER_KEYS} | {"SHA-256"})


def unit_column(ed: Edition = VI) -> str:
    """Where rows differ in unit, the row's numbers are rates when this column says "%"."""
    return ed.t("col.unit")


def sources_sheet(ed: Edition = VI) -> str:
    return ed.t("sheet.sources")


def status_labels(ed: Edition = VI) -> dict[str, str]:
    """Status key -> its words ("Kế hoạch (plan)" in Vietnamese, "Plan" in English, …)."""
    return {key: ed.t(f"status_label.{key}") for key in STATUS_KEYS}


def _qualifiers(ed: Edition) -> tuple[str, ...]:
    return tuple(ed.t(f"qualifier.{code}") for code in schema.QUALIFIER_LABELS if ed.t(f"qualifier.{code}"))


def cell_notes(ed: Edition = VI) -> dict[str, str]:
    """Cell kind -> how to read such cells."""
    values = {"computed": tables.computed_mark(ed), "missing": tables.MISSING, "suppressed": SUPPRESSED,
              "below": SUPPRESS_BELOW, "qualifiers": "», «".join(_qualifiers(ed))}
    return {kind: ed.t(f"cell_note.{kind}", **values) for kind in CELL_NOTE_KINDS}


@dataclass(frozen=True)
class Sheet:
    """A report table in the workbook: its status and source; its name (at most 31 characters) and what it is are
    the labels "sheet.<table id>.name" and "sheet.<table id>.what"."""

    table_id: str
    status: tuple[str, ...]  # keys of STATUS_KEYS
    source: str  # a label key: "src.plan" (the plan), "src.each_row", "" or "sheet.<id>.source"
    registers: bool = False  # made from the household registers: synthetic, and sourced so, when they are
    text_columns: tuple[str, ...] = ()  # label keys of this table's columns kept as text, besides IDENTIFIER_KEYS
    bold_rows: Callable[[pd.DataFrame, Edition], pd.Series] | None = None  # rows set in bold, as in the HTML

    def name(self, ed: Edition = VI) -> str:
        return ed.t(f"sheet.{self.table_id}.name")

    def what(self, ed: Edition = VI) -> str:
        return ed.t(f"sheet.{self.table_id}.what")

    def statuses(self, synthetic_registers: bool) -> tuple[str, ...]:
        """The status, "synthetic" in place of "computed" when the registers behind it are synthetic."""
        if self.registers and synthetic_registers:
            return ("synthetic",) + tuple(s for s in self.status if s != "computed")
        return self.status

    def source_text(self, synthetic_registers: bool, ed: Edition = VI) -> str:
        """The source; a register table names the registers first (synthetic when they are)."""
        source = "" if not self.source else ed.t(self.source, plan=tables.plan_document(ed))
        if not self.registers:
            return source
        registers = ed.t("src.synthetic_registers") if synthetic_registers else ed.t("src.registers")
        return "; ".join(part for part in (registers, source) if part)


_PLAN = "src.plan"
_EACH_ROW = "src.each_row"
# Every table the notebook may show (table id, as in show_table), in no particular order: the workbook
# follows the report's order. A table id missing here fails the render (workbook_bytes).
CATALOGUE = {sheet.table_id: sheet for sheet in (
    Sheet("district-flags", ("official",), _EACH_ROW),
    Sheet("poverty-targets", ("plan",), _PLAN),
    Sheet("budget-lines", ("plan", "computed"), _PLAN, bold_rows=tables.budget_subtotal_rows),
    Sheet("capital-split", ("plan", "computed"), _PLAN),
    Sheet("stated-totals", ("plan",), _PLAN),
    Sheet("project-targets", ("plan",), _PLAN),
    Sheet("credit", ("official", "computed"), _PLAN),
    Sheet("policy-results", ("official",), _PLAN),
    Sheet("poverty-series", ("official", "computed", "plan", "estimate"), _EACH_ROW),
    Sheet("district-figures", ("computed",), "", registers=True),
    Sheet("district-comparison", ("computed",), "", registers=True),
    Sheet("deprivation", ("computed",), "", registers=True),
    Sheet("progress", ("computed", "plan"), "sheet.progress.source", registers=True),
    Sheet("flows", ("computed",), "", registers=True),
    Sheet("register-audit", ("computed",), "", registers=True),
    Sheet("transcription", ("computed",), "sheet.transcription.source"),
    Sheet("gx-summary", ("computed",), "src.gx"),
    Sheet("gx-failures", ("computed",), "src.gx"),
    Sheet("reconciliation", ("plan", "computed"), _PLAN),
    Sheet("provenance", ("record",), "sheet.provenance.source", text_columns=("col.value",)),
    Sheet("headline", ("official", "plan", "estimate", "computed"), _EACH_ROW, registers=True, text_columns=("col.value",)),
    Sheet("register-files", ("record",), "sheet.register-files.source"),
    Sheet("raw-inputs", ("record",), "sheet.raw-inputs.source"),
    Sheet("glossary", ("glossary",), "sheet.glossary.source", text_columns=("col.term_vi", "col.term_gloss")),
)}
_SOURCES_COLUMN_KEYS = ("col.sheet", "col.contents", "col.status_key", "col.source", "col.how_to_read")


def workbook_bytes(shown: dict[str, pd.DataFrame], synthetic_registers: bool, environ: dict | None = None,
                   ed: Edition = VI) -> bytes:
    """The workbook of the tables a report showed (table id -> frame, in report order), sources sheet first.

    Raises KeyError naming any table id CATALOGUE does not know, so no table reaches the workbook unlabelled.
    """
    from openpyxl import Workbook

    unknown = sorted(set(shown) - set(CATALOGUE))
    if unknown:
        raise KeyError(f"pipeline.report.workbook.CATALOGUE has no sheet for the report tables {unknown}: "
                       "add each with its status and source, and its labels sheet.<id>.name/.what in both editions")
    stamp = datetime.fromtimestamp(_source_date_epoch(environ), tz=timezone.utc).replace(tzinfo=None)
    book = Workbook()
    sources = []
    labels, notes_of = status_labels(ed), cell_notes(ed)
    for table_id, frame in shown.items():
        sheet = CATALOGUE[table_id]
        name = sheet.name(ed)
        status = "; ".join(labels[s] for s in sheet.statuses(synthetic_registers))
        bold = sheet.bold_rows(frame, ed) if sheet.bold_rows is not None else None
        text = identifier_columns(ed) | {ed.t(key) for key in sheet.text_columns}
        kinds = write_table(book.create_sheet(name), frame, text, bold, ed)
        _print_header(book[name], f"{name} – {status}")
        notes = " ".join(note for kind, note in notes_of.items() if kind in kinds)
        sources.append((name, sheet.what(ed), status, sheet.source_text(synthetic_registers, ed), notes))
    first = book.active
    first.title = sources_sheet(ed)
    columns = [ed.t(key) for key in _SOURCES_COLUMN_KEYS]
    write_table(first, pd.DataFrame(sources, columns=columns), set(columns), ed=ed)
    book.properties.creator = __name__
    book.properties.created = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), stamp)


def write_table(sheet, frame: pd.DataFrame, text_columns: set[str], bold: pd.Series | None = None,
                ed: Edition = VI) -> set[str]:
    """A display table on a sheet: bold frozen header with filters, each cell as the value it shows, fitted widths.

    Returns the kinds of cells it wrote (keys of CELL_NOTE_KINDS among them), for the sources sheet.
    """
    from openpyxl.styles import Font

    header = Font(bold=True)
    columns = [str(c) for c in frame.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = header
    rate_columns = {c for c in columns if is_rate_header(c, ed)}
    unit = unit_column(ed)
    units = frame[unit].map(_text).tolist() if unit in frame.columns else [""] * len(frame)
    bold_rows = list(bold) if bold is not None else [False] * len(frame)
    kinds: set[str] = set()
    for row, (values, unit, in_bold) in enumerate(zip(frame.itertuples(index=False), units, bold_rows), start=2):
        for col, (column, value) in enumerate(zip(columns, values), start=1):
            text = _text(value)
            if column in text_columns:
                content, number_format, kind = (text or None), "@", "text"
            else:
                content, number_format, kind = cell_value(text, column in rate_columns or "%" in unit, ed)
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


def is_rate_header(header: str, ed: Edition = VI) -> bool:
    """A column of rates: its header says "%" (also "điểm %", percentage points) or starts with "Tỷ lệ" ("Rate")."""
    return "%" in header or header.startswith(ed.t("rate_prefix"))


def cell_value(text: str, rate: bool, ed: Edition = VI) -> tuple[object, str | None, str]:
    """(value, number format, kind) of one display cell outside identifier columns.

    A number as tables.number/rate write it becomes that number (a rate: that fraction), its format showing the
    same decimals; "…(tính)" keeps its mark in the format; "–" and "" are empty; anything else stays text.
    """
    mark = tables.computed_mark(ed)
    if text in ("", tables.MISSING):
        return None, None, "missing" if text else "empty"
    body, marked = text, text.endswith(f" {mark}")
    if marked:
        body = text[: -len(mark) - 1]
        if body == tables.MISSING:
            return None, None, "missing"
    try:
        value = ed.parse_number(body)
    except VietnameseNumberError:
        return text, None, _text_kind(text, ed)
    decimals = max(0, -value.as_tuple().exponent)
    digits = "." + "0" * decimals if decimals else ""
    number_format = f"0{digits}%" if rate else f"#,##0{digits}"
    if marked:
        number_format += f'" {mark}"'
    number = value / 100 if rate else value
    kind = "computed" if marked else "rate" if rate else "number"
    return (int(number) if number == number.to_integral_value() and not rate else float(number)), number_format, kind


def _text_kind(text: str, ed: Edition = VI) -> str:
    """Why a cell that is not a plain number stays text: suppressed, qualified ("trên 35.000") or plain text."""
    if text == SUPPRESSED:
        return "suppressed"
    for word in _qualifiers(ed):  # "trên 35.000", "at least 3"
        if text.startswith(f"{word} "):
            try:
                ed.parse_number(text[len(word) + 1:])
            except VietnameseNumberError:
                return "text"
            return "qualified"
    return "text"


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
