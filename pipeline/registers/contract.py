"""The register contract (docs/register_contract.md) as SQL: clean, parse and check every cell of a file's rows.

A file's rows arrive as a relation of text cells (`line` plus one VARCHAR per canonical column, NULL when
empty, and `plain`; pipeline.registers.cells makes it). `typed_rows` turns it into typed, pseudonymised rows
in one streaming projection, with `problem_flag` marking a row that breaks the contract; `checks` are the
contract's rules, in the order they are reported: a file with a flagged row is read again and the first
broken rule found (`first_problem_select`) is raised as a RawDataError naming file, line and column, with
the message pipeline.ingest's rules have always given.

Cleaning is pipeline.vn.clean_text in SQL (NFC, every run of Unicode whitespace one space, trimmed). Rows
that are clean as they stand (`plain_rows`: digits, the exact vocabulary labels, ASCII ids) skip it; the
others are cleaned and counted as repairs (NFC / spaces), which the run log reports per file.

The household id never leaves the projection: household_key = HMAC-SHA256(key, id) is computed in the same
expression that reads the id (two SHA-256 passes over the key's inner and outer pads, RFC 2104), kept as
its first 64 bits (an unsigned integer; 16 hex digits in the published tables).
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import ingest, schema
from pipeline.errors import RawDataError
from pipeline.registers import poverty_standard as ps

COLUMNS = {c.name: c for c in schema.REGISTER_RAW.columns if c.kind != "personal"}  # what is read, contract order
HEADER = {c.name: c.header for c in schema.REGISTER_RAW.columns}
INDICATORS = ps.INDICATOR_COLUMNS
WHOLE_COLUMNS = ("review_year", "household_size", *INDICATORS)
NUMBER_COLUMNS = ("income_per_capita", "score_a", "score_b")
VOCABULARY_COLUMNS = ("area", "recorded_class", "ethnic_minority")
TEXT_COLUMNS = ("district_code", "commune_code")

# Numbers as the contract allows: digits, optionally Vietnamese thousands groups "1.500.000" and a decimal
# comma "7,5" (pipeline.vn's rule). "1.5" is neither and is refused rather than guessed.
WHOLE_NUMBER = r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)"
DECIMAL_NUMBER = WHOLE_NUMBER + r"(?:,[0-9]+)?"
TYPOGRAPHIC_MINUS = "\u2212"
KEY_HEX_DIGITS = schema.HOUSEHOLD_KEY_HEX_DIGITS
HMAC_BLOCK = 64      # SHA-256's block size (RFC 2104)


def _whitespace_class() -> str:
    """Every character Python's str.isspace() calls whitespace, as an RE2 class: the same set clean_text's \\s uses."""
    spaces = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in spaces) + "]+"


WHITESPACE_RUN = _whitespace_class()


def key_sql(household_id: str) -> str:
    """SQL: the first 64 bits of HMAC-SHA256(key, id) as an unsigned integer: SHA-256 of the key's outer pad
    and the SHA-256 of its inner pad and the id ($inner_pad, $outer_pad: hmac_pads)."""
    inner = f"unhex(sha256($inner_pad || encode({household_id})))"
    return f"('0x' || left(sha256($outer_pad || {inner}), {KEY_HEX_DIGITS}))::UBIGINT"


def macros() -> list[str]:
    """SQL macros the expressions below use (created once per connection)."""
    return [
        f"CREATE OR REPLACE MACRO clean_text(x) AS trim(regexp_replace(nfc_normalize(x), '{WHITESPACE_RUN}', ' ', 'g'))",
        "CREATE OR REPLACE MACRO number_text(x) AS replace(replace(replace(x, '.', ''), ',', '.'), "
        f"'{TYPOGRAPHIC_MINUS}', '-')",
        f"CREATE OR REPLACE MACRO key_hex(k) AS format('{{:0{KEY_HEX_DIGITS}x}}', k)",
    ]


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """The HMAC-SHA256 inner and outer pads of `key` (RFC 2104), the parameters of the key expression."""
    if len(key) > HMAC_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(HMAC_BLOCK, b"\0")
    return {"inner_pad": bytes(b ^ 0x36 for b in key), "outer_pad": bytes(b ^ 0x5C for b in key)}


# --- From raw cells to typed rows -------------------------------------------------------------------------
# Nearly every row is clean as it stands: digits, the exact labels, printable ASCII ids (plain_rows, computed
# as the cells are read). Those rows are typed at once; only the others go through clean_text (and are
# counted as repairs) before they are parsed.

def plain_rows(table: pa.Table) -> pa.Array:
    """True where every cell read is clean as it stands: empty, ASCII digits, an exact vocabulary label, or
    (the household id) printable ASCII without spaces. Vectorised in pyarrow, where the cells are read."""
    plain = None
    for name, column in COLUMNS.items():
        cells = table.column(name)
        if column.kind == "vocab":
            ok = pc.is_in(cells, value_set=pa.array(list(column.vocabulary)))
        elif name == "household_id":
            ok = pc.match_substring_regex(cells, "^[!-~]+$")
        else:
            ok = pc.ascii_is_decimal(cells)
        ok = pc.or_kleene(pc.is_null(cells), ok)
        plain = ok if plain is None else pc.and_kleene(plain, ok)
    return plain


def _repair(name: str, kind: str) -> str:
    """SQL: 1 when cleaning changes the cell, by NFC (kind "nfc") or by spaces only ("space"), else 0."""
    cell = f"\"{name}\""
    test = f"nfc_normalize({cell}) <> {cell}" if kind == "nfc" else f"nfc_normalize({cell}) = {cell}"
    # One WHEN per test: CASE evaluates a branch's test only on the rows that reach it (OR would test every row).
    return f"CASE WHEN {cell} IS NULL THEN 0 WHEN clean_text({cell}) = {cell} THEN 0 WHEN {test} THEN 1 ELSE 0 END"


def _repairs(kind: str) -> str:
    """SQL: the row's cells cleaning changes, by kind; 0 at once for a plain row."""
    return "CASE WHEN plain THEN 0 ELSE " + " + ".join(_repair(name, kind) for name in COLUMNS) + " END"


def _text(name: str) -> str:
    """SQL: the cleaned text of a cell ('' when empty), cleaning only rows that are not plain."""
    return f"CASE WHEN plain THEN coalesce(\"{name}\", '') ELSE coalesce(clean_text(\"{name}\"), '') END"


def _empty(name: str) -> str:
    """SQL: the cell is empty once cleaned (NULL, or only spaces)."""
    return f"CASE WHEN plain THEN \"{name}\" IS NULL ELSE coalesce(clean_text(\"{name}\"), '') = '' END"


def _number(name: str, whole: bool, ok: str = "plain") -> str:
    """SQL: a cell as a number: digits at once where `ok` (a plain row), else Vietnamese notation
    (1.500.000 / 7,5) after cleaning; NULL when empty or not a number."""
    cell = f"\"{name}\""
    pattern = WHOLE_NUMBER if whole else DECIMAL_NUMBER
    target = "BIGINT" if whole else "DOUBLE"
    text = f"replace(clean_text({cell}), '{TYPOGRAPHIC_MINUS}', '-')"
    return (f"CASE WHEN {ok} THEN CAST({cell} AS {target}) "
            f"WHEN regexp_full_match({text}, '{pattern}') THEN CAST(CAST(number_text(clean_text({cell})) AS DOUBLE) "
            f"AS {target}) END")


def _vocabulary(name: str) -> str:
    """SQL: the canonical code of a label; the exact label at once, else after cleaning; NULL when unknown."""
    cell = f"\"{name}\""
    cases = " ".join(f"WHEN {quote(label)} THEN {_literal(code)}" for label, code in COLUMNS[name].vocabulary.items())
    return f"CASE {cell} {cases} ELSE CASE clean_text({cell}) {cases} END END"


def typed_rows(source: str, passed: tuple[str, ...] = ()) -> str:
    """SQL: the typed, pseudonymised rows of a relation of raw cells and their `plain` flag (`source` is a SELECT).

    Columns: the `passed` columns of the source as they are, line, blank (every cell read is empty), key,
    id_empty (for the checks), the typed columns, nfc_repairs and space_repairs (cells cleaning changed, by kind).
    """
    parts = [*passed, "line", "(" + " AND ".join(f"\"{name}\" IS NULL" for name in COLUMNS) + ") AS blank",
             f"{key_sql(_text('household_id'))} AS key", f"{_empty('household_id')} AS id_empty"]
    for name in COLUMNS:
        if name in TEXT_COLUMNS:
            parts.append(f"{_text(name)} AS \"{name}\"")
        elif name in VOCABULARY_COLUMNS:
            parts.append(f"{_vocabulary(name)} AS \"{name}\"")
        elif name != "household_id":
            parts.append(f"{_number(name, name in WHOLE_COLUMNS)} AS \"{name}\"")
    parts.append(f"{_repairs('nfc')} AS nfc_repairs")
    parts.append(f"{_repairs('space')} AS space_repairs")
    return f"SELECT {', '.join(parts)} FROM ({source})"


def problem_flag(year: str = "file_year", district: str = "file_district") -> str:
    """SQL over typed_rows' columns: the (non-blank) row breaks a rule of `checks`.

    A typed value is NULL exactly when its cell is empty or unreadable, so one test per column covers the
    required, number and vocabulary rules; then the row's year and district against those of its file
    (`year`, `district`: SQL expressions, columns by default).
    """
    broken = ["id_empty"]
    for name in COLUMNS:
        if name in TEXT_COLUMNS:
            broken.append(f"\"{name}\" = ''")
        elif name != "household_id":
            broken.append(f"\"{name}\" IS NULL")
    broken += [f"review_year <> {year}", f"district_code <> {district}"]
    return "(NOT blank AND (" + " OR ".join(broken) + "))"


def cleaned_rows(source: str) -> str:
    """SQL: line, blank and every column's cleaned text ('' when empty), for finding a file's first problem."""
    blank = " AND ".join(f"\"{name}\" IS NULL" for name in COLUMNS)
    texts = ", ".join(f"coalesce(clean_text(\"{name}\"), '') AS \"{name}\"" for name in COLUMNS)
    return f"SELECT line, ({blank}) AS blank, {texts} FROM ({source})"


# --- Checks: what makes a file unreadable, in the order the first one is reported ---------------------------

@dataclass(frozen=True)
class Check:
    """One contract rule on one column: `broken` is SQL over the cleaned cells (true when the row breaks it);
    `shown` is what the message quotes (the cell, or the number read from it)."""
    kind: str          # required | vocabulary | whole | number | year | district
    column: str
    broken: str
    shown: str = ""


def checks(year: int, district: str) -> list[Check]:
    """The rules of a file of `year` and `district`, in the order a file's first problem is looked for.

    Every cell read is required, Điểm A included: every review year of the contract (2021–2024) classifies by
    NĐ 07/2021/NĐ-CP, whose class needs A (the end-2021 review too: pipeline.registers.poverty_standard); then
    the area's label, the whole numbers, the other numbers, the class and ethnicity labels, and last that
    every row carries the year and district of its file name.
    """
    found = [Check("required", name, f"\"{name}\" = ''") for name in COLUMNS]
    found.append(_vocabulary_check("area"))
    for name in WHOLE_COLUMNS:
        found.append(Check("whole", name, f"\"{name}\" <> '' AND {_cleaned_number(name, True)} IS NULL"))
    for name in NUMBER_COLUMNS:
        found.append(Check("number", name, f"\"{name}\" <> '' AND {_cleaned_number(name, False)} IS NULL"))
    found += [_vocabulary_check("recorded_class"), _vocabulary_check("ethnic_minority")]
    year_read = _cleaned_number("review_year", True)
    found.append(Check("year", "review_year", f"{year_read} IS DISTINCT FROM {int(year)}", f"{year_read}::VARCHAR"))
    found.append(Check("district", "district_code", f"\"district_code\" <> {quote(district)}"))
    return found


def _cleaned_number(name: str, whole: bool) -> str:
    """_number over a cleaned cell (cleaned_rows): digits are read at once."""
    return _number(name, whole, ok=f"regexp_full_match(\"{name}\", '[0-9]+')")


def _vocabulary_check(name: str) -> Check:
    return Check("vocabulary", name, f"{_vocabulary(name)} IS NULL")


def first_problem_select(year: int, district: str) -> str:
    """One row: for each rule, the first line breaking it and that line's cell (NULLs when none does)."""
    parts = []
    for i, check in enumerate(checks(year, district)):
        parts.append(f"min(line) FILTER (WHERE {check.broken}) AS line_{i}")
        shown = check.shown or f"\"{check.column}\""
        parts.append(f"arg_min({shown}, line) FILTER (WHERE {check.broken}) AS value_{i}")
    return ", ".join(parts)


def raise_first_problem(row: tuple, year: int, district: str, file: str) -> None:
    """The RawDataError of the first rule (in checks' order) some row breaks; returns when none is broken."""
    for i, check in enumerate(checks(year, district)):
        line, value = row[2 * i], row[2 * i + 1]
        if line is not None:
            raise problem_error(check, int(line), value, year, district, file)


def problem_error(check: Check, line: int, value: str, year: int, district: str, file: str) -> RawDataError:
    """The message a broken rule has always given (pipeline.ingest's words, file, line and column)."""
    column = COLUMNS[check.column]
    if check.kind == "required":
        return RawDataError(file, line, column.header, "ô trống ở cột bắt buộc (empty required cell).",
                            f"Cần: {column.description}.")
    if check.kind == "vocabulary":
        ingest.check_legacy_text(value, file, line, column.header)
        allowed = ", ".join(f"«{v}»" for v in column.vocabulary)
        return RawDataError(file, line, column.header, f"giá trị «{value}» không hợp lệ (unknown value).",
                            f"Giá trị hợp lệ: {allowed}.")
    if check.kind in ("whole", "number"):
        whole = check.kind == "whole"
        kind = "số nguyên (a whole number)" if whole else "số (a number: thousands with '.', decimals with ',')"
        return RawDataError(file, line, column.header, f"«{value}» không phải {kind}.",
                            "Ghi số bằng chữ số, ví dụ 1500000 hoặc 1.500.000" + ("" if whole else "; thập phân: 7,5") + ".")
    if check.kind == "year":
        return RawDataError(file, line, column.header, f"năm «{value}» nằm trong file của năm {year} (row in the wrong file).",
                            f"Sửa thành {year}, hoặc chuyển dòng sang file đúng.")
    return RawDataError(file, line, column.header, f"mã huyện «{value}» nằm trong file của huyện {district} "
                        "(row in the wrong file).", f"Sửa thành {district}, hoặc chuyển dòng sang file đúng.")


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return quote(str(value))
