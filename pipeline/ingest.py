"""Read raw tables (CSV or XLSX with Vietnamese headers) into typed frames, per pipeline.schema.

The contract: a CSV in UTF-8 with ',' between cells, or the first sheet of an XLSX holding plain
values (no formulas, no merged cells, no data on other sheets); row 1 holds the table's Vietnamese
headers, each later row one record. Anything else is hostile input: it stops the build with ONE
RawDataError naming file, row and column, what was found, what was expected and how to fix it.
What can be repaired without guessing (a BOM, UTF-16 with a BOM, NFD text, stray whitespace) is
repaired on read and logged once per file with runlog.warn; the raw file itself is never changed.

Numbers are parsed exactly (Vietnamese notation); vocabularies are mapped to canonical codes. Each
row keeps `source_file` and `source_row` (line in the file, header = 1) so later checks can point
back to it.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd

from pipeline import paths, runlog, vn
from pipeline.errors import RawDataError
from pipeline.schema import RAW_TABLES, RawColumn, RawTable
from pipeline.vn import VietnameseNumberError, clean_text, format_vn_number, parse_vn_number

RAW_SUFFIXES = (".csv", ".xlsx")
# A money amount above this is a unit slip (đồng typed into a triệu đồng column) or a typo:
# 100.000.000 triệu đồng = 100 nghìn tỷ đồng, several times Lạng Sơn's whole yearly budget.
MONEY_CEILING_MVND = Decimal(100_000_000)
MONEY_UNIT = "triệu đồng"
# "Năm" is a calendar year written with 4 digits. An XLSX number cell 2022.0 is the number 2022 and
# is accepted; text such as "2022.0", "2022-01-01" or "năm 2022" (and XLSX date cells) is not.
YEAR_RANGE = (2000, 2100)
# What spreadsheets and pandas write for "no value": never a figure (leave the cell empty instead).
MISSING_MARKERS = frozenset({"nan", "na", "n/a", "#n/a", "null", "none", "-", "–", "—"})
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
SAVE_AS_UTF8 = ("Mở file bằng Excel hoặc LibreOffice và lưu lại dưới dạng CSV UTF-8 (Save As → «CSV UTF-8 "
                "(Comma delimited)»); văn bản gõ bằng font TCVN3/VNI thì chuyển mã sang Unicode trước "
                "(Unikey → Công cụ chuyển mã).")
_LEGACY_CODECS = {  # how the bytes of a non-UTF-8 file would read in each legacy Vietnamese encoding
    "Windows-1258": lambda data: vn.nfc(data.decode("cp1258", errors="replace")),
    "TCVN3 (ABC)": lambda data: vn.tcvn3_to_unicode(data.decode("latin-1")),
    "VNI": lambda data: vn.vni_to_unicode(data.decode("latin-1")),
}
_DELIMITERS = {";": "dấu chấm phẩy ';'", "\t": "dấu tab", "|": "dấu gạch đứng '|'"}

Rows = list[tuple[int, list[object]]]


def raw_files(table: RawTable, raw_dir: Path | None = None) -> list[Path]:
    """Files of a raw table: <file_stem>*.csv|xlsx in data/raw, sorted so the order is stable."""
    raw_dir = raw_dir or paths.RAW
    found = sorted(p for p in raw_dir.glob(f"{table.file_stem}*") if p.suffix.lower() in RAW_SUFFIXES)
    if not found:
        raise RawDataError(f"data/raw/{table.file_stem}.csv", None, None,
                           f"không tìm thấy bảng «{table.name}» (file not found).",
                           f"Đặt file {table.file_stem}.csv hoặc .xlsx vào data/raw/.")
    return found


def read_table(name: str, raw_dir: Path | None = None) -> pd.DataFrame:
    """All files of raw table `name`, typed and with provenance columns, in file then line order."""
    table = RAW_TABLES[name]
    frames = [parse_file(table, path, path.name) for path in raw_files(table, raw_dir)]
    frame = pd.concat(frames, ignore_index=True)
    check_unique_key(frame, table)
    return frame


def parse_file(table: RawTable, path: Path, display_name: str) -> pd.DataFrame:
    """One file checked layer by layer (bytes, layout, header, cells), then its repairs logged once."""
    header, rows, repairs = read_cells(path, display_name)
    check_header_row(header, display_name)
    positions = map_header(table, header, display_name)
    check_rows(table, header, positions, rows, display_name)
    repairs += text_repairs(header, rows)
    records = []
    for line, cells in rows:
        record = {}
        for column in table.columns:
            index = positions.get(column.name)
            raw = cells[index] if index is not None and index < len(cells) else ""
            record[column.name] = convert_cell(raw, column, display_name, line)
        check_money(record, table, display_name, line)
        record["source_file"] = display_name
        record["source_row"] = line
        records.append(record)
    check_file_year(table, path, records, display_name)
    if repairs:
        runlog.warn(f"{display_name}: đã sửa khi đọc, file gốc không đổi (repaired on read): " + "; ".join(repairs) + ".")
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in table.columns] + ["source_file", "source_row"])
    return frame.astype({"source_row": "int64"})


# --- Bytes and layout --------------------------------------------------------------------------

def read_cells(path: Path, file: str | None = None) -> tuple[list[str], Rows, list[str]]:
    """Header, (line, cells) of non-blank rows, and the repairs made: a CSV, or an XLSX's first sheet."""
    file = file or path.name
    if path.suffix.lower() == ".xlsx":
        header, rows = _read_xlsx(path, file)
        return header, rows, []
    text, repairs = decode_csv(path.read_bytes(), file)
    header, rows = split_csv(text, file)
    return header, rows, repairs


def decode_csv(data: bytes, file: str) -> tuple[str, list[str]]:
    """UTF-8 is the contract; a BOM (UTF-8 or UTF-16) says unambiguously what the bytes are, so those
    are decoded and logged. Anything else is rejected, naming the legacy encoding it looks like."""
    if not data.strip():
        raise RawDataError(file, None, None, f"file rỗng ({len(data)} byte) (empty file).",
                           "Xuất lại file từ bảng tính gốc, hoặc xoá file nếu không dùng.")
    if data.startswith(b"PK\x03\x04"):
        raise RawDataError(file, None, None, "đây là file Excel (XLSX) mang đuôi .csv (an XLSX named .csv).",
                           "Đổi đuôi file thành .xlsx, hoặc lưu lại dưới dạng CSV UTF-8.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, repairs = data.decode("utf-16"), ["đọc mã UTF-16 (có BOM) như UTF-8"]
        except UnicodeDecodeError:
            raise RawDataError(file, None, None, "file UTF-16 bị hỏng hoặc bị cắt (broken UTF-16).", SAVE_AS_UTF8) from None
    else:
        refuse_nul(data.decode("latin-1"), file)  # UTF-16 without a BOM: refused before it is misread as UTF-8
        try:
            text, repairs = data.decode("utf-8-sig"), ["bỏ BOM UTF-8"] if data.startswith(codecs.BOM_UTF8) else []
        except UnicodeDecodeError as err:
            raise encoding_error(data, err, file) from None
    refuse_nul(text, file)
    return text, repairs


def refuse_nul(text: str, file: str) -> None:
    """NUL never occurs in a text table: the file is UTF-16 without a BOM, UTF-32 or not text at all."""
    if "\x00" in text:
        raise RawDataError(file, text.count("\n", 0, text.index("\x00")) + 1, None, "file chứa ký tự NUL: có vẻ là "
                           "UTF-16 không có BOM, UTF-32 hoặc file nhị phân (NUL characters).", SAVE_AS_UTF8)


def encoding_error(data: bytes, err: UnicodeDecodeError, file: str) -> RawDataError:
    """Name the first line and cell that is not UTF-8, and the legacy encoding it looks like."""
    line = data.count(b"\n", 0, err.start) + 1
    if err.reason == "unexpected end of data":
        return RawDataError(file, line, None, "file bị cắt ngang giữa một ký tự (truncated file).",
                            "Xuất lại hoặc chép lại file đầy đủ từ bảng tính gốc.")
    guess = guess_legacy_encoding(data)
    column, cell = _cell_at(data, err.start, _LEGACY_CODECS.get(guess, lambda b: b.decode("latin-1")))
    if guess:
        found = f"có vẻ là bảng mã {guess} (ô này đọc theo {guess} là «{cell}») (not UTF-8; looks like {guess})"
    else:
        found = f"byte 0x{data[err.start]:02X} không thuộc bảng mã tiếng Việt quen thuộc nào (not UTF-8)"
    return RawDataError(file, line, column, f"file không phải UTF-8: {found}.", SAVE_AS_UTF8)


def guess_legacy_encoding(data: bytes) -> str | None:
    """The legacy encoding in which the file's non-UTF-8 cells read best as Vietnamese, None if none does.
    Cells are judged apart, so a UTF-8 file with one cell pasted from an old document is judged by that cell."""
    bad = [cell for cell in _byte_cells(data) if not _is_utf8(cell)]
    scores = {name: sum(vn.vietnamese_score(decode(c)) for c in bad) for name, decode in _LEGACY_CODECS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else None


def _cell_at(data: bytes, offset: int, decode) -> tuple[str | None, str]:
    """Header and text of the cell holding byte `offset` (lines are split as Latin-1, which keeps byte positions)."""
    start = data.rfind(b"\n", 0, offset) + 1
    index = len(_csv_cells(data[start:offset].decode("latin-1"))) - 1
    first = data.split(b"\n", 1)[0]
    header = _csv_cells(first.decode("utf-8") if _is_utf8(first) else decode(first))
    cells = _csv_cells(decode(data[start:].split(b"\n", 1)[0]))
    return (clean_text(header[index]) if index < len(header) else None,
            _excerpt(clean_text(cells[index])) if index < len(cells) else "")


def _byte_cells(data: bytes) -> list[bytes]:
    """Every cell of a file as bytes (split as Latin-1, which keeps each byte), to judge one by one."""
    return [c.encode("latin-1") for line in data.split(b"\n") for c in _csv_cells(line.decode("latin-1"))]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_cells(line: str) -> list[str]:
    """Cells of one physical line, for locating a bad byte (quotes left open are tolerated here)."""
    return next(csv.reader([line.rstrip("\r\n")]), None) or [""]


def split_csv(text: str, file: str) -> tuple[list[str], Rows]:
    """Header and non-blank rows, line by line; a quote left open is an error at the line it opens."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: Rows = []
    start = 1
    try:
        for cells in reader:
            if header is None:
                header = cells
            elif any(c.strip() for c in cells):
                rows.append((reader.line_num, list(cells)))
            start = reader.line_num + 1
    except csv.Error as err:
        physical = (text.splitlines() + [""])[start - 1]
        index = len(_csv_cells(physical)) - 1
        column = clean_text(header[index]) if header and index < len(header) else None
        raise RawDataError(file, start, column, f"dấu ngoặc kép không khớp (unbalanced quote: {err}).",
                           'Đóng dấu " của ô này (dấu " bên trong ô viết thành ""); nếu file bị cắt, '
                           "xuất lại file đầy đủ.") from None
    return header or [], rows


def _read_xlsx(path: Path, file: str) -> tuple[list[str], Rows]:
    """Values of the first sheet, after refusing what a sheet can hide: data on other sheets, merged
    cells (only their first cell holds the value) and formulas (a file must hold the figures)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:  # not read-only and not data-only: only so are merged ranges and formulas visible
        book = load_workbook(path, read_only=False, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as err:
        raise RawDataError(file, None, None, f"không mở được file XLSX: file hỏng, bị cắt hoặc không phải XLSX "
                           f"(unreadable XLSX: {type(err).__name__}).",
                           "Mở bằng Excel và lưu lại dưới dạng Excel Workbook (.xlsx) hoặc CSV UTF-8.") from None
    sheet, *others = book.worksheets
    filled = [s.title for s in others if any(v not in (None, "") for row in s.iter_rows(values_only=True) for v in row)]
    if filled:
        raise RawDataError(file, None, None, f"chỉ trang tính đầu «{sheet.title}» được đọc, nhưng trang "
                           + ", ".join(f"«{t}»" for t in filled) + " cũng có dữ liệu (data on extra sheets).",
                           "Chuyển dữ liệu về trang đầu hoặc sang file riêng, rồi xoá các trang kia.")

    def header_of(col: int) -> str | None:
        return clean_text(str(sheet.cell(1, col).value or "")) or None

    for merged in sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        where = "ở dòng tiêu đề " if merged.min_row == 1 else ""
        raise RawDataError(file, merged.min_row, header_of(merged.min_col), f"ô gộp {merged.coord} {where}"
                           "(merged cells): chỉ ô đầu giữ giá trị.",
                           "Bỏ gộp ô (Unmerge) và ghi tiêu đề hoặc giá trị vào từng ô; dòng 1 có đúng một tiêu đề mỗi cột.")
    rows: Rows = []
    for line, cells in enumerate(sheet.iter_rows(), start=1):
        for cell in cells:
            if cell.data_type == "f":
                formula = str(getattr(cell.value, "text", cell.value))[:40]
                raise RawDataError(file, line, header_of(cell.column), f"ô {cell.coordinate} chứa công thức «{formula}» "
                                   "(formula), không phải giá trị.", "Sao chép rồi dán giá trị (Paste Special → Values) "
                                   "để file chỉ chứa số liệu.")
        rows.append((line, ["" if c.value is None else c.value for c in cells]))
    if not rows:
        return [], []
    (_, header), data = rows[0], rows[1:]
    return [str(h) for h in header], [(line, cells) for line, cells in data if any(str(c).strip() for c in cells)]


def check_header_row(header: list, file: str) -> None:
    """Row 1 must be the headers, cut by commas (Excel in Vietnamese locales exports ';')."""
    named = [str(h) for h in header if str(h).strip()]
    if not named:
        raise RawDataError(file, 1, None, "dòng 1 trống, không có tiêu đề cột (no header row).",
                           "Dòng 1 phải là tiêu đề các cột như trong docs/data_dictionary.md.")
    found = [d for d in _DELIMITERS if d in named[0]]
    if len(named) == 1 and found:
        raise RawDataError(file, 1, None, f"các cột được ngăn bằng {_DELIMITERS[found[0]]} thay vì dấu phẩy "
                           "(wrong delimiter; expected ',').", 'Lưu lại dưới dạng CSV UTF-8 (Comma delimited): ô ngăn '
                           'bằng dấu phẩy, số có dấu phẩy thập phân nằm trong ngoặc kép ("7,88").')


def map_header(table: RawTable, header: list[str], file: str) -> dict[str, int]:
    """Canonical column name -> position, from the Vietnamese headers (NFC, spaces tidied)."""
    cleaned = [clean_text(str(h)) for h in header]
    for index, text in enumerate(cleaned):
        check_legacy_text(text, file, 1, text or f"cột thứ {index + 1}")
    expected = {c.header: c for c in table.columns}
    for text in cleaned:
        if text and cleaned.count(text) > 1:
            places = " và ".join(str(i + 1) for i, h in enumerate(cleaned) if h == text)
            raise RawDataError(file, 1, text, f"tiêu đề lặp lại ở cột thứ {places} (duplicated column).",
                               "Giữ một cột với tiêu đề này, xoá hoặc đổi tên cột kia.")
    unknown = [h for h in cleaned if h and h not in expected]
    missing = [c.header for c in table.columns if c.required and c.header not in cleaned]
    if unknown:
        close = difflib.get_close_matches(unknown[0], missing, n=1, cutoff=0.5)
        if close or (len(unknown) == 1 and len(missing) == 1):
            renamed = (close or missing)[0]
            raise RawDataError(file, 1, unknown[0], f"cột không có trong hợp đồng dữ liệu của bảng «{table.name}» "
                               f"và thiếu cột «{renamed}»: có lẽ cột đã bị đổi tên (renamed column).",
                               f"Đổi tiêu đề «{unknown[0]}» thành «{renamed}».")
        raise RawDataError(file, 1, unknown[0], f"cột không có trong hợp đồng dữ liệu của bảng «{table.name}» (unknown column).",
                           "Các cột hợp lệ: " + ", ".join(f"«{h}»" for h in expected) + ".")
    if missing:
        column = next(c for c in table.columns if c.header == missing[0])
        raise RawDataError(file, 1, column.header, "thiếu cột bắt buộc (missing column).",
                           f"Thêm cột «{column.header}»: {column.description}.")
    return {expected[h].name: i for i, h in enumerate(cleaned) if h}


def check_rows(table: RawTable, header: list, positions: dict[str, int], rows: Rows, file: str) -> None:
    """At least one data row, and every row exactly as wide as the header (a short row is a cut file,
    a long one usually a decimal comma outside quotes)."""
    if not rows:
        raise RawDataError(file, None, None, "file chỉ có dòng tiêu đề, không có dòng dữ liệu (no data rows).",
                           "Thêm số liệu vào file, hoặc xoá file nếu bảng này chưa có số liệu.")
    width = max(i for i, h in enumerate(header) if str(h).strip()) + 1
    numbers = [positions[c.name] for c in table.columns if c.kind == "number" and c.name in positions]
    for line, cells in rows:
        if len(cells) < width:
            raise RawDataError(file, line, clean_text(str(header[len(cells)])),
                               f"dòng chỉ có {len(cells)} ô, tiêu đề có {width} cột: dòng bị cắt hoặc thiếu dấu phẩy "
                               "(short row, truncated file?).", "Bổ sung các ô còn thiếu, hoặc xuất lại file đầy đủ.")
        stray = [i for i, v in enumerate(cells) if str(v).strip() and (i >= width or not str(header[i]).strip())]
        if stray:
            split = [i for i in numbers if i + 1 < len(cells) and str(cells[i]).isdigit() and str(cells[i + 1]).isdigit()]
            column = clean_text(str(header[split[0]])) if split else None
            found = f"; có lẽ số «{cells[split[0]]},{cells[split[0] + 1]}» bị tách làm hai ô" if split else ""
            raise RawDataError(file, line, column, f"có ô dữ liệu ở cột thứ {stray[0] + 1}, ngoài các cột có tiêu đề"
                               f"{found} (extra cells).",
                               'Số có dấu phẩy thập phân phải nằm trong ngoặc kép ("7,88"); xoá ô thừa hoặc thêm tiêu đề.')


def text_repairs(header: list, rows: Rows) -> list[str]:
    """What clean_text will repair in this file (NFC, whitespace), counted for one log line."""
    found: dict[str, list[int]] = {"chuẩn hoá Unicode NFC": [], "bỏ khoảng trắng thừa": []}
    for line, cells in [(1, header)] + rows:
        for value in cells:
            if isinstance(value, str) and clean_text(value) != value:
                kind = "chuẩn hoá Unicode NFC" if vn.nfc(value) != value else "bỏ khoảng trắng thừa"
                found[kind].append(line)
    return [f"{kind} {len(lines)} ô (dòng {min(lines)}–{max(lines)})" for kind, lines in found.items() if lines]


# --- Cells ---------------------------------------------------------------------------------------

def convert_cell(raw: object, column: RawColumn, file: str, line: int):
    """One cell to its typed value; empty optional cells become "" (text) or NaN (numbers)."""
    text = _cell_text(raw)
    if text.upper() in EXCEL_ERRORS:
        raise RawDataError(file, line, column.header, f"ô lỗi của Excel «{text}» (spreadsheet error value).",
                           "Sửa công thức gốc rồi dán giá trị; để trống nếu không có số liệu.")
    if text == "":
        if column.required:
            raise RawDataError(file, line, column.header, "ô trống ở cột bắt buộc (empty required cell).",
                               f"Cần: {column.description}.")
        if column.kind == "number":
            return float("nan")
        if column.kind == "vocab":
            return column.vocabulary.get("", "")
        return ""
    if column.kind == "number":
        return _number(raw, text, column, file, line)
    check_legacy_text(text, file, line, column.header)
    if column.kind == "int":
        return _year(raw, text, column, file, line) if column.name == "year" else _whole(text, column, file, line)
    if column.kind == "code":
        if not re.fullmatch(r"[0-9]{3}", text):
            raise RawDataError(file, line, column.header, f"«{text}» không phải mã huyện 3 chữ số (expected a 3-digit "
                               "GSO code, e.g. 181).", "Ghi mã GSO 3 chữ số của huyện, như cột «Mã huyện» của districts.csv.")
        return text
    if column.kind == "vocab":
        if text not in column.vocabulary:
            allowed = ", ".join(f"«{v}»" for v in column.vocabulary if v)
            raise RawDataError(file, line, column.header, f"giá trị «{text}» không hợp lệ (unknown value).",
                               f"Giá trị hợp lệ: {allowed}.")
        return column.vocabulary[text]
    return text


def check_legacy_text(text: str, file: str, line: int, column: str) -> None:
    """Valid UTF-8 that is still legacy Vietnamese (TCVN3/VNI typed text shown as Latin-1 lookalikes)."""
    guess = vn.legacy_mojibake(text)
    if guess:
        encoding, reading = guess
        reads = f", đọc đúng có lẽ là «{_excerpt(reading)}»" if reading and reading != text else ""
        raise RawDataError(file, line, column, f"«{_excerpt(text)}» là chữ lỗi mã hoá: có vẻ là {encoding}{reads} "
                           "(mojibake, legacy encoding).", SAVE_AS_UTF8)


def _excerpt(text: str, size: int = 40) -> str:
    """A cell quoted in a message: short, and with control characters shown as � (mojibake carries some)."""
    text = "".join(c if c.isprintable() else "�" for c in text)
    return text if len(text) <= size else text[:size].rstrip() + "…"


def _cell_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean_text(str(raw))


def _whole(text: str, column: RawColumn, file: str, line: int) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise RawDataError(file, line, column.header, f"«{text}» không phải số nguyên (expected a whole number).")
    return int(text)


def _year(raw: object, text: str, column: RawColumn, file: str, line: int) -> int:
    """A 4-digit year in range; dates, "năm 2022" and "2022.0" typed as text are refused, not guessed."""
    if not re.fullmatch(r"[0-9]{4}", text) or not YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]:
        raise RawDataError(file, line, column.header, f"«{text}» không phải năm (expected a 4-digit year "
                           f"{YEAR_RANGE[0]}–{YEAR_RANGE[1]}).", "Ghi năm bằng 4 chữ số, ví dụ 2022.")
    return int(text)


def _number(raw: object, text: str, column: RawColumn, file: str, line: int) -> float:
    """Vietnamese text is parsed exactly; a numeric XLSX cell is taken as the number it holds."""
    if (isinstance(raw, float) and not math.isfinite(raw)) or text.lower() in MISSING_MARKERS:
        leave = " hoặc để trống ô nếu không có số liệu" if not column.required else ""
        raise RawDataError(file, line, column.header, f"«{text}» là dấu hiệu thiếu số liệu, không phải số (NaN / missing "
                           "marker; expected a number).", f"Ghi số liệu{leave}.")
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    else:
        try:
            value = parse_vn_number(text)
        except VietnameseNumberError:
            raise RawDataError(file, line, column.header, f"«{text}» không phải số viết kiểu Việt Nam (expected a number: "
                               "thousands with '.', decimals with ',').", "Ghi số theo kiểu Việt Nam, ví dụ 1.234,5.") from None
    if value < 0:
        raise RawDataError(file, line, column.header, f"số âm «{text}» (negative amount).",
                           "Số liệu kế hoạch và kết quả không được âm; kiểm tra lại dấu.")
    return float(value)


def check_money(record: dict, table: RawTable, file: str, line: int) -> None:
    """Money amounts (a triệu đồng column, or a value whose unit is triệu đồng) stay under the ceiling."""
    for column in table.columns:
        money = column.name.endswith("_mvnd") or (column.name == "value" and record.get("unit") == MONEY_UNIT)
        if money and column.kind == "number" and record[column.name] > float(MONEY_CEILING_MVND):
            raise RawDataError(file, line, column.header, f"số tiền {format_vn_number(record[column.name])} triệu đồng "
                               f"vượt mức trần {format_vn_number(MONEY_CEILING_MVND)} triệu đồng (absurd amount).",
                               "Kiểm tra đơn vị: ghi bằng triệu đồng, không phải đồng; sửa lỗi gõ số.")


def check_file_year(table: RawTable, path: Path, records: list[dict], file: str) -> None:
    """A file named for a year (policy_results_2021.csv) holds only that year's rows."""
    match = re.fullmatch(rf"{re.escape(table.file_stem)}[_\- ]?(\d{{4}})", path.stem)
    if not match or not any(c.name == "year" for c in table.columns):
        return
    for record in records:
        if record["year"] != int(match[1]):
            raise RawDataError(file, record["source_row"], "Năm", f"năm {record['year']} nằm trong file của năm "
                               f"{match[1]} (year in the wrong file).", f"Sửa năm thành {match[1]}, hoặc chuyển dòng "
                               f"sang file của năm {record['year']} ({table.file_stem}_{record['year']}{path.suffix}).")


def check_unique_key(frame: pd.DataFrame, table: RawTable) -> None:
    """A key repeated in the raw data is an error naming both rows (duplicated row or key)."""
    if not table.key:
        return
    duplicated = frame[frame.duplicated(list(table.key), keep=False)]
    if duplicated.empty:
        return
    first_key = tuple(duplicated.iloc[0][list(table.key)])
    same = duplicated[duplicated[list(table.key)].apply(tuple, axis=1) == first_key]
    headers = "+".join(f"«{c.header}»" for c in table.columns if c.name in table.key)
    rows = same[["source_file", "source_row"]].values.tolist()
    (file, row), others = rows[1], rows[:1] + rows[2:]
    raise RawDataError(file, int(row), headers.strip("«»"),
                       f"khóa {first_key} bị trùng với dòng " + ", ".join(f"{f} dòng {r}" for f, r in others)
                       + " (duplicated key).", "Xóa dòng trùng hoặc sửa mã.")
