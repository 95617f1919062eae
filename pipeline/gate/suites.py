"""The gate's expectation suites: structural ones generated from pipeline/schema.py, business rules by hand.

Each table has two files in expectations/, read together as one GX suite named after the table:

- <table>.generated.json: what schema.CONSTRAINTS says about the table (column set, at least one row,
  required columns, vocabulary, bounds, format, keys), one expectation per fact (one for all the
  required columns together) with a generated Vietnamese description. Written by `python -m pipeline expectations`; a test keeps the files equal to the schema.
- <table>.json: the business rules, reviewed in git like code (see expectations/README.md).

The JSON form is the one GX writes back (ids dropped, keys sorted, UTF-8), so a file loads and
saves byte for byte. GX is imported by whoever builds a GX suite from these dicts, not here.
"""
from __future__ import annotations

import json
from pathlib import Path

from pipeline import paths, schema
from pipeline.errors import PipelineError

GENERATED = "generated"  # <table>.generated.json
GENERATED_NOTE = ("SINH TỰ ĐỘNG từ pipeline/schema.py bằng `python -m pipeline expectations` — không sửa tay "
                  "(generated from pipeline/schema.py, do not edit). Luật nghiệp vụ: expectations/{table}.json.")
HAND_WRITTEN_NOTE = ("Luật nghiệp vụ của bảng data/processed/{table}.parquet (business rules). Các luật cấu trúc "
                     "(cột, danh mục, khoảng, khóa) sinh từ pipeline/schema.py: {table}.generated.json. "
                     "Xem expectations/README.md.")

COLUMNS = "expect_table_columns_to_match_set"
ROWS = "expect_table_row_count_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"
REQUIRED = "expect_multicolumn_values_to_not_be_null"  # the gate's own (pipeline/gate/required.py)
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND = "expect_compound_columns_to_be_unique"


def table_columns(name: str) -> dict[str, tuple[str, str]]:
    """The data dictionary entry of a validated table: plan tables first, then register tables."""
    return {**schema.PROCESSED_TABLES, **schema.REGISTER_TABLES}[name]


def validated_tables() -> list[str]:
    """Every table the gate knows, in the order results and the gate page list them."""
    return [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]


def hand_written_path(name: str) -> Path:
    """expectations/<name>.json: one name for table, parquet file and suite."""
    return paths.EXPECTATIONS / f"{name}.json"


def generated_path(name: str) -> Path:
    return paths.EXPECTATIONS / f"{name}.{GENERATED}.json"


# ---------------------------------------------------------------- generated from the schema

def structural_expectations(name: str) -> list[dict]:
    """One expectation per fact of schema.CONSTRAINTS[name], in data dictionary column order, then the keys."""
    rules = schema.CONSTRAINTS[name]
    columns = table_columns(name)
    out = [_expectation(COLUMNS, {"column_set": sorted(columns)},
                        f"Bảng {name} có đúng các cột của từ điển dữ liệu (pipeline/schema.py): không thiếu, không thừa")]
    if rules.nonempty:
        out.append(_expectation(ROWS, {"min_value": 1}, f"Bảng {name} có ít nhất một dòng"))
    required = [c for c in columns if c in rules.columns and rules.columns[c].required]
    if required:
        out.append(required_expectation(required))
    for column in columns:
        if column in rules.columns:
            out += column_expectations(column, rules.columns[column])
    out += [key_expectation(key) for key in rules.keys]
    return out


def required_expectation(columns: list[str]) -> dict:
    """The table's required columns are never null: one rule for all of them (GX's own rule for a single one)."""
    if len(columns) == 1:
        return _expectation(NOT_NULL, {"column": columns[0]}, f"{named(columns[0])} không được để trống")
    return _expectation(REQUIRED, {"column_list": columns},
                        f"Các cột bắt buộc không được để trống: {', '.join(named(c) for c in columns)}")


def column_expectations(column: str, values: schema.Values) -> list[dict]:
    """The expectations of one column's vocabulary, bounds and format (in that order)."""
    name = named(column)
    out = []
    if values.allowed:
        listed = ", ".join(str(v) if v != schema.EMPTY else "(rỗng)" for v in values.allowed)
        out.append(_expectation(IN_SET, {"column": column, "value_set": list(values.allowed)},
                                f"{name} thuộc danh mục: {listed}"))
    if values.low is not None or values.high is not None:
        bounds = {k: v for k, v in (("min_value", values.low), ("max_value", values.high)) if v is not None}
        out.append(_expectation(BETWEEN, {"column": column, **bounds}, f"{name} {bounds_text(values.low, values.high)}"))
    if values.pattern:
        regex, meaning = schema.FORMATS[values.pattern]
        out.append(_expectation(REGEX, {"column": column, "regex": regex}, f"{name} {meaning}"))
    return out


def key_expectation(key: tuple[str, ...]) -> dict:
    """A key is unique over the whole table: one column, or the combination of several."""
    if len(key) == 1:
        return _expectation(UNIQUE, {"column": key[0]}, f"{named(key[0])} không trùng lặp — mỗi giá trị một dòng")
    return _expectation(COMPOUND, {"column_list": list(key)},
                        f"Bộ ({', '.join(named(c) for c in key)}) không trùng lặp — mỗi tổ hợp một dòng")


def named(column: str) -> str:
    """«Vietnamese label» (column): what users read, and what they search for in the code."""
    return f"«{schema.column_label(column)}» ({column})"


def bounds_text(low, high) -> str:
    if low is not None and high is not None:
        return f"nằm trong khoảng {low} đến {high}"
    if low is not None:
        return "không âm (≥ 0)" if low == 0 else f"không nhỏ hơn {low} (≥ {low})"
    return f"không lớn hơn {high} (≤ {high})"


def _expectation(kind: str, kwargs: dict, description_vi: str) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"description_vi": description_vi}, "severity": "critical"}


def generated_suite(name: str) -> dict:
    """The generated suite of a table as the dict GX builds an ExpectationSuite from."""
    return {"name": name, "expectations": structural_expectations(name), "meta": {},
            "notes": GENERATED_NOTE.format(table=name)}


# ---------------------------------------------------------------- reading

def read_suite_json(path: Path) -> dict:
    """The suite as a plain dict, checked: the file exists and every expectation has meta.description_vi."""
    if not path.is_file():
        raise PipelineError(f"Thiếu bộ kiểm tra {paths.relative(path)} (mỗi bảng đã xử lý cần tệp expectations/<bảng>.json "
                            "và expectations/<bảng>.generated.json; tệp sinh tự động: `python -m pipeline expectations`).")
    data = json.loads(path.read_text(encoding="utf-8"))
    for expectation in data.get("expectations", []):
        if not (expectation.get("meta") or {}).get("description_vi"):
            raise PipelineError(
                f"{paths.relative(path)}: kỳ vọng {expectation.get('type')} "
                f"({expectation_column(expectation.get('kwargs') or {}) or 'cả bảng'}) thiếu meta.description_vi."
            )
    return data


def table_expectations(name: str) -> list[dict]:
    """What the gate checks on a table, in order: the generated structural rules, then the business rules."""
    return [*read_suite_json(generated_path(name))["expectations"],
            *read_suite_json(hand_written_path(name))["expectations"]]


def expectation_column(kwargs: dict) -> str:
    """The column(s) an expectation is about, comma-joined; "" for table-level expectations."""
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ""


def condition_columns(condition: dict | None) -> set[str]:
    """Columns a row_condition reads (it changes which rows the rule sees)."""
    if not condition:
        return set()
    if "conditions" in condition:
        return set().union(*(condition_columns(c) for c in condition["conditions"]))
    return {condition["column"]["name"]} if "column" in condition else set()


def columns_read(expectation: dict) -> list[str]:
    """Every column whose values decide an expectation: its own, then those of its row_condition."""
    kwargs = expectation["kwargs"]
    own = [c for c in expectation_column(kwargs).split(",") if c]
    return list(dict.fromkeys([*own, *sorted(condition_columns(kwargs.get("row_condition")))]))
