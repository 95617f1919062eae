"""Household registers (rà soát hộ nghèo) -> the register tables, in SQL on DuckDB: read, pseudonymise, check,
audit and aggregate, streaming, so the same code carries one province (≈0.8 M household rows over four
reviews) and a national-size register (≈27 M) on one machine.

Input: data/raw/registers/<year>/ho_<district>_<year>.csv|xlsx as docs/register_contract.md describes.
Output (all or none, pipeline.atomic): the six tables of schema.REGISTER_TABLES.

How, in order:
1. Every file is found (pipeline.registers.files) and hashed; the pseudonym key is chosen: the demo key
   only for the untouched synthetic sample.
2. The files' rows stream, file after file, as Arrow batches of raw text cells (.cells) into one DuckDB
   statement that cleans, types and checks every cell against the contract (.contract), replaces the
   household id by its keyed hash, and computes what the standard in force expects and whether the row
   breaks an audit rule (.audit), into one table of typed, pseudonymised rows. Personal columns are never
   converted to values, and the household id is hashed in the expression that first reads it: neither is
   ever stored in DuckDB's database or its spill files, which live in a private temporary folder outside
   the project, removed when the run ends (.engine).
3. A file whose rows break the contract is read again and its first problem reported as a RawDataError
   naming file, line and column; repairs (NFC, spaces, BOM) and blank rows are logged per file.
4. Duplicate ids are marked across all files; the audit's details (.audit) and the aggregates
   (.aggregates) are computed; register_households is copied from DuckDB to parquet without passing
   through pandas, in the files' order.

CLI: python -m pipeline registers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import atomic, paths, runlog, schema
from pipeline.errors import RawDataError
from pipeline.registers import aggregates, audit, cells, contract, engine
from pipeline.registers import poverty_standard as ps
from pipeline.registers.files import (REGISTERS_SUBDIR, SYNTHETIC_MANIFEST, RegisterFile, find_register_files,
                                      is_marked_synthetic, is_synthetic_sample, pseudonym_key, registers_dir)
from pipeline.schema import AUDIT_RULES, REGISTER_TABLES
from pipeline.vn import format_vn_number

NFC_REPAIR, SPACE_REPAIR = "chuẩn hoá Unicode NFC", "bỏ khoảng trắng thừa"  # run-log wording, as pipeline.ingest
HOUSEHOLDS = "households"       # DuckDB table: one typed, pseudonymised row per register row
ROWS = "register_rows"          # DuckDB view: register_households' columns, row_order and the rule flags
AGGREGATE_ROWS = "aggregate_rows"
# Parquet of register_households: zstd, row groups small enough for a reader to take one district-year. DuckDB
# writes straight into pipeline.atomic's temporary file (its own `tmp_<name>` file would outlive a kill).
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, USE_TMP_FILE false"
LINE_SPAN = 2**32  # file_index × LINE_SPAN + line: a row's position in file order, as one integer
SQL_TYPES = {"str": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN"}


@dataclass
class Loaded:
    """What the read left in DuckDB, and what register_inputs and the run log need of each file."""
    files: list[RegisterFile]
    digests: list[tuple[str, int]]                         # (sha256, bytes) per file
    rows: dict[int, int] = field(default_factory=dict)     # file index -> data rows kept (blank rows left out)


# --- Entry points ---------------------------------------------------------------------------------------

def run(record: dict | None = None) -> list[str]:
    """`python -m pipeline registers`: read, audit, aggregate and write every register table (or none).

    Returns the names of the tables written; the run-log `record` gets the register files read (with sha256).
    """
    timings: dict[str, float] = {}
    directory = registers_dir()
    with engine.connection() as con:
        loaded = load(con, directory, timings, record)
        tables = small_tables(con, loaded, directory, timings)
        clock = time.perf_counter()
        write_tables(con, tables, paths.PROCESSED)
        timings["write"] = time.perf_counter() - clock
        print(summary_line(con, tables["register_audit"], timings))
    return list(REGISTER_TABLES)


def build_tables(directory: Path, timings: dict[str, float] | None = None, memory_limit: str = engine.MEMORY_LIMIT,
                 temp_root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every register table as a data frame, conformed to schema.REGISTER_TABLES (for small registers: tests).

    The CLI (`run`) copies register_households from DuckDB to parquet instead, which any size allows.
    """
    timings = {} if timings is None else timings
    with engine.connection(memory_limit, temp_root) as con:
        loaded = load(con, directory, timings)
        tables = small_tables(con, loaded, directory, timings)
        households = con.sql(households_select()).df()
    tables["register_households"] = schema.conform("register_households", households)
    return {name: tables[name] for name in REGISTER_TABLES}


# --- Reading --------------------------------------------------------------------------------------------

def load(con: duckdb.DuckDBPyConnection, directory: Path, timings: dict[str, float],
         record: dict | None = None) -> Loaded:
    """Every register file's rows into the households table, checked against the contract (or a RawDataError).

    The run-log `record` gets the files read with their sha256 before anything can fail on their content.
    """
    clock = time.perf_counter()
    files = find_register_files(directory)
    digests = [cells.sha256(f.path) for f in files]
    if record is not None:
        record["inputs"] = input_records(files, digests, directory)
    synthetic = is_synthetic_sample(directory, files, {f.path: digest for f, (digest, _) in zip(files, digests)})
    parameters = contract.hmac_pads(pseudonym_key(synthetic))
    for macro in contract.macros():
        con.execute(macro)
    stream = cells.CellStream(files)
    con.register("register_cells", stream.reader())
    try:  # one statement for every file: DuckDB plans it once and works on the batches in parallel
        con.execute(f"CREATE TABLE {HOUSEHOLDS} AS {household_rows('SELECT * FROM register_cells')}", parameters)
    finally:
        con.unregister("register_cells")
    if stream.error is not None:
        raise stream.error
    timings["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    loaded = Loaded(files, digests)
    check_files(con, loaded, stream.repairs)
    mark_duplicates(con)
    timings["check"] = time.perf_counter() - clock
    return loaded


def household_rows(cells_sql: str) -> str:
    """SQL: the households table's rows from a stream of raw cells: typed values, the contract's problem flag,
    what the standard in force expects (B and class) and whether the row breaks an audit rule on its own.

    duplicate_id is set afterwards (mark_duplicates), when every file has been read.
    """
    typed = (f"SELECT * EXCLUDE (file_year, file_district, id_empty), "
             f"{contract.problem_flag()} AS problem, {ps.expected_score_b_sql()} AS expected_score_b, "
             f"coalesce({ps.expected_class_sql()}, '') AS expected_class "
             f"FROM ({contract.typed_rows(cells_sql, cells.FILE_COLUMNS)})")
    return f"SELECT *, {audit.rules_broken()} AS rule_broken, false AS duplicate_id FROM ({typed})"


def mark_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """duplicate_id = true on every row whose household key occurs again in its review year (few rows)."""
    con.execute(f"""UPDATE {HOUSEHOLDS} SET duplicate_id = true FROM (
                        SELECT review_year, key FROM {HOUSEHOLDS} GROUP BY review_year, key HAVING count(*) > 1) d
                    WHERE {HOUSEHOLDS}.review_year = d.review_year AND {HOUSEHOLDS}.key = d.key""")


def check_files(con: duckdb.DuckDBPyConnection, loaded: Loaded, decode_repairs: dict[int, list[str]]) -> None:
    """Per file, in order: log its blank rows and repairs, then stop at its first broken rule or if it has no rows.

    Blank rows (every cell read empty) are then dropped, as pipeline.ingest drops them.
    """
    stats = {row[0]: row[1:] for row in con.execute(
        f"SELECT file_index, count(*) FILTER (WHERE NOT blank), count(*) FILTER (WHERE blank), "
        f"sum(nfc_repairs), sum(space_repairs), bool_or(problem) FROM {HOUSEHOLDS} GROUP BY file_index").fetchall()}
    for i, file in enumerate(loaded.files):
        rows, blank, nfc_repairs, space_repairs, problem = stats.get(i, (0, 0, 0, 0, False))
        if blank:
            runlog.warn(f"{file.name}: bỏ qua {blank} dòng trống (blank rows skipped).")
        repairs = decode_repairs.get(i, []) + [f"{kind} {n} ô" for kind, n in ((NFC_REPAIR, nfc_repairs),
                                                                              (SPACE_REPAIR, space_repairs)) if n]
        if repairs:
            runlog.warn(f"{file.name}: đã sửa khi đọc, file gốc không đổi (repaired on read): " + "; ".join(repairs) + ".")
        if problem:
            raise_first_problem(con, file)
        if not rows:
            raise RawDataError(file.name, None, None, "file chỉ có dòng tiêu đề, không có dòng dữ liệu (no data rows).",
                               "Thêm danh sách hộ vào file, hoặc xoá file nếu huyện chưa có số liệu năm này.")
        loaded.rows[i] = int(rows)
    if any(row[1] for row in stats.values()):
        con.execute(f"DELETE FROM {HOUSEHOLDS} WHERE blank")


def raise_first_problem(con: duckdb.DuckDBPyConnection, file: RegisterFile) -> None:
    """Read the file again and raise the RawDataError of its first broken rule (contract.checks' order)."""
    table, _ = cells.file_cells(file)
    con.register("file_cells", table)
    try:
        row = con.execute(f"SELECT {contract.first_problem_select(file.year, file.district_code)} "
                          f"FROM ({contract.cleaned_rows('SELECT * FROM file_cells')}) WHERE NOT blank").fetchall()[0]
    finally:
        con.unregister("file_cells")
    contract.raise_first_problem(row, file.year, file.district_code, file.name)
    raise AssertionError(f"{file.name}: a row was flagged but no rule of the contract is broken on a second read")


# --- Rules and aggregates -------------------------------------------------------------------------------

def create_views(con: duckdb.DuckDBPyConnection, files: list[RegisterFile]) -> None:
    """register_rows: every household row with its file, standard and anomaly flag, in file order.

    A plain scan of the households table (no join, no sort): DuckDB keeps a table's insertion order
    (preserve_insertion_order), which is the files' order and each file's line order.
    """
    names = "[" + ", ".join(contract.quote(f.name) for f in files) + "]"
    con.execute(f"""CREATE OR REPLACE VIEW {ROWS} AS
        SELECT *, key_hex(key) AS household_key, {names}[file_index + 1] AS source_file, line AS source_row,
               file_index::BIGINT * {LINE_SPAN} + line AS row_order, {ps.standard_sql()} AS standard,
               rule_broken OR duplicate_id AS has_anomaly
        FROM {HOUSEHOLDS}""")
    # The aggregates group and join on the 64-bit key itself, not on its hex text.
    con.execute(f"CREATE OR REPLACE VIEW {AGGREGATE_ROWS} AS SELECT review_year, district_code, key AS household_key, "
                f"recorded_class, {', '.join(contract.INDICATORS)}, has_anomaly, row_order FROM {ROWS}")


def small_tables(con: duckdb.DuckDBPyConnection, loaded: Loaded, directory: Path,
                 timings: dict[str, float]) -> dict[str, pd.DataFrame]:
    """register_audit, the three aggregates and register_inputs, conformed (everything but the households)."""
    clock = time.perf_counter()
    create_views(con, loaded.files)
    flags = ", ".join(f'"{name}"' for name in audit.flag_names())
    flagged = con.sql(f"SELECT review_year, district_code, commune_code, household_key, source_file, source_row, "
                      f"area, household_size, income_per_capita, score_a, score_b, {', '.join(contract.INDICATORS)}, "
                      f"recorded_class, standard, expected_score_b, expected_class, {flags} "
                      f"FROM (SELECT *, {audit.flag_columns()} FROM {ROWS} WHERE has_anomaly) ORDER BY row_order").df()
    tables = {"register_audit": audit.audit_table(flagged)}
    timings["audit"] = time.perf_counter() - clock
    clock = time.perf_counter()
    tables.update(aggregates.aggregate(con, AGGREGATE_ROWS, is_marked_synthetic(directory)))
    tables["register_inputs"] = register_inputs(loaded, directory)
    timings["aggregates"] = time.perf_counter() - clock
    return {name: schema.conform(name, frame) for name, frame in tables.items()}


def register_inputs(loaded: Loaded, directory: Path) -> pd.DataFrame:
    """file, kind, sha256, bytes, rows of every register file, and SYNTHETIC.json whenever it is present."""
    rows = [{"file": f.name, "kind": "register", "sha256": digest, "bytes": size, "rows": loaded.rows[n]}
            for n, (f, (digest, size)) in enumerate(zip(loaded.files, loaded.digests))]
    manifest = directory / SYNTHETIC_MANIFEST
    if manifest.is_file():
        record = runlog.file_record(manifest)
        rows.append({"file": f"{REGISTERS_SUBDIR}/{SYNTHETIC_MANIFEST}", "kind": "synthetic_manifest",
                     "sha256": record["sha256"], "bytes": record["bytes"], "rows": 0})
    return pd.DataFrame(rows, columns=list(REGISTER_TABLES["register_inputs"]))


def input_records(files: list[RegisterFile], digests: list[tuple[str, int]], directory: Path) -> list[dict]:
    """The run log's inputs: every register file with its sha256 (hashed once, as the stage reads), and the manifest."""
    records = [{"file": paths.relative(f.path), "sha256": digest, "bytes": size} for f, (digest, size) in zip(files, digests)]
    manifest = directory / SYNTHETIC_MANIFEST
    return records + ([runlog.file_record(manifest)] if manifest.is_file() else [])


# --- Writing --------------------------------------------------------------------------------------------

def households_select() -> str:
    """SQL of register_households: the data dictionary's columns, types and order, rows in file order."""
    columns = ", ".join(f"CAST(\"{name}\" AS {SQL_TYPES[dtype]}) AS \"{name}\""
                        for name, (dtype, _) in REGISTER_TABLES["register_households"].items())
    return f"SELECT {columns} FROM {ROWS}"


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """All register tables or none: register_households straight from DuckDB, the small ones from pandas."""
    def copy_households(temporary: Path) -> None:
        target = str(temporary).replace("'", "''")
        con.execute(f"COPY ({households_select()}) TO '{target}' ({PARQUET_OPTIONS})")

    writers = {out_dir / "register_households.parquet": copy_households}
    writers.update({out_dir / f"{name}.parquet": atomic.parquet_writer(frame) for name, frame in tables.items()})
    atomic.write_all(writers)


def summary_line(con: duckdb.DuckDBPyConnection, audit_table: pd.DataFrame, timings: dict[str, float]) -> str:
    """One line: households per year, findings per rule, time per step."""
    years = con.execute(f"SELECT review_year, count(*) FROM {HOUSEHOLDS} GROUP BY 1 ORDER BY 1").fetchall()
    rules = audit_table["rule"].value_counts()
    per_year = ", ".join(f"{y}: {format_vn_number(n)}" for y, n in years)
    per_rule = ", ".join(f"{r} {format_vn_number(rules.get(r, 0))}" for r in AUDIT_RULES)
    steps = ", ".join(f"{k} {format_vn_number(v, 1)}" for k, v in timings.items())
    return (f"registers: hộ theo năm (households) {per_year}; phát hiện (findings) {per_rule}; "
            f"thời gian (s) {steps}; tổng {format_vn_number(sum(timings.values()), 1)}")
