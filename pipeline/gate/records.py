"""Per-table records of the GX gate, so `validate` runs Great Expectations only on tables whose inputs changed.

A record, data/processed/.validation/<table>.json, keeps what one passing validation of a table
produced: its rows of validation_results.parquet and the validation result GX stored (the JSON the
table's Data Docs page is rendered from), with the fingerprint of everything those depend on:

- sha256 of data/processed/<table>.parquet and of expectations/<table>.json;
- the gate's code: pipeline/gate/validate.py (how GX is run, the rows, the failure descriptions),
  pipeline/schema.py (a table's provenance columns set GX's result_format and name failing rows)
  and this module (what a record means); with the versions of the libraries that compute the
  results: great_expectations, pandas, numpy, pyarrow;
- the run identifier (run name and SOURCE_DATE_EPOCH time), which GX writes into the result and
  into the Data Docs paths.

A record is used only when all of that matches and every row passed. Anything else (no record,
unreadable JSON, a missing or odd field, a failed row) means the table is validated again: only
passing tables are recorded, so a failure is always checked again, never replayed.

Why a hidden folder of data/processed: the records are disposable like the tables (`make clean`
removes them, `make verify` and `make bench` copy no data/processed at all), and the dot keeps them
out of the "processed" stamp (data/processed/*.parquet), of the manifests and of the output
comparisons (both skip dot paths) and of the run log's inputs.
"""
from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from pipeline import atomic, paths

FOLDER = ".validation"
# Bump when the meaning of a record changes: older records are then simply not used.
FORMAT = 1
# What the rows and the GX result are computed by (see the module docstring for why these).
CODE_FILES = ("gate/validate.py", "schema.py", "gate/records.py")
LIBRARIES = ("great_expectations", "pandas", "numpy", "pyarrow")
_TEXT_FIELDS = ("table", "expectation_type", "column", "failing_rows", "description")


def folder() -> Path:
    return paths.PROCESSED / FOLDER


def record_path(name: str) -> Path:
    return folder() / f"{name}.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_fingerprint() -> dict[str, str]:
    """sha256 of the gate's code files (the ones this process runs) and the versions of its libraries."""
    package = Path(__file__).resolve().parent.parent
    code = {f"pipeline/{name}": sha256_bytes((package / name).read_bytes()) for name in CODE_FILES}
    return code | {library: metadata.version(library) for library in LIBRARIES}


def fingerprint(table_bytes: bytes, suite: Path, code: dict[str, str], run: str) -> dict:
    """Everything a table's validation depends on; a missing suite hashes as "" (the gate then names it)."""
    return {
        "table_sha256": sha256_bytes(table_bytes),
        "suite_sha256": sha256_bytes(suite.read_bytes()) if suite.is_file() else "",
        "code": code,
        "run": run,
    }


def load(name: str, expected: dict, fields: list[str]) -> dict | None:
    """The record of a table if it may stand in for a validation now, else None.

    `expected` is the table's fingerprint now; `fields` the columns of a results row. Leftover
    temporary files of a killed writer are removed here: a reused record is not written again,
    so nothing else would.
    """
    atomic.remove_leftovers(record_path(name))
    try:
        record = json.loads(record_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, unreadable, or not JSON
        return None
    if not _well_formed(record, name, fields) or record["inputs"] != expected:
        return None
    return record


def _well_formed(record, name: str, fields: list[str]) -> bool:
    """A passing record of this table in the current format, every field of the expected type."""
    return (
        isinstance(record, dict)
        and record.get("format") == FORMAT
        and record.get("table") == name
        and isinstance(record.get("inputs"), dict)
        and isinstance(record.get("gx_key"), list) and len(record["gx_key"]) == 4
        and all(isinstance(part, str) for part in record["gx_key"]) and record["gx_key"][0] == name
        and isinstance(record.get("gx_result"), dict) and record["gx_result"].get("success") is True
        and isinstance(record.get("rows"), list) and len(record["rows"]) > 0
        and all(_passing_row(row, name, fields) for row in record["rows"])
    )


def _passing_row(row, name: str, fields: list[str]) -> bool:
    return (
        isinstance(row, dict) and sorted(row) == sorted(fields)
        and row["table"] == name and row["success"] is True
        and type(row["unexpected_count"]) is int
        and all(isinstance(row[field], str) for field in _TEXT_FIELDS)
    )


def save(name: str, inputs: dict, rows: list[dict], gx_key: list[str], gx_result: dict) -> None:
    """Record a passing validation (written atomically: a reader sees the old record or the new one)."""
    if not rows or not all(row["success"] for row in rows):
        raise ValueError(f"{name}: only a passing validation is recorded")
    record = {"format": FORMAT, "table": name, "inputs": inputs, "rows": rows, "gx_key": gx_key,
              "gx_result": gx_result}
    text = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    atomic.write_bytes(record_path(name), text.encode("utf-8"))


def discard(name: str) -> None:
    """Forget a table's record (its table failed: nothing about it may be reused)."""
    record_path(name).unlink(missing_ok=True)
