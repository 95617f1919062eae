"""The register files' rows as raw text cells, one Arrow stream for the SQL of pipeline.registers.contract.

Each file becomes a table of `line` (its line in the file, header = 1) and one string per canonical column
(null where the cell is empty), read by pyarrow's multi-threaded CSV reader (openpyxl for XLSX). Only the
positions of the contract's non-personal headers are converted, so names, ID numbers and addresses never
become values. Files are read one after the other and handed to DuckDB as one stream of record batches, so
memory holds one file at a time, and DuckDB processes the batches in parallel.

Why not DuckDB's own CSV reader: it numbers no rows, and `row_number() OVER ()` over a file scan forces
one thread per file; exact line numbers are part of the contract (every error and finding names its line).

Before a file is parsed its bytes are checked whole: UTF-8 (a BOM or UTF-16 file is decoded and logged as
a repair; any other encoding stops with the line, column and legacy encoding it looks like), then the
header row. A layout error (short row, extra cell, open quote) is found by pipeline.ingest's row-by-row
checks and reported with file, line and column.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from pipeline import ingest
from pipeline.errors import RawDataError
from pipeline.registers.contract import COLUMNS, plain_rows
from pipeline.registers.files import RegisterFile
from pipeline.schema import REGISTER_RAW

PERSONAL_HEADERS = frozenset(c.header for c in REGISTER_RAW.columns if c.kind == "personal")
# Constant columns each batch carries, so that one SQL statement checks every file against its own name.
FILE_COLUMNS = ("file_index", "file_year", "file_district")
SCHEMA = pa.schema([("line", pa.int64()), *((name, pa.string()) for name in COLUMNS), ("plain", pa.bool_()),
                    ("file_index", pa.int32()), ("file_year", pa.int64()), ("file_district", pa.string())])


def sha256(path: Path) -> tuple[str, int]:
    """(sha256, size) of a file, read in blocks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class CellStream:
    """Every register file's raw cells, file after file, as one pa.RecordBatchReader.

    A RawDataError met while reading a file ends the stream there and is kept in `error` (DuckDB would
    otherwise turn it into its own error text); `repairs` are the decoding repairs made per file index.
    """

    def __init__(self, files: list[RegisterFile]):
        self.files = files
        self.error: RawDataError | None = None
        self.repairs: dict[int, list[str]] = {}

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(SCHEMA, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for index, file in enumerate(self.files):
            try:
                table, self.repairs[index] = file_cells(file)
            except RawDataError as err:
                self.error = err
                return
            n = table.num_rows
            constants = {"plain": plain_rows(table), "file_index": pa.array(np.full(n, index, np.int32)),
                         "file_year": pa.array(np.full(n, file.year, np.int64)),
                         "file_district": pa.array([file.district_code] * n, pa.string()) if n else pa.array([], pa.string())}
            for name, column in constants.items():
                table = table.append_column(name, column)
            yield from table.cast(SCHEMA).to_batches(max_chunksize=1 << 16)


def file_cells(file: RegisterFile) -> tuple[pa.Table, list[str]]:
    """(line and raw non-personal cells, repairs made on decoding) of one register file, or its RawDataError."""
    if file.is_xlsx:
        return xlsx_cells(file), []
    data = file.path.read_bytes()
    body, repairs = _utf8_body(data, file.name)
    first = body.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([first]), [])
    positions = read_header(header, file.name)
    names = [f"c{i}" for i in range(len(header))]
    wanted = {name: names[i] for name, i in positions.items()}
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(include_columns=list(wanted.values()),
                                                  column_types={c: pa.string() for c in wanted.values()},
                                                  null_values=[""], strings_can_be_null=True,
                                                  quoted_strings_can_be_null=True))
    except pa.ArrowInvalid as err:
        raise layout_error(body.decode("utf-8"), header, file.name, err) from None
    lines = csv_lines(body, table.num_rows)
    return pa.table({"line": pa.array(lines, pa.int64()), **{name: table.column(wanted[name]) for name in COLUMNS}}), repairs


def _utf8_body(data: bytes, file: str) -> tuple[bytes, list[str]]:
    """The file as plain UTF-8 bytes, and what was repaired to get there; RawDataError when it is not text."""
    plain = data.strip() and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
                                                  b"PK\x03\x04")) and b"\x00" not in data
    if plain and _is_utf8(data):
        return data, []
    try:
        text, repairs = ingest.decode_csv(data, file)  # names the line, column and legacy encoding
    except RawDataError as err:
        raise redacted(err) from None
    return text.encode("utf-8"), repairs


def _is_utf8(data: bytes) -> bool:
    """Valid UTF-8, checked by pyarrow without copying the bytes (and without holding the GIL)."""
    buffer = pa.py_buffer(data)
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, buffer]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def read_header(header: list, file: str) -> dict[str, int]:
    """Canonical name -> position of the columns to read; unknown, missing or repeated headers stop here."""
    ingest.check_header_row(header, file)
    positions = ingest.map_header(REGISTER_RAW, header, file)
    return {name: positions[name] for name in COLUMNS}


def redacted(err: RawDataError) -> RawDataError:
    """The error without the cell it quotes when that cell is personal: messages reach the terminal and the run log.

    ingest's encoding errors quote the offending cell as a legacy encoding would read it; for a name or an
    address that is the personal value itself.
    """
    if err.column not in PERSONAL_HEADERS:
        return err
    return RawDataError(err.file, err.row, err.column, "ô có byte không phải UTF-8 (not UTF-8); nội dung ô thông tin cá "
                        "nhân không được in ra (personal cell, not shown).", err.fix)


def layout_error(text: str, header: list, file: str, err: Exception) -> RawDataError:
    """pyarrow names no line: find it with ingest's row-by-row checks (slow, only when a file is broken)."""
    _, rows = ingest.split_csv(text, file)
    positions = ingest.map_header(REGISTER_RAW, header, file)
    try:
        ingest.check_rows(REGISTER_RAW, header, positions, rows, file)
    except RawDataError as found:
        return found
    return RawDataError(file, None, None, f"không đọc được file CSV (unreadable CSV: {type(err).__name__}).",
                        "Xuất lại file dưới dạng CSV UTF-8 (Comma delimited).")


def csv_lines(body: bytes, n_rows: int) -> np.ndarray:
    """Line (header = 1) of each data row: row i is line i + 2 unless rows span lines or blank lines exist."""
    physical = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if physical == n_rows + 1:  # a multi-line cell or a skipped blank line would each add a physical line
        return np.arange(2, n_rows + 2, dtype=np.int64)
    starts, previous = [], 0
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    for record in reader:
        if record:  # pyarrow skips empty lines; csv.reader yields [] for them
            starts.append(previous + 1)
        previous = reader.line_num
    lines = np.array(starts[1:], dtype=np.int64)
    if len(lines) != n_rows:
        raise AssertionError(f"line numbering: {len(lines)} records by csv, {n_rows} by pyarrow")
    return lines


def xlsx_cells(file: RegisterFile) -> pa.Table:
    """The non-personal columns of an XLSX's first sheet as text; numeric cells written as the contract's numbers."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(file.path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RawDataError(file.name, None, None, f"không mở được file XLSX (unreadable XLSX: {type(err).__name__}).",
                           "Mở bằng Excel và lưu lại dưới dạng Excel Workbook (.xlsx) hoặc CSV UTF-8.") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = ["" if v is None else str(v) for v in next(rows, ())]
        positions = read_header(header, file.name)
        columns: dict[str, list] = {"line": [], **{name: [] for name in COLUMNS}}
        for line, row in enumerate(rows, start=2):
            columns["line"].append(line)
            for name, i in positions.items():
                columns[name].append(_xlsx_text(row[i]) if i < len(row) else None)
    finally:
        book.close()
    return pa.table({"line": pa.array(columns["line"], pa.int64()),
                     **{name: pa.array(columns[name], pa.string()) for name in COLUMNS}})


def _xlsx_text(value: object) -> str | None:
    """A cell as the CSV would hold it: whole numbers as digits, decimals with a decimal comma; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return str(value)
