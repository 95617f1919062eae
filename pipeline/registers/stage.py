"""Household registers (rà soát hộ nghèo): read, pseudonymise, clean and audit, vectorised.

Input: data/raw/registers/<year>/ho_<district>_<year>.csv|xlsx as docs/register_contract.md describes
(schema.REGISTER_RAW). ~200k rows a year, so nothing here goes row by row: a CSV is parsed by pyarrow
and every check is a column operation; only the few rows that break a rule are formatted one by one.

Privacy: the personal columns (head's name, ID number, address) are never read: only the positions of
the contract's non-personal headers are parsed. The household id is read, then replaced at once by
household_key = HMAC-SHA256(key, id) as 16 hex digits; the id itself is dropped before anything else is
computed. The key comes from the environment variable LANGSON_PSEUDONYM_KEY (keep it outside git; use the
same key every year so that a household keeps its key and flows between years can be counted). Only when
no key is set and the registers are the synthetic sample (data/raw/registers/SYNTHETIC.json exists and lists
every register file with its sha256) is the fixed, published DEMO_PSEUDONYM_KEY used: it protects nothing
and is for synthetic data only. Real registers without a key stop with a PipelineError saying how to set one.

Errors: what cannot be read as the contract says (unknown or missing header, text in a number column,
an empty required cell, an unknown label, a year or district that differs from the file name) is a
RawDataError naming file, line and column, as pipeline.ingest does. Values that can be read but break
a rule (class inconsistent with the standard, B ≠ 10 × deprivations, duplicate ids, impossible values)
are findings: one row per broken rule in `register_audit`, the household flagged `has_anomaly`.

Per-file cache (the CLI only): what read_register_file returns for a file, the typed pseudonymised frame
and its meta, is kept in data/processed/registers/<year>/ho_<district>_<year>.parquet with the file's sha256,
a fingerprint of the code that shapes the frame and one of the pseudonym key (RegisterCache). A run parses
again only the files whose entry does not match, so a changed district register is read again and the other
files are not; everything across files (audit, aggregates, the combined tables) is computed on all of them.

CLI: python -m pipeline registers (reads, audits, aggregates with pipeline.register_aggregates, writes).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline import atomic, ingest, paths, runlog, schema, stamp, vn
from pipeline.registers import aggregates as register_aggregates, poverty_standard as ps
from pipeline.errors import PipelineError, RawDataError
from pipeline.schema import (AUDIT_RULES, HOUSEHOLD_CLASS_LABELS, REGISTER_DISTRICT_CODES, REGISTER_RAW,
                             REGISTER_TABLES, REGISTER_YEARS)
from pipeline.vn import clean_text, format_vn_number, nfc

REGISTERS_SUBDIR = "registers"                       # under data/raw; source_file names start with it
SYNTHETIC_MANIFEST = "SYNTHETIC.json"                # marks the synthetic sample (pipeline.synthetic_register)
FILE_NAME = re.compile(r"ho_(?P<district>[0-9]{3})_(?P<year>[0-9]{4})")
REGISTER_SUFFIXES = (".csv", ".xlsx")
# What the stage reads, as run-log globs relative to the project root.
INPUT_PATTERNS = (f"data/raw/{REGISTERS_SUBDIR}/*/ho_*", f"data/raw/{REGISTERS_SUBDIR}/{SYNTHETIC_MANIFEST}")

PSEUDONYM_KEY_ENV = stamp.PSEUDONYM_KEY_ENV  # one name for the key, also read by Make's stamp
# Published on purpose: used only for the synthetic sample, whose ids are made up. Never for real registers.
DEMO_PSEUDONYM_KEY = "langson-synthetic-register-demo-key-not-secret"
MIN_KEY_LENGTH = 16                                  # a short key could be guessed, and with it every household id
KEY_HEX_DIGITS = 16                                  # 64 bits: collisions among ~10^6 households are negligible

COLUMNS = {c.name: c for c in REGISTER_RAW.columns if c.kind != "personal"}   # what is read, in contract order
PERSONAL_HEADERS = frozenset(c.header for c in REGISTER_RAW.columns if c.kind == "personal")
HEADER = {c.name: c.header for c in REGISTER_RAW.columns}
INDICATORS = ps.INDICATOR_COLUMNS
WHOLE_COLUMNS = ("review_year", "household_size", *INDICATORS)
NUMBER_COLUMNS = ("income_per_capita", "score_a", "score_b")

# Numbers as the contract allows: digits, optionally Vietnamese thousands groups "1.500.000" and a decimal
# comma "7,5" (pipeline.vn's rule). "1.5" is neither and is refused rather than guessed.
WHOLE_NUMBER = r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)"
DECIMAL_NUMBER = WHOLE_NUMBER + r"(?:,[0-9]+)?"
COMMUNE_CODE = r"[0-9]{5}"
# Text that clean_text leaves unchanged for sure: printable ASCII, no edge or double spaces.
PLAIN_ASCII = r"[!-~](?:[ -~]*[!-~])?"

# Possible values (contract; TT 07/2021). Outside them a value is an impossible_value finding.
HOUSEHOLD_SIZE_RANGE = (1, 30)
SCORE_A_RANGE = (0, 1000)
SCORE_B_VALUES = np.arange(0, ps.MAX_SCORE_B + 1, ps.POINTS_PER_DEPRIVATION)
INDICATOR_VALUES = (0, 1)
STANDARD_LABELS = {ps.QD59: "QĐ 59/2015/QĐ-TTg", ps.ND07: "NĐ 07/2021/NĐ-CP"}
AUDIT_COLUMNS = list(REGISTER_TABLES["register_audit"])
LINE_SPAN = 2**32  # file code × LINE_SPAN + line identifies a row by one integer
NFC_REPAIR, SPACE_REPAIR = "chuẩn hoá Unicode NFC", "bỏ khoảng trắng thừa"  # run-log wording, as pipeline.ingest

CACHE_SUBDIR = "registers"                           # under data/processed: one entry per register file
CACHE_METADATA = b"langson.register_cache"          # parquet key-value metadata of an entry (JSON)
CACHE_KEY_MESSAGE = b"cache-fingerprint"             # HMAC'd with the pseudonym key: names the key, never holds it
# Library versions that can change what a file parses to (CSV parsing, number casts, Excel cells).
FRAME_LIBRARIES = ("pandas", "pyarrow", "numpy", "openpyxl")


@dataclass(frozen=True)
class RegisterFile:
    """One district's register for one review year."""
    path: Path
    name: str            # relative to data/raw: registers/2022/ho_181_2022.csv
    district_code: str
    year: int


# --- Entry points ---------------------------------------------------------------------------------------

def registers_dir() -> Path:
    """data/raw/registers, looked up at call time from paths.ROOT (tests and LANGSON_PROJECT_ROOT move it)."""
    return paths.ROOT / "data" / "raw" / REGISTERS_SUBDIR


def has_register_files(directory: Path | None = None) -> bool:
    """True when the registers folder holds at least one register file (then its tables are required)."""
    directory = directory or registers_dir()
    return directory.is_dir() and any(p.suffix.lower() in REGISTER_SUFFIXES for p in directory.glob("*/ho_*"))


def run(record: dict | None = None) -> dict[str, pd.DataFrame]:
    """`python -m pipeline registers`: read (through the per-file cache), audit, aggregate, write all register
    tables (or none); the files parsed and reused go into the run-log `record`."""
    timings: dict[str, float] = {}
    cache = RegisterCache(paths.PROCESSED / CACHE_SUBDIR)
    tables = build_tables(registers_dir(), timings, cache)
    started = time.perf_counter()
    write_tables(tables, paths.PROCESSED)
    timings["write"] = time.perf_counter() - started
    print(summary_line(tables, timings, cache))
    if record is not None:
        record["register_files"] = {"parsed": cache.parsed, "reused": cache.reused}
    return tables


def build_tables(directory: Path, timings: dict[str, float] | None = None,
                 cache: RegisterCache | None = None) -> dict[str, pd.DataFrame]:
    """Every register table, conformed to schema.REGISTER_TABLES; timings (s) per step go into `timings`.

    Without a `cache` every file is parsed (library use, tests); with one, unchanged files are reused from it.
    """
    timings = {} if timings is None else timings
    clock = time.perf_counter()
    # Load inputs
    files = find_register_files(directory)
    digests = {f.path: hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files}
    synthetic = is_synthetic_sample(directory, files, digests)
    key = pseudonym_key(synthetic)
    pseudonymise = Pseudonymiser(key)
    if cache is None:
        parts = [read_register_file(f, pseudonymise) for f in files]
    else:
        parts = cache.read_all(files, digests, pseudonymise, key)
    households = pd.concat([p for p, _ in parts], ignore_index=True)
    inputs = register_inputs(files, [meta for _, meta in parts], directory)
    timings["read"] = time.perf_counter() - clock
    # Process data
    clock = time.perf_counter()
    add_expected(households)
    audit = audit_rules(households)
    households["has_anomaly"] = flag_anomalies(households, audit)
    timings["audit"] = time.perf_counter() - clock
    clock = time.perf_counter()
    aggregates = register_aggregates.aggregate(households, is_marked_synthetic(directory))
    timings["aggregates"] = time.perf_counter() - clock
    tables = {"register_households": households, "register_audit": audit, **aggregates, "register_inputs": inputs}
    return {name: schema.conform(name, tables[name]) for name in REGISTER_TABLES}


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """All register tables or none (pipeline.atomic)."""
    atomic.write_parquet_all({out_dir / f"{name}.parquet": frame for name, frame in tables.items()})


def summary_line(tables: dict[str, pd.DataFrame], timings: dict[str, float],
                 cache: RegisterCache | None = None) -> str:
    """One line: households per year, findings per rule, files parsed and reused, time per step."""
    years = tables["register_households"]["review_year"].value_counts().sort_index()
    rules = tables["register_audit"]["rule"].value_counts()
    per_year = ", ".join(f"{y}: {format_vn_number(n)}" for y, n in years.items())
    per_rule = ", ".join(f"{r} {format_vn_number(rules.get(r, 0))}" for r in AUDIT_RULES)
    steps = ", ".join(f"{k} {format_vn_number(v, 1)}" for k, v in timings.items())
    reading = "" if cache is None else (
        f"đọc lại {len(cache.parsed)} / dùng lại {len(cache.reused)} file "
        f"(parsed {len(cache.parsed)}, reused {len(cache.reused)}); ")
    return (f"registers: hộ theo năm (households) {per_year}; phát hiện (findings) {per_rule}; {reading}"
            f"thời gian (s) {steps}; tổng {format_vn_number(sum(timings.values()), 1)}")


# --- Files and key --------------------------------------------------------------------------------------

def find_register_files(directory: Path) -> list[RegisterFile]:
    """<year>/ho_<district>_<year>.csv|xlsx, checked against the contract's years and district codes."""
    found = sorted(p for p in directory.glob("*/*") if p.is_file() and p.suffix.lower() in REGISTER_SUFFIXES)
    if not found:
        raise PipelineError(f"Không có sổ hộ nào trong {paths.relative(directory)} (no register files). Đặt file "
                            "<năm>/ho_<mã huyện>_<năm>.csv vào đó, hoặc chạy `make sample-data` để tạo dữ liệu giả lập.")
    files, seen = [], {}
    for path in found:
        name = f"{REGISTERS_SUBDIR}/{path.relative_to(directory).as_posix()}"
        match = FILE_NAME.fullmatch(path.stem)
        if not match or path.parent.name != match["year"]:
            raise RawDataError(name, None, None, "tên file không đúng quy ước (file name does not follow the contract).",
                               "Đặt tên <năm>/ho_<mã huyện 3 chữ số>_<năm>.csv, ví dụ 2022/ho_181_2022.csv.")
        code, year = match["district"], int(match["year"])
        if code not in REGISTER_DISTRICT_CODES:
            raise RawDataError(name, None, None, f"mã huyện «{code}» trong tên file không có trong danh mục "
                               "(unknown district code).", "Mã hợp lệ: " + ", ".join(REGISTER_DISTRICT_CODES) + ".")
        if year not in REGISTER_YEARS:
            raise RawDataError(name, None, None, f"năm rà soát {year} ngoài {REGISTER_YEARS[0]}–{REGISTER_YEARS[-1]} "
                               "(review year outside the contract).", "Sổ hộ cấp huyện chỉ có cho các năm "
                               f"{REGISTER_YEARS[0]}–{REGISTER_YEARS[-1]} (huyện bị bãi bỏ từ 1/7/2025).")
        if (code, year) in seen:
            raise RawDataError(name, None, None, f"huyện {code} năm {year} đã có file {seen[(code, year)]} "
                               "(two files for one district and year).", "Giữ một file cho mỗi huyện và năm.")
        seen[(code, year)] = name
        files.append(RegisterFile(path, name, code, year))
    _warn_missing_districts(files)
    return files


def _warn_missing_districts(files: list[RegisterFile]) -> None:
    """A year without all 11 districts gives incomplete province totals: say so, do not stop."""
    for year in sorted({f.year for f in files}):
        missing = sorted(set(REGISTER_DISTRICT_CODES) - {f.district_code for f in files if f.year == year})
        if missing:
            runlog.warn(f"sổ hộ năm {year} thiếu huyện {', '.join(missing)}: số liệu toàn tỉnh năm đó chưa đầy đủ "
                        "(district registers missing; province totals incomplete).")


def is_marked_synthetic(directory: Path) -> bool:
    """The folder holds the synthetic sample (SYNTHETIC.json is there): its figures are labelled synthetic.

    Looser than is_synthetic_sample on purpose: an edited sample file is still not an official figure, so
    it keeps the label (and, being edited, it needs a real pseudonym key). Labelling too much is the safe
    side; a province's real registers belong in a folder without SYNTHETIC.json.
    """
    return (directory / SYNTHETIC_MANIFEST).is_file()


def is_synthetic_sample(directory: Path, files: list[RegisterFile], digests: dict[Path, str] | None = None) -> bool:
    """True only when SYNTHETIC.json is there and lists every register file with its exact sha256.

    The demo key is public and household ids are easy to enumerate, so a real file dropped into the
    synthetic folder must never be hashed with it: any file the generator did not write makes the set real.
    `digests` (path -> sha256) saves hashing files the caller has already hashed.
    """
    manifest = directory / SYNTHETIC_MANIFEST
    if not manifest.is_file():
        return False
    listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
    for file in files:
        recorded = listed.get(file.path.relative_to(directory).as_posix(), {}).get("sha256")
        digest = (digests or {}).get(file.path) or hashlib.sha256(file.path.read_bytes()).hexdigest()
        if recorded != digest:
            runlog.warn(f"{file.name} không phải file do bộ sinh dữ liệu giả lập ghi ra (not in {SYNTHETIC_MANIFEST} "
                        "with this sha256): mã hộ phải được băm bằng khóa thật; số liệu vẫn ghi là giả lập (needs a real pseudonym "
                        "key; figures stay labelled synthetic).")
            return False
    return True


def pseudonym_key(synthetic: bool) -> bytes:
    """The HMAC key: $LANGSON_PSEUDONYM_KEY; the published demo key only for the untouched synthetic sample."""
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if key:
        if len(key) < MIN_KEY_LENGTH:
            raise PipelineError(f"{PSEUDONYM_KEY_ENV} quá ngắn ({len(key)} ký tự; cần ít nhất {MIN_KEY_LENGTH}): "
                                "khóa ngắn có thể bị đoán, và khi đó mọi mã hộ bị lộ (pseudonym key too short).")
        return key.encode("utf-8")
    if synthetic:
        return DEMO_PSEUDONYM_KEY.encode("utf-8")
    raise PipelineError(
        f"Chưa đặt khóa mã hóa mã hộ {PSEUDONYM_KEY_ENV} (pseudonym key not set). Sổ hộ thật chỉ được xử lý khi "
        "mã hộ được thay bằng mã băm có khóa. Tạo khóa một lần, giữ bí mật, ngoài git, và dùng cùng một khóa cho "
        "mọi năm (để nối hộ giữa các năm): export " + PSEUDONYM_KEY_ENV +
        "=$(python3 -c 'import secrets; print(secrets.token_hex(32))')")


class Pseudonymiser:
    """household_key = HMAC-SHA256(key, household id) as 16 hex digits, each distinct id hashed once.

    Ids recur every year, so one instance serves all files of a run (~4× fewer HMACs). The cache lives in
    memory for the run only; it is never written.
    """

    def __init__(self, key: bytes):
        self._key = key
        self._cache: dict[str, str] = {}

    def __call__(self, ids: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(ids)
        keys = np.array([self._cache.get(u) or self._hash(u) for u in uniques.tolist()], dtype=object)
        return keys[codes]

    def _hash(self, household_id: str) -> str:
        value = hmac.digest(self._key, household_id.encode("utf-8"), "sha256").hex()[:KEY_HEX_DIGITS]
        self._cache[household_id] = value
        return value


def register_inputs(files: list[RegisterFile], metas: list[dict], directory: Path) -> pd.DataFrame:
    """file, kind, sha256, bytes, rows of every register file, and SYNTHETIC.json whenever it is present."""
    rows = [{"file": f.name, "kind": "register", **m} for f, m in zip(files, metas)]
    if (directory / SYNTHETIC_MANIFEST).is_file():
        data = (directory / SYNTHETIC_MANIFEST).read_bytes()
        rows.append({"file": f"{REGISTERS_SUBDIR}/{SYNTHETIC_MANIFEST}", "kind": "synthetic_manifest",
                     "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": 0})
    return pd.DataFrame(rows, columns=list(REGISTER_TABLES["register_inputs"]))


# --- Per-file cache -------------------------------------------------------------------------------------

@dataclass
class RegisterCache:
    """read_register_file's result per file, in <directory>/<year>/ho_<district>_<year>.parquet.

    An entry stands for a file only while the file's sha256, the code fingerprint and the key fingerprint all
    equal what was recorded with it; otherwise, or when the entry cannot be read, the file is parsed again and
    the entry rewritten (write to temp, rename). The file's warnings are kept with it and repeated on reuse, so
    every run reports every repair. `parsed` and `reused` list the files of the last read_all, by name.
    """
    directory: Path
    parsed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)   # code and key of this run

    def entry(self, file: RegisterFile) -> Path:
        return self.directory / str(file.year) / f"ho_{file.district_code}_{file.year}.parquet"

    def read_all(self, files: list[RegisterFile], digests: dict[Path, str], pseudonymise: Pseudonymiser,
                 key: bytes) -> list[tuple[pd.DataFrame, dict]]:
        """Every file's (frame, meta), in file order: from its entry when that matches, else parsed."""
        self.parsed, self.reused = [], []
        self.fingerprints = {"code": code_fingerprint(), "key": key_fingerprint(key)}
        self.prune(files)
        return [self.read(f, digests[f.path], pseudonymise) for f in files]

    def read(self, file: RegisterFile, sha256: str, pseudonymise: Pseudonymiser) -> tuple[pd.DataFrame, dict]:
        """The entry when it was recorded for these bytes, this code and this key; else the file parsed."""
        path = self.entry(file)
        cached = read_entry(path, {"file": file.name, "sha256": sha256, **self.fingerprints})
        if cached is not None:
            frame, meta, notes = cached
            warn_all(notes)
            self.reused.append(file.name)
            return frame, meta
        # Gone before parsing: a file that now fails must not keep an entry around (a failed parse writes none).
        path.unlink(missing_ok=True)
        frame, meta = self.parse(file, pseudonymise)
        self.parsed.append(file.name)
        return frame, meta

    def parse(self, file: RegisterFile, pseudonymise: Pseudonymiser) -> tuple[pd.DataFrame, dict]:
        """Parse, log the file's warnings (also on error) and record the entry, stamped with the bytes parsed."""
        notes: list[str] = []
        try:
            frame, meta = parse_register_file(file, pseudonymise, notes)
        finally:
            warn_all(notes)
        write_entry(self.entry(file), frame, {"file": file.name, **meta, **self.fingerprints, "warnings": notes})
        return frame, meta

    def prune(self, files: list[RegisterFile]) -> None:
        """Delete the entries (and leftovers) of register files that no longer exist."""
        if not self.directory.is_dir():
            return
        kept = {self.entry(f) for f in files}
        for year in sorted(p for p in self.directory.iterdir() if p.is_dir()):
            for path in sorted(year.iterdir()):
                if path.is_file() and path not in kept:
                    path.unlink()
            if not any(year.iterdir()):
                year.rmdir()


def read_entry(path: Path, stamp: dict) -> tuple[pd.DataFrame, dict, list[str]] | None:
    """(frame, meta, warnings) of a cache entry recorded with exactly `stamp`; None when missing, stale or broken."""
    try:
        recorded = json.loads(pq.read_schema(path).metadata[CACHE_METADATA])
        if any(recorded.get(k) != v for k, v in stamp.items()):
            return None
        frame = pq.read_table(path, page_checksum_verification=True).to_pandas()
    except (OSError, pa.ArrowException, ValueError, KeyError, TypeError):  # missing, truncated or damaged
        return None
    if len(frame) != recorded.get("rows"):
        return None
    meta = {"sha256": recorded["sha256"], "bytes": recorded["bytes"], "rows": recorded["rows"]}
    return frame, meta, list(recorded.get("warnings", []))


def write_entry(path: Path, frame: pd.DataFrame, record: dict) -> None:
    """The frame with `record` in its parquet metadata, as one file written atomically (entry and stamp together)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    text = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), CACHE_METADATA: text})
    atomic.write_parquet_table(table, path, write_page_checksum=True)


def code_fingerprint() -> str:
    """sha256 of the code that shapes a parsed file, and of the libraries it runs on.

    The modules read_register_file runs through: this one (reading, cleaning, typing), ingest (decoding,
    header checks, legacy-encoding detection), schema (the contract: headers, vocabularies, district codes),
    vn (NFC and space repairs) and poverty_standard (the standard column, the indicator list). The Python
    version is in it too, since it fixes the Unicode tables that NFC uses. Over-broad on purpose: an edit
    to the audit code here also re-parses every file, which costs one cold run and can never reuse a stale frame.
    """
    digest = hashlib.sha256()
    for module in (sys.modules[__name__], ingest, schema, vn, ps):
        source = Path(module.__file__).read_bytes()
        digest.update(f"{module.__name__} {len(source)}\n".encode() + source)
    versions = [f"{name} {_version(name)}" for name in FRAME_LIBRARIES] + [f"python {platform.python_version()}"]
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def key_fingerprint(key: bytes) -> str:
    """Which pseudonym key made an entry's household keys, without storing the key: HMAC(key, fixed text)."""
    return hmac.new(key, CACHE_KEY_MESSAGE, hashlib.sha256).hexdigest()


# --- Reading one file -----------------------------------------------------------------------------------

def read_register_file(file: RegisterFile, pseudonymise: Pseudonymiser) -> tuple[pd.DataFrame, dict]:
    """One file as typed canonical columns plus household_key and provenance; the household id is gone.

    Its warnings (repairs, blank rows) go to the run log, also when the file then turns out to be unreadable.
    """
    notes: list[str] = []
    try:
        return parse_register_file(file, pseudonymise, notes)
    finally:
        warn_all(notes)


def warn_all(notes: list[str]) -> None:
    for note in notes:
        runlog.warn(note)


def parse_register_file(file: RegisterFile, pseudonymise: Pseudonymiser,
                        notes: list[str]) -> tuple[pd.DataFrame, dict]:
    """read_register_file, with the file's warnings appended to `notes` instead of logged (the cache keeps them)."""
    data = file.path.read_bytes()
    if file.path.suffix.lower() == ".xlsx":
        cells, repairs = read_xlsx_cells(file, notes), []
    else:
        cells, repairs = read_csv_cells(data, file.name, notes)
    if cells.empty:
        raise RawDataError(file.name, None, None, "file chỉ có dòng tiêu đề, không có dòng dữ liệu (no data rows).",
                           "Thêm danh sách hộ vào file, hoặc xoá file nếu huyện chưa có số liệu năm này.")
    cells, cleaned = clean_cells(cells)
    repairs += cleaned
    if repairs:
        notes.append(f"{file.name}: đã sửa khi đọc, file gốc không đổi (repaired on read): " + "; ".join(repairs) + ".")
    frame = typed_frame(cells, file)
    frame.insert(0, "household_key", pseudonymise(cells["household_id"]))
    meta = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": len(frame)}
    return frame, meta


def read_csv_cells(data: bytes, file: str, notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The non-personal columns of a CSV as text (canonical names) plus `line`; repairs made on decoding."""
    try:
        text, repairs = ingest.decode_csv(data, file)
    except RawDataError as err:
        raise redacted(err) from None
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    positions = read_header(header, file)
    body = data if not repairs else text.encode("utf-8")  # BOM dropped / UTF-16 re-encoded
    names = [f"c{i}" for i in range(len(header))]
    wanted = {name: names[i] for name, i in positions.items()}
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(include_columns=list(wanted.values()),
                                                  column_types={c: pa.string() for c in wanted.values()},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as err:
        raise layout_error(text, header, file, err) from None
    cells = table.to_pandas().rename(columns={v: k for k, v in wanted.items()})
    cells["line"] = csv_lines(body, text, len(cells))
    return _drop_blank_rows(cells, file, notes), repairs


def redacted(err: RawDataError) -> RawDataError:
    """The error without the cell it quotes when that cell is personal: messages reach the terminal and the run log.

    ingest's encoding errors quote the offending cell as a legacy encoding would read it; for a name or an
    address that is the personal value itself.
    """
    if err.column not in PERSONAL_HEADERS:
        return err
    return RawDataError(err.file, err.row, err.column, "ô có byte không phải UTF-8 (not UTF-8); nội dung ô thông tin cá "
                        "nhân không được in ra (personal cell, not shown).", err.fix)


def read_header(header: list, file: str) -> dict[str, int]:
    """Canonical name -> position of the columns to read; unknown, missing or repeated headers stop here."""
    ingest.check_header_row(header, file)
    positions = ingest.map_header(REGISTER_RAW, header, file)
    return {name: positions[name] for name in COLUMNS}


def layout_error(text: str, header: list, file: str, err: Exception) -> RawDataError:
    """pyarrow names no line: find it with ingest's row-by-row checks (slow, only when a file is broken)."""
    _, rows = ingest.split_csv(text, file)
    positions = ingest.map_header(REGISTER_RAW, header, file)
    try:
        ingest.check_rows(REGISTER_RAW, header, positions, rows, file)
    except RawDataError as found:
        return found
    return RawDataError(file, None, None, f"không đọc được file CSV (unreadable CSV: {err}).",
                        "Xuất lại file dưới dạng CSV UTF-8 (Comma delimited).")


def csv_lines(body: bytes, text: str, n_rows: int) -> np.ndarray:
    """Line (header = 1) of each data row: row i is line i + 2 unless rows span lines or blank lines exist."""
    physical = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if physical == n_rows + 1:  # a multi-line cell or a skipped blank line would each add a physical line
        return np.arange(2, n_rows + 2)
    starts, previous = [], 0
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        if record:  # pyarrow skips empty lines; csv.reader yields [] for them
            starts.append(previous + 1)
        previous = reader.line_num
    lines = np.array(starts[1:])
    if len(lines) != n_rows:
        raise AssertionError(f"line numbering: {len(lines)} records by csv, {n_rows} by pyarrow")
    return lines


def read_xlsx_cells(file: RegisterFile, notes: list[str]) -> pd.DataFrame:
    """The non-personal columns of an XLSX's first sheet as text; numeric cells written as the contract's numbers."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(file.path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RawDataError(file.name, None, None, f"không mở được file XLSX (unreadable XLSX: {type(err).__name__}).",
                           "Mở bằng Excel và lưu lại dưới dạng Excel Workbook (.xlsx) hoặc CSV UTF-8.") from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = ["" if v is None else str(v) for v in next(rows, ())]
    positions = read_header(header, file.name)
    records, lines = [], []
    for line, row in enumerate(rows, start=2):
        records.append([_xlsx_text(row[i]) if i < len(row) else "" for i in positions.values()])
        lines.append(line)
    book.close()
    cells = pd.DataFrame(records, columns=list(positions), dtype="str")
    cells["line"] = np.array(lines, dtype=np.int64)
    return _drop_blank_rows(cells, file.name, notes)


def _xlsx_text(value: object) -> str:
    """A cell as the CSV would hold it: whole numbers as digits, decimals with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return str(value)


def _drop_blank_rows(cells: pd.DataFrame, file: str, notes: list[str]) -> pd.DataFrame:
    """Rows with every read cell empty are skipped (as ingest does); skipping one with content would hide data."""
    data = cells.drop(columns="line")
    blank = (data == "").all(axis=1).to_numpy()
    if blank.any():
        notes.append(f"{file}: bỏ qua {int(blank.sum())} dòng trống (blank rows skipped).")
    return cells.loc[~blank].reset_index(drop=True)


def clean_cells(cells: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """NFC and tidy spaces in every text cell (pipeline.vn.clean_text), counting the repairs for the run log.

    Only distinct values that are not plain ASCII are passed through clean_text, which keeps 200k-row files fast.
    """
    counts = {NFC_REPAIR: 0, SPACE_REPAIR: 0}
    cells = cells.copy()
    for column in COLUMNS:
        values = cells[column]
        text = pa.array(values, type=pa.string())
        candidates = pc.invert(pc.or_(pc.ascii_is_decimal(text), pc.equal(text, "")))  # digits need no cleaning
        if not pc.any(candidates).as_py():
            continue
        plain = pc.and_(pc.match_substring_regex(text, f"^(?:{PLAIN_ASCII})$"),
                        pc.invert(pc.match_substring(text, "  ")))
        suspect = pc.and_(candidates, pc.invert(plain)).to_numpy(zero_copy_only=False)
        if not suspect.any():
            continue
        mapping = {u: clean_text(u) for u in values[suspect].unique().tolist() if clean_text(u) != u}
        if not mapping:
            continue
        changed = values.isin(list(mapping))
        kinds = values[changed].map({u: NFC_REPAIR if nfc(u) != u else SPACE_REPAIR for u in mapping})
        for kind, n in kinds.value_counts().items():
            counts[kind] += int(n)
        cells[column] = values.where(~changed, values.map(mapping))
    return cells, [f"{kind} {n} ô" for kind, n in counts.items() if n]


# --- Typing -----------------------------------------------------------------------------------------------

def typed_frame(cells: pd.DataFrame, file: RegisterFile) -> pd.DataFrame:
    """Canonical typed columns (no household id) with source_file / source_row; RawDataError on unreadable cells."""
    lines = cells["line"].to_numpy()
    _check_required(cells, file, lines)
    frame = pd.DataFrame(index=cells.index)
    for name in ("district_code", "commune_code"):
        frame[name] = cells[name]
    frame["area"] = vocabulary(cells, "area", file, lines)
    for name in WHOLE_COLUMNS:
        frame[name] = parse_numbers(cells[name], COLUMNS[name].header, True, file, lines).astype(np.int64)
    for name in NUMBER_COLUMNS:
        frame[name] = parse_numbers(cells[name], COLUMNS[name].header, False, file, lines)
    frame["recorded_class"] = vocabulary(cells, "recorded_class", file, lines)
    frame["ethnic_minority"] = vocabulary(cells, "ethnic_minority", file, lines).astype(bool)
    _check_file_identity(frame, file, lines)
    frame["standard"] = ps.standard_for(file.year)
    frame["source_file"] = file.name
    frame["source_row"] = lines.astype(np.int64)
    return frame


def _check_required(cells: pd.DataFrame, file: RegisterFile, lines: np.ndarray) -> None:
    """Every read cell is filled, but Điểm A in a review under QĐ 59 (2021), which scores no A."""
    optional = {"score_a"} if ps.standard_for(file.year) == ps.QD59 else set()
    for name in COLUMNS:
        empty = (cells[name] == "").to_numpy()
        if name not in optional and empty.any():
            raise RawDataError(file.name, int(lines[empty.argmax()]), COLUMNS[name].header,
                               "ô trống ở cột bắt buộc (empty required cell).", f"Cần: {COLUMNS[name].description}.")


def parse_numbers(values: pd.Series, header: str, whole: bool, file: RegisterFile, lines: np.ndarray) -> np.ndarray:
    """Plain or Vietnamese-notation numbers ("1.500.000", "7,5") to float; empty cells to NaN; text is an error."""
    text = pa.array(values, type=pa.string())
    digits = pc.ascii_is_decimal(text)  # "" is not decimal; nearly every cell takes this fast path
    if pc.all(digits).as_py():
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    text = pc.replace_substring(text, "\u2212", "-")  # typographic minus
    filled = pc.not_equal(text, "")
    valid = pc.match_substring_regex(text, f"^(?:{WHOLE_NUMBER if whole else DECIMAL_NUMBER})$")
    bad = pc.and_(filled, pc.invert(valid)).to_numpy(zero_copy_only=False)
    if bad.any():
        row = bad.argmax()
        kind = "số nguyên (a whole number)" if whole else "số (a number: thousands with '.', decimals with ',')"
        raise RawDataError(file.name, int(lines[row]), header, f"«{values.iloc[row]}» không phải {kind}.",
                           "Ghi số bằng chữ số, ví dụ 1500000 hoặc 1.500.000" + ("" if whole else "; thập phân: 7,5") + ".")
    plain = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
    numbers = pc.cast(pc.if_else(filled, plain, pa.scalar(None, pa.string())), pa.float64())
    return numbers.to_numpy(zero_copy_only=False)


def vocabulary(cells: pd.DataFrame, name: str, file: RegisterFile, lines: np.ndarray) -> pd.Series:
    """Vietnamese labels to canonical codes; an unknown label stops with the allowed ones (or the encoding it looks like)."""
    column = COLUMNS[name]
    codes, labels = pd.factorize(cells[name])
    mapped = pd.Series(pd.Series(labels).map(column.vocabulary).to_numpy(dtype=object)[codes], index=cells.index)
    unknown = mapped.isna().to_numpy()
    if unknown.any():
        row = unknown.argmax()
        value = cells[name].iloc[row]
        ingest.check_legacy_text(value, file.name, int(lines[row]), column.header)
        allowed = ", ".join(f"«{v}»" for v in column.vocabulary)
        raise RawDataError(file.name, int(lines[row]), column.header, f"giá trị «{value}» không hợp lệ (unknown value).",
                           f"Giá trị hợp lệ: {allowed}.")
    return mapped


def _check_file_identity(frame: pd.DataFrame, file: RegisterFile, lines: np.ndarray) -> None:
    """Every row carries the year and district of its file name: a row in the wrong file would be counted twice or lost."""
    checks = (("review_year", file.year, frame["review_year"].to_numpy() != file.year, "năm", f"năm {file.year}"),
              ("district_code", file.district_code, (frame["district_code"] != file.district_code).to_numpy(),
               "mã huyện", f"huyện {file.district_code}"))
    for name, expected, wrong, what, of_file in checks:
        if wrong.any():
            row = wrong.argmax()
            found = frame[name].iloc[row]
            raise RawDataError(file.name, int(lines[row]), COLUMNS[name].header,
                               f"{what} «{found}» nằm trong file của {of_file} (row in the wrong file).",
                               f"Sửa thành {expected}, hoặc chuyển dòng sang file đúng.")


# --- Rule audit -------------------------------------------------------------------------------------------

def audit_rules(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per broken rule per household (and per column for impossible values), all years together.

    Needs the expected_score_b and expected_class columns (add_expected)."""
    parts = [impossible_values(frame), score_b_mismatches(frame), class_inconsistencies(frame),
             duplicate_ids(frame)]
    audit = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else pd.DataFrame(columns=AUDIT_COLUMNS)
    return audit.sort_values(["review_year", "district_code", "commune_code", "source_file", "source_row", "rule",
                              "column"], kind="stable", ignore_index=True)


def flag_anomalies(frame: pd.DataFrame, audit: pd.DataFrame) -> np.ndarray:
    """has_anomaly: the row (file, line) has at least one audit finding; matched as one integer per row."""
    codes, files = pd.factorize(frame["source_file"])
    row_ids = codes.astype(np.int64) * LINE_SPAN + frame["source_row"].to_numpy(dtype=np.int64)
    file_code = {f: i for i, f in enumerate(files)}
    flagged = audit["source_file"].map(file_code).to_numpy(dtype=np.int64) * LINE_SPAN + \
        audit["source_row"].to_numpy(dtype=np.int64)
    return np.isin(row_ids, flagged)


def findings(frame: pd.DataFrame, mask: np.ndarray, rule: str, column: str, details: list[str]) -> pd.DataFrame:
    """Audit rows for the rows in `mask` (details: one Vietnamese text per flagged row, in order)."""
    part = frame.loc[mask, ["review_year", "district_code", "commune_code", "household_key", "source_file",
                            "source_row"]].copy()
    part["rule"], part["column"], part["detail"] = rule, column, details
    return part


def impossible_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Values no household can have: size outside 1–30, negative income, indicator not 0/1, A outside
    0–1000, B outside 0–120 or not a multiple of 10, commune code not 5 digits."""
    checks = [
        ("household_size", ~frame["household_size"].between(*HOUSEHOLD_SIZE_RANGE),
         f"ngoài khoảng {HOUSEHOLD_SIZE_RANGE[0]}–{HOUSEHOLD_SIZE_RANGE[1]} người"),
        ("income_per_capita", frame["income_per_capita"] < 0, "thu nhập âm"),
        ("score_a", frame["score_a"].notna() & ~frame["score_a"].between(*SCORE_A_RANGE),
         f"ngoài khoảng {SCORE_A_RANGE[0]}–{SCORE_A_RANGE[1]} điểm"),
        ("score_b", ~frame["score_b"].isin(SCORE_B_VALUES),
         f"không phải bội số của 10 trong khoảng 0–{ps.MAX_SCORE_B}"),
        *((code, ~frame[code].isin(INDICATOR_VALUES), "chỉ số thiếu hụt chỉ nhận 0 hoặc 1") for code in INDICATORS),
        ("commune_code", ~frame["commune_code"].str.fullmatch(COMMUNE_CODE), "mã xã phải gồm 5 chữ số"),
    ]
    parts = []
    for name, mask, why in checks:
        mask = mask.to_numpy(dtype=bool)
        if mask.any():
            values = frame.loc[mask, name]
            details = [f"«{HEADER[name]}» = {_value_text(v)}: {why}" for v in values]
            parts.append(findings(frame, mask, "impossible_value", HEADER[name], details))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)


def possible_score_b(frame: pd.DataFrame) -> np.ndarray:
    """B is a value B can take (0–120 in steps of 10); otherwise it is reported once, as impossible."""
    return frame["score_b"].isin(SCORE_B_VALUES).to_numpy()


def score_b_mismatches(frame: pd.DataFrame) -> pd.DataFrame:
    """B ≠ 10 × number of indicators equal to 1 (only where B itself is a possible value)."""
    expected = frame["expected_score_b"]
    mask = possible_score_b(frame) & (frame["score_b"].to_numpy() != expected.to_numpy())
    deprived = expected[mask] // ps.POINTS_PER_DEPRIVATION
    details = [f"Điểm B = {_value_text(b)} nhưng có {n} chỉ số thiếu hụt = 1, nên B phải là {e}"
               for b, n, e in zip(frame.loc[mask, "score_b"], deprived, expected[mask])]
    return findings(frame, mask, "score_b_mismatch", HEADER["score_b"], details)


def class_inconsistencies(frame: pd.DataFrame) -> pd.DataFrame:
    """Recorded class ≠ the class the standard in force gives (pipeline.registers.poverty_standard.expected_class)."""
    expected = frame["expected_class"]
    mask = (frame["recorded_class"].to_numpy() != expected.to_numpy())
    part = frame.loc[mask]
    details = [_class_detail(row, e) for row, e in zip(part.itertuples(index=False), expected[mask])]
    return findings(frame, mask, "class_inconsistent", HEADER["recorded_class"], details)


def _class_detail(row, expected: str) -> str:
    """'Ghi «Hộ nghèo»; theo NĐ 07/2021/NĐ-CP (nông thôn, A = 150, B = 40) phải là «Hộ có mức sống trung bình»'."""
    area = "thành thị" if row.area == ps.URBAN else "nông thôn"
    values = f"thu nhập {format_vn_number(row.income_per_capita)} đồng" if row.standard == ps.QD59 \
        else f"A = {_value_text(row.score_a)}"
    should = f"phải là «{HOUSEHOLD_CLASS_LABELS[expected]}»" if expected else "không xác định được phân loại"
    return (f"Ghi «{HOUSEHOLD_CLASS_LABELS[row.recorded_class]}»; theo {STANDARD_LABELS[row.standard]} "
            f"({area}, {values}, B = {_value_text(row.score_b)}) {should}")


def add_expected(frame: pd.DataFrame) -> pd.DataFrame:
    """expected_score_b and expected_class columns (pipeline.registers.poverty_standard), added in place and returned."""
    frame["expected_score_b"] = ps.expected_score_b(frame[list(INDICATORS)]).astype(np.int64)
    frame["expected_class"] = ps.expected_class(frame).fillna("").astype("str")
    return frame


def duplicate_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Every row whose household id (key) occurs again in the same year: in another district, or in the same file.

    Every row involved is reported, since the data cannot tell which household the id really belongs to;
    the detail names the other file(s) and line(s).
    """
    same_year = frame.duplicated(["review_year", "household_key"], keep=False).to_numpy()
    if not same_year.any():
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    rows = frame.loc[same_year, ["review_year", "household_key", "district_code", "source_file", "source_row"]]
    rows = rows.assign(position=np.flatnonzero(same_year))
    pairs = rows.merge(rows, on=["review_year", "household_key"], suffixes=("", "_other"))
    pairs = pairs[pairs["position"] != pairs["position_other"]]
    parts = []
    for rule, same_district, wording in (("duplicate_id_across_districts", False, "Mã hộ trùng với"),
                                         ("duplicate_id_in_district", True, "Mã hộ lặp lại ở")):
        chosen = pairs[(pairs["district_code"] == pairs["district_code_other"]).to_numpy() == same_district]
        if chosen.empty:
            continue
        places = (chosen["source_file_other"] + " dòng " + chosen["source_row_other"].astype("str")) \
            .groupby(chosen["position"].to_numpy()).agg("; ".join)  # sorted by position = frame order
        mask = np.zeros(len(frame), dtype=bool)
        mask[places.index.to_numpy()] = True
        years = frame["review_year"].to_numpy()[mask]
        details = [f"{wording} {p} (cùng năm {y})" for p, y in zip(places.tolist(), years)]
        parts.append(findings(frame, mask, rule, HEADER["household_id"], details))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=AUDIT_COLUMNS)


def _value_text(value: float | str) -> str:
    """A number as Vietnamese readers write it: 1.500.000, 35,5; a code as it is; 'trống' when empty."""
    if isinstance(value, str):
        return f"«{value}»"
    if pd.isna(value):
        return "trống"
    return format_vn_number(value, 0 if float(value).is_integer() else 2)

