"""Hostile raw input, each case built from a GOOD shipped file by damaging it in a copy of data/raw.

A case names the damage and what the error must name: the file, the row and column of the
RawDataError (None where none applies) and a phrase of the message (what was found or expected,
or how to fix it). Cases marked `repaired` are damage the ingestion repairs: the build succeeds and
a warning containing `expect` is logged. The test (tests/test_hostile_inputs.py) makes the copy.

Rows and columns refer to the shipped files as registered in data/raw/README.md.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from openpyxl import Workbook

from pipeline import vn

Damage = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    name: str
    damage: Damage
    file: str
    row: int | None
    column: str | None
    expect: str
    repaired: bool = False


# --- Legacy encoders (the inverse of pipeline.vn's tables), to make files as old software did ------

_TCVN3_OF = {letter: char for char, letter in reversed(vn.TCVN3.items())}
_VNI_KEY_OF = {unicodedata.normalize("NFD", "a" + marks)[1:]: key for key, marks in vn.VNI_KEYS.items() if key.islower()}
_VNI_ONE_CHAR = {letter: char for char, letter in vn.VNI_LETTERS.items()}
_HORN_BASE = {"o": "ô", "u": "ö", "O": "Ô", "U": "Ö"}  # VNI writes ơ, ư as ô, ö


def to_tcvn3(text: str) -> str:
    """TCVN3 (ABC) as Latin-1 characters; capitals with tone marks use the small letters' codes, as .VnTimeH does."""
    return "".join(c if c.isascii() else _TCVN3_OF.get(c, _TCVN3_OF.get(c.lower(), "?")) for c in vn.nfc(text))


def to_vni(text: str) -> str:
    """VNI as Latin-1 characters: base letter + key character(s)."""
    out = []
    for c in vn.nfc(text):
        if c.isascii() or c in "íìÍÌ":
            out.append(c)
        elif c in _VNI_ONE_CHAR:
            out.append(_VNI_ONE_CHAR[c])
        else:
            base, *marks = unicodedata.normalize("NFD", c)
            if "\u031b" in marks:
                base = _HORN_BASE[base]
                marks.remove("\u031b")
            key = _VNI_KEY_OF.get("".join(marks), "?") if marks else ""
            out.append(base + (key.upper() if base.isupper() else key))
    return "".join(out)


def as_cp1252(text: str) -> str:
    """UTF-8 bytes shown as Windows-1252 ("Há»™ nghÃ¨o"); bytes it leaves undefined pass as Latin-1."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8"))


def to_cp1258(text: str) -> bytes:
    """Windows-1258: precomposed where the code page has the letter, else base letter + tone mark."""
    out = bytearray()
    for c in vn.nfc(text):
        decomposed = unicodedata.normalize("NFD", c)
        tone = "".join(m for m in decomposed if m in vn.TONE_MARKS)
        base = vn.nfc("".join(m for m in decomposed if m not in vn.TONE_MARKS))
        try:
            out += c.encode("cp1258")
        except UnicodeEncodeError:
            out += (base + tone).encode("cp1258", errors="replace")
    return bytes(out)


# --- Damage helpers --------------------------------------------------------------------------------

def rows_of(raw: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((raw / name).read_text(encoding="utf-8"), newline="")))


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def rows_edit(name: str, edit: Callable[[list[list[str]]], None]) -> Damage:
    def damage(raw: Path) -> None:
        rows = rows_of(raw, name)
        edit(rows)
        (raw / name).write_text(csv_text(rows), encoding="utf-8")
    return damage


def set_cell(name: str, line: int, header: str, value: str) -> Damage:
    def edit(rows):
        rows[line - 1][rows[0].index(header)] = value
    return rows_edit(name, edit)


def map_cell(name: str, line: int, header: str, change: Callable[[str], str]) -> Damage:
    def edit(rows):
        index = rows[0].index(header)
        rows[line - 1][index] = change(rows[line - 1][index])
    return rows_edit(name, edit)


def text_edit(name: str, change: Callable[[str], str]) -> Damage:
    def damage(raw: Path) -> None:
        (raw / name).write_text(change((raw / name).read_text(encoding="utf-8")), encoding="utf-8")
    return damage


def bytes_edit(name: str, change: Callable[[bytes], bytes]) -> Damage:
    def damage(raw: Path) -> None:
        (raw / name).write_bytes(change((raw / name).read_bytes()))
    return damage


def encode_file(name: str, encode: Callable[[str], bytes]) -> Damage:
    return bytes_edit(name, lambda data: encode(data.decode("utf-8")))


def with_delimiter(name: str, delimiter: str) -> Damage:
    """Re-saved with another delimiter, as Excel does in Vietnamese locales (';') or as "Text" (tab)."""
    def damage(raw: Path) -> None:
        (raw / name).write_text(csv_text(rows_of(raw, name), delimiter), encoding="utf-8")
    return damage


def cell_in_cp1258(name: str, line: int, header: str) -> Damage:
    """A file in UTF-8 but for one cell pasted from a Windows-1258 document."""
    def damage(raw: Path) -> None:
        rows = rows_of(raw, name)
        index = rows[0].index(header)
        value, rows[line - 1][index] = rows[line - 1][index], "@@CELL@@"
        (raw / name).write_bytes(csv_text(rows).encode("utf-8").replace(b"@@CELL@@", to_cp1258(value)))
    return damage


def line_edit(name: str, line: int, change: Callable[[str], str]) -> Damage:
    def damage(raw: Path) -> None:
        lines = (raw / name).read_text(encoding="utf-8").split("\n")
        lines[line - 1] = change(lines[line - 1])
        (raw / name).write_text("\n".join(lines), encoding="utf-8")
    return damage


def truncate_in_row(name: str, line: int, cells: int) -> Damage:
    """The file ends inside line `line`, after its first `cells` cells (a copy cut short)."""
    def damage(raw: Path) -> None:
        rows = rows_of(raw, name)
        (raw / name).write_text(csv_text(rows[: line - 1]) + csv_text([rows[line - 1][:cells]]).rstrip("\n"),
                                encoding="utf-8")
    return damage


def truncate_in_character(name: str, line: int) -> Damage:
    """The file ends after the first byte of the first multi-byte character of line `line`."""
    def change(data: bytes) -> bytes:
        start = sum(len(x) + 1 for x in data.split(b"\n")[: line - 1])
        cut = next(i for i in range(start, len(data)) if data[i] >= 0xC0)
        return data[: cut + 1]
    return bytes_edit(name, change)


def as_xlsx(name: str, edit: Callable[[Workbook], None] | None = None, save_as: str | None = None) -> Damage:
    """The CSV re-made as the first sheet of an XLSX (same name, .xlsx), then `edit`ed."""
    def damage(raw: Path) -> None:
        rows = rows_of(raw, name)
        (raw / name).unlink()
        book = Workbook()
        for row in rows:
            book.active.append(row)
        if edit:
            edit(book)
        book.save(raw / (save_as or Path(name).stem + ".xlsx"))
    return damage


def renamed(name: str, new_name: str) -> Damage:
    def damage(raw: Path) -> None:
        (raw / name).rename(raw / new_name)
    return damage


def columns_edit(name: str, change: Callable[[list[str], int], list[str]]) -> Damage:
    """change(row, line) -> new row, applied to every row (line 1 = header)."""
    def edit(rows):
        rows[:] = [change(row, line) for line, row in enumerate(rows, 1)]
    return rows_edit(name, edit)


def keep_lines(name: str, count: int) -> Damage:
    def edit(rows):
        del rows[count:]
    return rows_edit(name, edit)


def put(coordinate: str, value: object) -> Callable[[Workbook], None]:
    """An XLSX edit: one cell of the first sheet set to `value` (a string starting with '=' is a formula)."""
    def edit(book: Workbook) -> None:
        book.active[coordinate] = value
    return edit


def spaced(row: list[str], line: int) -> list[str]:
    """Lines 2–6 with spaces around the code and NBSP, a double space and a tab in the name (10 cells)."""
    if line == 1 or line > 6:
        return row
    return [f"  {row[0]} ", row[1], f"\u00a0{row[2].replace(' ', '  ', 1)}\t", *row[3:]]


BF, BST, DIS, PRJ = "budget_figures.csv", "budget_stated_totals.csv", "districts.csv", "projects.csv"
POL, PLAN, POV = "policy_results_2021.csv", "plan_targets_2022.csv", "poverty_series.csv"
AMOUNT = "Số tiền (triệu đồng)"

CASES: list[Case] = [
    # Encodings
    Case("windows_1258_file", encode_file(BST, to_cp1258), BST, 1, "Năm", "Windows-1258"),
    Case("tcvn3_file", encode_file(POL, lambda t: to_tcvn3(t).encode("latin-1")), POL, 1, "Năm", "TCVN3"),
    Case("vni_file", encode_file(PRJ, lambda t: to_vni(t).encode("latin-1", errors="replace")), PRJ, 1, "Mã dự án", "VNI"),
    Case("windows_1258_cell_in_utf8_file", cell_in_cp1258(DIS, 4, "Tên đơn vị"), DIS, 4, "Tên đơn vị", "Windows-1258"),
    Case("tcvn3_mojibake_in_utf8", map_cell(BF, 5, "Nội dung", to_tcvn3), BF, 5, "Nội dung", "TCVN3"),
    Case("vni_mojibake_in_utf8", map_cell(DIS, 3, "Tên đơn vị", to_vni), DIS, 3, "Tên đơn vị", "VNI"),
    Case("utf8_opened_as_cp1252", map_cell(PRJ, 3, "Tên", as_cp1252), PRJ, 3, "Tên", "Windows-1252"),
    Case("viqr_in_utf8", set_cell(DIS, 4, "Tên đơn vị", "Huye^.n Bi`nh Gia"), DIS, 4, "Tên đơn vị", "VIQR"),
    Case("utf16_without_bom", encode_file(POV, lambda t: t.encode("utf-16-le")), POV, 1, None, "UTF-16"),
    Case("truncated_inside_a_character", truncate_in_character(BF, 30), BF, 30, None, "bị cắt"),
    # Repaired, logged
    Case("utf8_bom", bytes_edit(BST, lambda b: b"\xef\xbb\xbf" + b), BST, None, None, "bỏ BOM UTF-8", repaired=True),
    Case("utf16_with_bom", encode_file(POL, lambda t: t.encode("utf-16")), POL, None, None, "UTF-16", repaired=True),
    Case("nfd_text", text_edit(BF, lambda t: unicodedata.normalize("NFD", t)), BF, None, None, "NFC", repaired=True),
    Case("stray_whitespace", columns_edit(PRJ, spaced), PRJ, None, None, "bỏ khoảng trắng thừa 10 ô (dòng 2–6)",
         repaired=True),
    # Layout
    Case("semicolon_delimiter", with_delimiter(BST, ";"), BST, 1, None, "dấu chấm phẩy"),
    Case("tab_delimiter", with_delimiter(DIS, "\t"), DIS, 1, None, "dấu tab"),
    Case("zero_byte_file", bytes_edit(PRJ, lambda b: b""), PRJ, None, None, "file rỗng (0 byte)"),
    Case("header_only", keep_lines(PLAN, 1), PLAN, None, None, "không có dòng dữ liệu"),
    Case("truncated_row", truncate_in_row(BF, 30, 7), BF, 30, "Nguồn vốn", "dòng bị cắt"),
    Case("unterminated_quote", line_edit(BST, 5, lambda l: l.replace(",Tổng kinh phí", ',"Tổng kinh phí', 1)),
         BST, 5, "Nội dung", "ngoặc kép"),
    Case("decimal_comma_outside_quotes", line_edit(PLAN, 2, lambda l: l.replace('"3,0"', "3,0")), PLAN, 2, "Giá trị",
         "ngoặc kép"),
    # XLSX
    Case("xlsx_merged_header", as_xlsx(BST, lambda b: b.active.merge_cells("A1:B1")), "budget_stated_totals.xlsx", 1,
         "Năm", "ô gộp A1:B1"),
    Case("xlsx_formula", as_xlsx(BST, put("G3", "=136000+710")), "budget_stated_totals.xlsx",
         3, AMOUNT, "dán giá trị"),
    Case("xlsx_data_on_second_sheet", as_xlsx(PRJ, lambda b: b.create_sheet("Sheet2").append(["DA8", "Ghi thêm"])),
         "projects.xlsx", None, None, "«Sheet2»"),
    Case("xlsx_date_in_year", as_xlsx(POL, put("A4", datetime(2021, 1, 1))),
         "policy_results_2021.xlsx", 4, "Năm", "Ghi năm bằng 4 chữ số"),
    Case("csv_named_xlsx", renamed(PRJ, "projects.xlsx"), "projects.xlsx", None, None, "không mở được file XLSX"),
    Case("xlsx_named_csv", as_xlsx(PRJ, save_as=PRJ), PRJ, None, None, "file Excel (XLSX) mang đuôi .csv"),
    # Columns
    Case("missing_column", columns_edit(POV, lambda r, _: r[:8] + r[9:]), POV, 1, "Độ tin cậy", "thiếu cột"),
    Case("renamed_column", set_cell(BF, 1, AMOUNT, "Số tiền (tr.đ)"), BF, 1, "Số tiền (tr.đ)",
         "Đổi tiêu đề «Số tiền (tr.đ)» thành «Số tiền (triệu đồng)»"),
    Case("extra_column", columns_edit(DIS, lambda r, i: r + ["Ghi chú" if i == 1 else ""]), DIS, 1, "Ghi chú",
         "Các cột hợp lệ"),
    Case("duplicated_column", columns_edit(PRJ, lambda r, _: r + [r[2]]), PRJ, 1, "Tên", "lặp lại"),
    # Cells
    Case("text_in_amount", set_cell(BF, 7, AMOUNT, "chưa có số"), BF, 7, AMOUNT, "expected a number"),
    Case("nan_in_value", set_cell(POV, 5, "Giá trị", "NaN"), POV, 5, "Giá trị", "NaN"),
    Case("excel_error_value", set_cell(BST, 4, AMOUNT, "#VALUE!"), BST, 4, AMOUNT, "ô lỗi của Excel"),
    Case("negative_amount", map_cell(BF, 9, AMOUNT, lambda v: "-" + v), BF, 9, AMOUNT, "số âm"),
    Case("absurd_amount_in_dong", map_cell(BF, 3, AMOUNT, lambda v: v + ".000.000"), BF, 3, AMOUNT, "vượt mức trần"),
    Case("absurd_money_value", set_cell(POL, 3, "Giá trị", "768.713.000.000"), POL, 3, "Giá trị", "vượt mức trần"),
    Case("duplicated_key", rows_edit(POL, lambda rows: rows.append(list(rows[2]))), POL, 20, "Mã chỉ tiêu",
         "bị trùng với dòng policy_results_2021.csv dòng 3"),
    Case("district_code_four_digits", set_cell(DIS, 5, "Mã huyện", "1782"), DIS, 5, "Mã huyện", "3 chữ số"),
    Case("district_code_with_letter", set_cell(BF, 53, "Mã huyện", "18A"), BF, 53, "Mã huyện", "3 chữ số"),
    Case("unknown_vocabulary_value", set_cell(BF, 4, "Nguồn vốn", "NSĐP"), BF, 4, "Nguồn vốn", "«Ngân sách địa phương»"),
    Case("empty_required_cell", set_cell(PRJ, 3, "Tên", ""), PRJ, 3, "Tên", "ô trống"),
    Case("iso_date_as_year", set_cell(BST, 6, "Năm", "2022-01-01"), BST, 6, "Năm", "Ghi năm bằng 4 chữ số"),
    Case("dmy_date_as_year", set_cell(PLAN, 4, "Năm", "01/01/2022"), PLAN, 4, "Năm", "Ghi năm bằng 4 chữ số"),
    Case("words_in_year", set_cell(BF, 12, "Năm", "năm 2022"), BF, 12, "Năm", "Ghi năm bằng 4 chữ số"),
    Case("year_in_the_wrong_file", set_cell(POL, 8, "Năm", "2022"), POL, 8, "Năm", "nằm trong file của năm 2021"),
]
