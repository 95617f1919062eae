"""Read raw tables (CSV or XLSX with Vietnamese headers) into typed frames, per pipeline.schema.

Every cell is normalised to NFC with surrounding spaces removed; numbers are parsed exactly
(Vietnamese notation); vocabularies are mapped to canonical codes. Anything that does not fit
the contract raises RawDataError naming file, row and column. Each row keeps `source_file` and
`source_row` (line in the file, header = 1) so later checks can point back to it.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd

from pipeline import paths
from pipeline.errors import RawDataError
from pipeline.schema import RAW_TABLES, RawColumn, RawTable
from pipeline.vn import VietnameseNumberError, clean_text, parse_vn_number

RAW_SUFFIXES = (".csv", ".xlsx")


def raw_files(table: RawTable, raw_dir: Path | None = None) -> list[Path]:
    """Files of a raw table: <file_stem>*.csv|xlsx in data/raw, sorted so the order is stable."""
    raw_dir = raw_dir or paths.RAW
    found = sorted(p for p in raw_dir.glob(f"{table.file_stem}*") if p.suffix.lower() in RAW_SUFFIXES)
    if not found:
        raise RawDataError(f"data/raw/{table.file_stem}.csv", None, None,
                           f"không tìm thấy bảng «{table.name}» (file not found).",
                           f"Đặt file {table.file_stem}.csv hoặc .xlsx vào data/raw/.")
    return found


def read_cells(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """Header and (line number, cells) of a CSV (UTF-8, BOM tolerated) or the first sheet of an XLSX."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    header: list[str] | None = None
    for cells in reader:
        if header is None:
            header = cells
            continue
        if any(c.strip() for c in cells):
            rows.append((reader.line_num, list(cells)))
    return header or [], rows


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    header: list[str] | None = None
    rows = []
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else v for v in values]
        if header is None:
            header = [str(c) for c in cells]
            continue
        if any(str(c).strip() for c in cells):
            rows.append((line, cells))
    return header or [], rows


def read_table(name: str, raw_dir: Path | None = None) -> pd.DataFrame:
    """All files of raw table `name`, typed and with provenance columns, in file then line order."""
    table = RAW_TABLES[name]
    frames = [parse_file(table, path, path.name) for path in raw_files(table, raw_dir)]
    frame = pd.concat(frames, ignore_index=True)
    check_unique_key(frame, table)
    return frame


def parse_file(table: RawTable, path: Path, display_name: str) -> pd.DataFrame:
    header, rows = read_cells(path)
    positions = map_header(table, header, display_name)
    records = []
    for line, cells in rows:
        record = {}
        for column in table.columns:
            index = positions.get(column.name)
            raw = cells[index] if index is not None and index < len(cells) else ""
            record[column.name] = convert_cell(raw, column, display_name, line)
        record["source_file"] = display_name
        record["source_row"] = line
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in table.columns] + ["source_file", "source_row"])
    return frame.astype({"source_row": "int64"})


def map_header(table: RawTable, header: list[str], file: str) -> dict[str, int]:
    """Canonical column name -> position, from the Vietnamese headers (NFC, spaces tidied)."""
    cleaned = [clean_text(str(h)) for h in header]
    expected = {c.header: c for c in table.columns}
    unknown = [h for h in cleaned if h and h not in expected]
    if unknown:
        raise RawDataError(file, 1, unknown[0], f"cột không có trong hợp đồng dữ liệu của bảng «{table.name}» (unknown column).",
                           "Các cột hợp lệ: " + ", ".join(f"«{h}»" for h in expected) + ".")
    positions = {expected[h].name: i for i, h in enumerate(cleaned) if h}
    for column in table.columns:
        if column.name not in positions and column.required:
            raise RawDataError(file, 1, column.header, "thiếu cột bắt buộc (missing column).",
                               f"Thêm cột «{column.header}»: {column.description}.")
    return positions


def convert_cell(raw: object, column: RawColumn, file: str, line: int):
    """One cell to its typed value; empty optional cells become "" (text) or NaN (numbers)."""
    text = _cell_text(raw)
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
    if column.kind == "int":
        if not text.isdigit():
            raise RawDataError(file, line, column.header, f"«{text}» không phải số nguyên (expected a whole number).")
        return int(text)
    if column.kind == "code":
        if not text.isdigit():
            raise RawDataError(file, line, column.header, f"«{text}» không phải mã số (expected digits, e.g. 181).")
        return text
    if column.kind == "vocab":
        if text not in column.vocabulary:
            allowed = ", ".join(f"«{v}»" for v in column.vocabulary if v)
            raise RawDataError(file, line, column.header, f"giá trị «{text}» không hợp lệ (unknown value).",
                               f"Giá trị hợp lệ: {allowed}.")
        return column.vocabulary[text]
    return text


def _cell_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean_text(str(raw))


def _number(raw: object, text: str, column: RawColumn, file: str, line: int) -> float:
    """Vietnamese text is parsed exactly; a numeric XLSX cell is taken as the number it holds."""
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    else:
        try:
            value = parse_vn_number(text)
        except VietnameseNumberError as err:
            raise RawDataError(file, line, column.header, f"{err} (expected a number).",
                               "Ghi số theo kiểu Việt Nam, ví dụ 1.234,5.") from None
    if value < 0:
        raise RawDataError(file, line, column.header, f"số âm «{text}» (negative amount).",
                           "Số liệu kế hoạch và kết quả không được âm; kiểm tra lại dấu.")
    return float(value)


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
