"""Great Expectations gate: data/processed/<table>.parquet -> validation_results.parquet + the gate page.

Every processed table in schema.PROCESSED_TABLES is checked against its suite (suite name = table
name): the structural expectations generated from pipeline/schema.py (expectations/<table>.generated.json)
and the hand-written business rules (expectations/<table>.json); see pipeline/gate/suites.py and
expectations/README.md. So is every household-register table of schema.REGISTER_TABLES (written by
`python -m pipeline registers`) when data/raw/registers holds register files or the tables are present.
This module and pipeline/gate/required.py (the gate's one expectation of its own) are the only ones
that import great_expectations, so a GX upgrade touches two files.

The gate is strict: if any expectation fails, validation_results.parquet is deleted (a stale
pass must never be trusted) and ValidationFailed lists table, expectation, column and the
failing raw-file rows (`source_file` dòng `source_row`). Pass or fail, the gate page
(reports/gate/index.html, pipeline/gate/page.py) shows every suite and expectation with its outcome,
offline.

Why it is fast (measured in expectations/README.md): all tables share one in-memory context whose
data source holds every table's asset; each frame is loaded into GX once, without GX's fingerprint of
every cell, and validated with the cheapest result format that decides it (BOOLEAN_ONLY; BASIC
where a `mostly` rule needs its counts); only expectations that failed run again in COMPLETE format,
to name their rows. Expectations with a row_condition, and column rules on a column with missing
values, run on a frame of just the columns they read, since GX copies the whole frame's selected rows
for every metric of such a domain.

Large tables (schema.CONSTRAINTS partition_by, more rows than PARTITION_ROWS) are validated a
partition at a time (pipeline/gate/partitions.py): row-wise expectations on each partition, their
outcomes combined into one result per expectation (counts summed, `mostly` decided on the sums,
failing rows listed across partitions); expectations about the whole table (keys, the row count)
on one frame of only the columns they read.
"""
from __future__ import annotations

import os

# Before GX is imported: no analytics client, whatever GX's default is.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import json  # noqa: E402
import math  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

with warnings.catch_warnings():
    # GX 1.24 imports the stdlib's deprecated sre_constants; that warning is GX's, not the user's.
    warnings.filterwarnings("ignore", message="module 'sre_constants' is deprecated", category=DeprecationWarning)
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.validator.v1_validator import Validator

from pipeline import atomic, paths, schema  # noqa: E402
from pipeline.errors import PipelineError, ValidationFailed  # noqa: E402
from pipeline.gate import page, partitions, suites  # noqa: E402
from pipeline.gate import required  # noqa: E402,F401 - registers the gate's own expectation with GX
from pipeline.gate.suites import expectation_column, read_suite_json  # noqa: E402

# GX fingerprints every pandas batch smaller than HASH_THRESHOLD bytes (pandas' hash of every cell) for a batch
# marker in its results' metadata: ≈ 0,5 s for the province's register_households, ≈ 15 s at national size, spent on
# every partition. The run log already holds the sha256 of every table it read, so the gate asks for none.
pandas_execution_engine.HASH_THRESHOLD = 0


def _arrow_memory_pool() -> pa.MemoryPool:
    """jemalloc (the system allocator where a pyarrow build has none) for the arrow buffers the gate reads.

    Measured on the 2-core project machine: with arrow's default allocator (mimalloc) reading
    register_households and making its frame spends ≈ 1,6 s in the kernel, returning and taking back
    pages; with jemalloc ≈ 0,3 s, and the same bytes.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()


pa.set_memory_pool(_arrow_memory_pool())

# Name of the table this module writes; it is an output of the gate, never validated itself.
RESULTS_TABLE = "validation_results"
# Columns and dtypes of the results table (one row per expectation).
RESULT_DTYPES = {c: dtype for c, (dtype, _) in schema.GATE_TABLES[RESULTS_TABLE].items()}
# Provenance columns, in the order they name a raw row; a table uses those it has.
PROVENANCE_COLUMNS = ("source_file", "source_row", "source_rows")
# Failing rows listed per expectation before "… và N dòng khác".
MAX_LISTED_ROWS = 10
# Rows above which a table with partition_by columns is validated a partition at a time, and the most rows a
# partition holds. Measured on register_households ×8 (6,4 M rows, expectations/README.md): peak 2,2 GB with
# 2 M-row partitions, 1,9 GB with 1 M rows but 30 % slower (GX's fixed cost per partition), 3,4 GB whole.
PARTITION_ROWS = 2_000_000
DATASOURCE_NAME = "processed"
BATCH_DEFINITION = "whole"

# Result formats: the cheapest that decides an expectation, counts for `mostly` rules, every row for failures.
QUIET = {"result_format": "BOOLEAN_ONLY"}
COUNTED = {"result_format": "BASIC"}
# Expectations whose outcome on a table is the combination of their outcomes on its partitions (each row
# is judged alone, or the rule is about the columns every partition has). Any other type, or a `mostly`
# rule that is not a single-column map, is checked on the whole table.
ROW_WISE = frozenset({
    "expect_table_columns_to_match_set", suites.REQUIRED, "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set", "expect_column_values_to_be_between", "expect_column_values_to_match_regex",
    "expect_column_pair_values_to_be_equal", "expect_column_pair_values_a_to_be_greater_than_b",
})
COLUMN_MAP = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
                        "expect_column_values_to_be_between", "expect_column_values_to_match_regex"})


# ---------------------------------------------------------------- suites (JSON <-> GX)

def suite_to_json(suite: gx.ExpectationSuite) -> str:
    """Stable text of a suite: GX's random ids dropped, keys sorted, so git diffs show only real edits."""
    data = suite.to_json_dict()
    data.pop("id", None)
    for expectation in data["expectations"]:
        expectation.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_suite(path: Path) -> gx.ExpectationSuite:
    """Read a suite JSON; refuse one whose expectations lack the Vietnamese description users see."""
    return gx.ExpectationSuite(**read_suite_json(path))


def generated_suite_json(name: str) -> str:
    """The text of expectations/<name>.generated.json as pipeline/schema.py makes it (in GX's own form)."""
    return suite_to_json(gx.ExpectationSuite(**suites.generated_suite(name)))


def write_generated_suites() -> list[Path]:
    """`python -m pipeline expectations`: rewrite every generated suite from pipeline/schema.py."""
    written = []
    for name in suites.validated_tables():
        path = suites.generated_path(name)
        atomic.write_bytes(path, generated_suite_json(name).encode("utf-8"))
        written.append(path)
    print(f"expectations: {len(written)} bộ kiểm tra sinh từ pipeline/schema.py -> expectations/*.generated.json")
    return written


# ---------------------------------------------------------------- running GX

def provenance_columns(name: str) -> list[str]:
    """Columns naming the raw file and line of a row (none for derived tables)."""
    columns = suites.table_columns(name)
    return [c for c in PROVENANCE_COLUMNS if c in columns]


def new_context():
    """Ephemeral (in-memory) context, no analytics, no progress bars, one dataframe asset per known table.

    The data source is created with all its assets at once: adding them one by one re-serialises the
    project configuration each time (≈ 10 ms per asset).
    """
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    assets = [{"name": name, "type": "dataframe", "batch_definitions": [{"name": BATCH_DEFINITION, "partitioner": None}]}
              for name in suites.validated_tables()]
    context.data_sources.add_pandas(DATASOURCE_NAME, assets=assets)
    return context


def _validator(context, name: str, frame: pd.DataFrame) -> Validator:
    """GX's validator of one frame, which loads it once for all the suites run on it.

    It is the validator ValidationDefinition.run uses; a Batch's own validate() loads the frame again
    on every call.
    """
    batch_definition = context.data_sources.get(DATASOURCE_NAME).get_asset(name).get_batch_definition(BATCH_DEFINITION)
    return Validator(batch_definition=batch_definition, batch_parameters={"dataframe": frame}, result_format=QUIET)


def _run(validator: Validator, name: str, expectations: list[dict], positions: list[int],
         result_format: dict) -> dict[int, ExpectationValidationResult]:
    """The expectations at `positions` on the validator's frame: {position: result}."""
    if not positions:
        return {}
    validator.result_format = result_format
    # The id is the position in the suite (as a UUID, the form GX's stores require): it maps results back.
    suite = gx.ExpectationSuite(name=name, expectations=[dict(expectations[i], id=str(uuid.UUID(int=i)))
                                                         for i in positions])
    outcome = validator.validate_expectation_suite(suite)
    return {uuid.UUID(r.expectation_config.id).int: r for r in outcome.results}


def expectation_successes(context, name: str, df: pd.DataFrame, positions: list[int] | None = None) -> list[bool]:
    """Pass/fail of each expectation of <name>'s suite on df (or of those at `positions`), in that order.

    A fast path for contract tests (hundreds of broken frames): boolean results only, nothing
    stored, no page. Use validate_tables for real runs.
    """
    expectations = suites.table_expectations(name)
    chosen = list(range(len(expectations))) if positions is None else positions
    results = _run(_validator(context, name, df), name, expectations, chosen, QUIET)
    return [bool(results[i].success) for i in chosen]


@dataclass
class Outcome:
    """One expectation's result on a frame (or combined over partitions) and its failing rows, named.

    listed: the first MAX_LISTED_ROWS failing rows as users read them; failing: how many rows failed in all.
    """

    result: ExpectationValidationResult
    listed: list[str]
    failing: int


@dataclass
class TableRun:
    """One table's part of a gate run: a row per expectation (RESULT_DTYPES columns and the gate page's
    page.DETAIL_COLUMNS), the table's rows and how many partitions it was read in (0: whole)."""

    rows: list[dict]
    row_count: int
    partitions: int


def validate_tables(tables: dict[str, pd.DataFrame | Path], partition_rows: int = PARTITION_ROWS) -> pd.DataFrame:
    """Run every table's suite and return one tidy row per expectation (see RESULT_DTYPES).

    A table is a DataFrame, or the path of its parquet file (then it may be read in partitions).
    Rows follow schema.PROCESSED_TABLES order, then schema.REGISTER_TABLES order, then suite order.
    """
    return results_frame(gate_tables(tables, partition_rows))


def gate_tables(tables: dict[str, pd.DataFrame | Path], partition_rows: int = PARTITION_ROWS) -> dict[str, TableRun]:
    """validate_tables, keeping what the gate page shows beyond the results and how each table was read."""
    known = suites.validated_tables()
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise PipelineError(f"Không có bộ kiểm tra cho bảng: {', '.join(unknown)} "
                            "(không có trong schema.PROCESSED_TABLES hay schema.REGISTER_TABLES).")
    context = new_context()
    return {name: _table_run(context, name, tables[name], partition_rows) for name in known if name in tables}


def results_frame(runs: dict[str, TableRun]) -> pd.DataFrame:
    rows = [row for run in runs.values() for row in run.rows]
    return pd.DataFrame(rows, columns=list(RESULT_DTYPES)).astype(RESULT_DTYPES)


def _table_run(context, name: str, source: pd.DataFrame | Path, partition_rows: int) -> TableRun:
    """Validate one table, whole or in partitions, into its results rows."""
    expectations = suites.table_expectations(name)
    everything = list(range(len(expectations)))
    partition_by = schema.CONSTRAINTS[name].partition_by
    batches = []
    row_count = len(source) if isinstance(source, pd.DataFrame) else partitions.row_count(source)
    if isinstance(source, Path) and partition_by and row_count > partition_rows:
        batches = partitions.plan(source, partition_by, partition_rows)
        checks = _check_partitions(context, name, source, batches, expectations)
    else:
        frame = source if isinstance(source, pd.DataFrame) else pd.read_parquet(source)
        checks = [_check_frame(context, name, frame, expectations, everything)]
    outcomes = [_combine(expectations[i], [found[i] for found in checks if i in found]) for i in everything]
    rows = [_result_row(name, expectations[i], outcomes[i]) for i in everything]
    return TableRun(rows, row_count, partitions=len(batches))


def _check_partitions(context, name: str, path: Path, batches: list[partitions.Batch],
                      expectations: list[dict]) -> list[dict[int, Outcome]]:
    """Row-wise expectations on each partition, read one at a time; the others on the columns they read.

    A `mostly` rule may hold on a partition and fail on the table: its unexpected rows in the partitions
    where it held are then named in a second pass over those partitions (only when the gate fails).
    """
    row_wise = [i for i in range(len(expectations)) if is_row_wise(expectations[i])]
    whole = [i for i in range(len(expectations)) if i not in row_wise]
    checks = []
    for batch in batches:
        checks.append(_check_frame(context, name, partitions.read_batch(path, batch), expectations, row_wise))
        partitions.free_memory()  # the partition just checked, before the next one is read
    unnamed = {i for i in row_wise if "mostly" in expectations[i]["kwargs"]
               and not _combine(expectations[i], [found[i] for found in checks]).result.success}
    for batch, found in zip(batches, checks):
        late = sorted(i for i in unnamed if found[i].result.success and found[i].result.result.get("unexpected_count"))
        if late:
            found.update(_name_failing_rows(context, name, partitions.read_batch(path, batch), expectations, late))
            partitions.free_memory()
    if whole:
        columns = list(dict.fromkeys([*provenance_columns(name),
                                      *(c for i in whole for c in suites.columns_read(expectations[i]))]))
        checks.append(_check_frame(context, name, partitions.read_columns(path, columns), expectations, whole))
    return checks


def is_row_wise(expectation: dict) -> bool:
    """True when the expectation can be checked on each partition alone and the outcomes combined."""
    kind = expectation["type"]
    if "mostly" in expectation["kwargs"]:
        return kind in COLUMN_MAP
    return kind in ROW_WISE


def _check_frame(context, name: str, frame: pd.DataFrame, expectations: list[dict],
                 positions: list[int]) -> dict[int, Outcome]:
    """The expectations at `positions` on one frame: {position: Outcome}.

    First the cheapest result formats; then, for the expectations that failed, COMPLETE on the whole
    frame, whose unexpected_index_list names the failing rows (by provenance columns where the table has them).
    """
    frame = frame.reset_index(drop=True)  # index = row position, used for derived tables
    validator = _validator(context, name, frame)
    filtered = [i for i in positions if copies_rows(expectations[i], frame)]
    plain = [i for i in positions if i not in filtered]
    results = _first_pass(validator, name, expectations, plain)
    if filtered:
        narrow = frame[list(dict.fromkeys(c for i in filtered for c in suites.columns_read(expectations[i])))]
        results.update(_first_pass(_validator(context, name, narrow), name, expectations, filtered))
    outcomes = {i: _outcome(name, frame, expectations[i], results[i]) for i in positions}
    failed = [i for i in positions if not results[i].success and not _raised(results[i])]
    outcomes.update(_name_failing_rows(context, name, frame, expectations, failed))
    _unload(context, name, frame)
    return outcomes


def _unload(context, name: str, frame: pd.DataFrame) -> None:
    """Let go of the frame: GX's engine keeps the last frame loaded under a batch id until another replaces it.

    An empty frame of the same columns takes its place, so a checked partition (or table) is freed
    before the next one is read, not after.
    """
    _validator(context, name, frame.iloc[0:0]).active_batch_id


def _name_failing_rows(context, name: str, frame: pd.DataFrame, expectations: list[dict],
                       positions: list[int]) -> dict[int, Outcome]:
    """The expectations at `positions` again, in COMPLETE format: every unexpected row, named.

    A new validator loads the whole frame: GX keeps one frame per batch id, and a narrow frame of the
    same table may have replaced it since.
    """
    if not positions:
        return {}
    frame = frame.reset_index(drop=True)
    complete = {"result_format": "COMPLETE"}
    if provenance_columns(name):
        complete["unexpected_index_column_names"] = provenance_columns(name)
    results = _run(_validator(context, name, frame), name, expectations, positions, complete)
    _unload(context, name, frame)
    return {i: _outcome(name, frame, expectations[i], results[i]) for i in positions}


def copies_rows(expectation: dict, frame: pd.DataFrame) -> bool:
    """True when GX would copy the frame's rows for this expectation, so it is cheaper on its own columns.

    GX evaluates a row_condition, and drops the missing values of a column a column-map rule reads, by
    selecting rows of the whole frame, every column copied, once per metric. (Without missing values
    the selection keeps every row and pandas copies nothing.) The outcome does not depend on the
    other columns, so these run on a frame of the columns they read.
    """
    kwargs = expectation["kwargs"]
    if kwargs.get("row_condition"):
        return True
    column = kwargs.get("column")
    return expectation["type"] in COLUMN_MAP and column in frame.columns and bool(frame[column].hasnans)


def _first_pass(validator: Validator, name: str, expectations: list[dict],
                positions: list[int]) -> dict[int, ExpectationValidationResult]:
    """BOOLEAN_ONLY for most expectations; BASIC for `mostly` rules, whose unexpected counts the results keep."""
    counted = [i for i in positions if "mostly" in expectations[i]["kwargs"]]
    quiet = _run(validator, name, expectations, [i for i in positions if i not in counted], QUIET)
    return quiet | _run(validator, name, expectations, counted, COUNTED)


def _exception(result: ExpectationValidationResult) -> dict | None:
    """The exception GX caught while checking an expectation: its own, or that of a metric it needed."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return info
    return next((v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")), None)


def _raised(result: ExpectationValidationResult) -> bool:
    return _exception(result) is not None


def _outcome(name: str, frame: pd.DataFrame, expectation: dict, result: ExpectationValidationResult) -> Outcome:
    """A result with its unexpected rows named (when GX listed them) while the frame they come from is at hand."""
    items = (result.result or {}).get("unexpected_index_list")
    if not items:
        return Outcome(result, [], 0)
    columns = [c for c in expectation_column(expectation["kwargs"]).split(",") if c]
    only_missing = expectation["type"] == suites.REQUIRED  # of a dozen required columns, name the empty ones
    listed = [_describe_row(name, frame, columns, item, only_missing) for item in items[:MAX_LISTED_ROWS]]
    return Outcome(result, listed, len(items))


# ---------------------------------------------------------------- partitions -> one result

def _combine(expectation: dict, outcomes: list[Outcome]) -> Outcome:
    """One expectation's outcomes on the partitions it ran on, as one outcome for the table.

    Counts are summed; a `mostly` rule is decided on the sums (GX's rule: the share of non-null rows
    that passed is at least `mostly`), any other rule holds when it held on every partition; failing
    rows are listed in partition order.
    """
    if len(outcomes) == 1:
        return outcomes[0]
    results = [o.result for o in outcomes]
    raised = [r for r in results if _raised(r)]
    first = (raised or results)[0]
    details = merged_details([r.result or {} for r in results])
    mostly = expectation["kwargs"].get("mostly")
    if raised:
        success = False
    elif mostly is not None:
        success = mostly_holds(details, mostly)
    else:
        success = all(r.success for r in results)
    result = ExpectationValidationResult(success=success, expectation_config=first.expectation_config, result=details,
                                         meta=first.meta, exception_info=first.exception_info)
    listed = [row for o in outcomes for row in o.listed][:MAX_LISTED_ROWS]
    return Outcome(result, listed, sum(o.failing for o in outcomes))


SUMMED = ("element_count", "missing_count")
LISTS = ("partial_unexpected_list", "partial_unexpected_index_list", "unexpected_list", "unexpected_index_list")
PARTIAL_LENGTH = 20  # GX's partial_unexpected_count default


def merged_details(parts: list[dict]) -> dict:
    """GX result details of several partitions as one: counts summed, lists joined, percentages recomputed.

    A part without unexpected_count passed in BOOLEAN_ONLY format, so it had none; element and missing
    counts are kept only when every part has them. Anything else (an observed value, a column set's
    mismatch) is the first part's that has it.
    """
    merged: dict = {}
    for part in parts:
        for key, value in part.items():
            merged.setdefault(key, value)
    for key in SUMMED:
        if all(key in part for part in parts):
            merged[key] = sum(part[key] for part in parts)
        else:
            merged.pop(key, None)
    if any("unexpected_count" in part for part in parts):
        merged["unexpected_count"] = sum(part.get("unexpected_count", 0) for part in parts)
    for key in LISTS:
        if key in merged:
            joined = [item for part in parts for item in part.get(key, [])]
            merged[key] = joined[:PARTIAL_LENGTH] if key.startswith("partial_") else joined
    merged.pop("partial_unexpected_counts", None)  # a per-partition top list cannot be summed into the table's
    for key in ("unexpected_percent", "unexpected_percent_total", "unexpected_percent_nonmissing", "missing_percent"):
        merged.pop(key, None)
    if "element_count" in merged and "unexpected_count" in merged:
        merged.update(_percentages(merged["element_count"], merged.get("missing_count", 0), merged["unexpected_count"]))
    return merged


def _percentages(elements: int, missing: int, unexpected: int) -> dict:
    """GX's percentages of a column map result (percent of non-null rows, of all rows, missing)."""
    if elements == 0:
        return {}
    considered = elements - missing
    share = unexpected / considered * 100 if considered else None
    return {"unexpected_percent": share, "unexpected_percent_total": unexpected / elements * 100,
            "unexpected_percent_nonmissing": share, "missing_percent": missing / elements * 100}


def mostly_holds(details: dict, mostly: float) -> bool:
    """GX's `mostly` on summed counts: no rows considered passes; else the passing share is at least mostly."""
    considered = details.get("element_count", 0) - details.get("missing_count", 0)
    if considered <= 0:
        return True
    return (considered - details.get("unexpected_count", 0)) / considered >= mostly


# ---------------------------------------------------------------- results -> tidy rows

def _result_row(name: str, expectation: dict, outcome: Outcome) -> dict:
    """The results table's row of one expectation, and what the gate page shows beside it (page.DETAIL_COLUMNS)."""
    result = outcome.result
    details = result.result or {}
    return {
        "table": name,
        "expectation_type": expectation["type"],
        "column": expectation_column(expectation["kwargs"]),
        "success": bool(result.success),
        "unexpected_count": int(details.get("unexpected_count") or 0),
        "failing_rows": "" if result.success else _describe_failure(outcome),
        "description": expectation["meta"]["description_vi"],
        "kwargs": expectation["kwargs"],
        "element_count": details.get("element_count"),
        "missing_count": details.get("missing_count"),
        "sample_rows": outcome.listed,
        "unexpected_values": page.value_counts(details.get("unexpected_list") or []),
    }


def _describe_failure(outcome: Outcome) -> str:
    """What the user needs to find the problem: failing raw rows, or what GX observed for table-level rules."""
    exception = _exception(outcome.result)
    if exception is not None:
        message = str(exception.get("exception_message") or "").strip().splitlines()
        return "lỗi khi kiểm tra: " + (message[0] if message else "không rõ")
    if outcome.failing:
        extra = outcome.failing - len(outcome.listed)
        return "; ".join(outcome.listed) + (f"; … và {extra} dòng khác" if extra > 0 else "")
    return _describe_observed(outcome.result.result or {})


def _describe_row(name: str, df: pd.DataFrame, columns: list[str], item: Any, only_missing: bool = False) -> str:
    """'budget_figures.csv dòng 12 (amount_mvnd=-5.0)'.

    Derived tables have no raw line: 'hàng 3 (finding_id=…, status=ok)', the 1-based position
    plus the table's first column, which names the row (finding_id, file, table, …).
    With only_missing, of the rule's columns only the empty ones are shown ('(label=trống)').
    """
    if only_missing:
        columns = [c for c in columns if _missing(item.get(c) if isinstance(item, dict) else df.at[item, c])]
    if isinstance(item, dict):
        where = _provenance_text({c: item.get(c) for c in provenance_columns(name)})
        values = {c: item.get(c) for c in columns}
    else:
        where = f"hàng {int(item) + 1}"
        named = dict.fromkeys([*df.columns[:1], *columns])  # first column, then the rule's, no repeats
        values = {c: df.at[item, c] for c in named if c in df.columns}
    text = ", ".join(f"{c}={_value_text(v)}" for c, v in values.items())
    return f"{where} ({text})" if text else where


def _provenance_text(provenance: dict) -> str:
    file = _value_text(provenance.get("source_file"))
    line = provenance.get("source_row", provenance.get("source_rows"))
    return f"{file} dòng {_value_text(line)}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _value_text(value: Any) -> str:
    return "trống" if _missing(value) else str(value)


def _describe_observed(details: dict) -> str:
    mismatched = (details.get("details") or {}).get("mismatched") or {}
    if mismatched:
        parts = []
        if mismatched.get("missing"):
            parts.append("thiếu cột: " + ", ".join(map(str, mismatched["missing"])))
        if mismatched.get("unexpected"):
            parts.append("thừa cột: " + ", ".join(map(str, mismatched["unexpected"])))
        return "; ".join(parts)
    if "observed_value" in details:
        return f"giá trị quan sát: {_value_text(details['observed_value'])}"
    return ""


def format_failures(results: pd.DataFrame) -> str:
    """Terminal summary of the failed expectations: table · expectation · column, rule, failing rows."""
    failed = results[~results["success"]]
    header = (
        f"Kiểm tra dữ liệu (Great Expectations) không đạt: {len(failed)}/{len(results)} kỳ vọng "
        f"trên {failed['table'].nunique()} bảng."
    )
    lines = [header]
    for row in failed.itertuples(index=False):
        column = f" · cột {row.column}" if row.column else ""
        lines.append(f"- {row.table} · {row.expectation_type}{column}: {row.description}")
        if row.failing_rows:
            lines.append(f"    {row.failing_rows}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the gate page

def write_page(runs: dict[str, TableRun], target: Path) -> Path:
    """The gate page of this run (pipeline/gate/page.py), written atomically: pass or fail, it shows every rule."""
    from pipeline.registers.files import is_marked_synthetic, registers_dir

    text = page.render(pd.DataFrame([row for run in runs.values() for row in run.rows]),
                       {name: run.row_count for name, run in runs.items()},
                       {name: run.partitions for name, run in runs.items()},
                       synthetic=is_marked_synthetic(registers_dir()), gx_version=gx.__version__)
    atomic.write_bytes(target, text.encode("utf-8"))
    return target


# ---------------------------------------------------------------- command

def processed_table_names() -> list[str]:
    """Every table of schema.PROCESSED_TABLES, then the register tables; a missing one is a user error."""
    for name in schema.PROCESSED_TABLES:
        path = paths.processed_table(name)
        if not path.is_file():
            raise PipelineError(f"Thiếu bảng {name} ({paths.relative(path)}). Hãy chạy `make data` trước khi kiểm tra.")
    return [*schema.PROCESSED_TABLES, *register_table_names()]


def register_table_names() -> list[str]:
    """The household-register tables: all of them, or none when there are no registers and no register tables.

    Missing tables are an error when data/raw/registers holds register files (the stage was not run) or
    when only some are present (a partial set is never validated as if it were complete).
    """
    from pipeline.registers.files import has_register_files

    present = {name: paths.processed_table(name).is_file() for name in schema.REGISTER_TABLES}
    if not any(present.values()) and not has_register_files():
        return []
    missing = [name for name, found in present.items() if not found]
    if missing:
        raise PipelineError(f"Thiếu bảng sổ hộ {', '.join(missing)} ({paths.relative(paths.PROCESSED)}). "
                            "Hãy chạy `make registers` (python -m pipeline registers) trước khi kiểm tra.")
    return list(schema.REGISTER_TABLES)


def run(log: dict | None = None, partition_rows: int = PARTITION_ROWS) -> list[Path]:
    """`python -m pipeline validate`: the gate between build and reports; returns the results file and the page.

    `log` (the run log's record of the stage) gets the tables validated and the partitions of those
    read in partitions.
    """
    output = paths.processed_table(RESULTS_TABLE)
    # Gone before anything can fail (missing table, GX error, failed rule): a stale pass is never trusted.
    output.unlink(missing_ok=True)
    paths.GATE_PAGE.unlink(missing_ok=True)
    names = processed_table_names()
    runs = gate_tables({name: paths.processed_table(name) for name in names}, partition_rows)
    split = {name: run.partitions for name, run in runs.items() if run.partitions}
    if log is not None:
        log.update(validated=names, partitions=split)
    results = results_frame(runs)
    shown = paths.relative(write_page(runs, paths.GATE_PAGE))
    if not results["success"].all():
        raise ValidationFailed(format_failures(results) + f"\nTrang kiểm định (gate page): {shown}")
    atomic.write_parquet(results, output)
    in_parts = "".join(f"; {name} kiểm theo {n} phần (partitions)" for name, n in split.items())
    print(f"Great Expectations: {len(results)} kỳ vọng trên {len(names)} bảng đều đạt{in_parts}. "
          f"Trang kiểm định (gate page): {shown}")
    return [output, paths.GATE_PAGE]
