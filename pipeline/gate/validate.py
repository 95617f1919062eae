"""Great Expectations gate: data/processed/<table>.parquet -> validation_results.parquet + Data Docs.

Every processed table in schema.PROCESSED_TABLES is checked against expectations/<table>.json
(suite name = table name; the JSON files are the reviewed source of truth, see
expectations/README.md), and so is every household-register table of schema.REGISTER_TABLES
(written by `python -m pipeline registers`) when data/raw/registers holds register files or
the tables are present. This is the only module that imports great_expectations, so a GX
upgrade touches one file.

The gate is strict: if any expectation fails, validation_results.parquet is deleted (a stale
pass must never be trusted) and ValidationFailed lists table, expectation, column and the
failing raw-file rows (`source_file` dòng `source_row`).

GX runs only on tables whose inputs changed: a table whose parquet, suite, gate code, library
versions and run id all match its record from an earlier passing run (pipeline/gate/records.py)
contributes that run's rows and GX result instead. The result goes back into the GX context's
store, so the Data Docs site is rendered from the same results, in the same order, as a full run.
"""
from __future__ import annotations

import os

# Before GX is imported: no analytics client, whatever GX's default is.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402

with warnings.catch_warnings():
    # GX 1.24 imports the stdlib's deprecated sre_constants; that warning is GX's, not the user's.
    warnings.filterwarnings("ignore", message="module 'sre_constants' is deprecated", category=DeprecationWarning)
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

from pipeline import atomic, paths, schema  # noqa: E402
from pipeline.gate import records as validation_records  # noqa: E402
from pipeline.errors import PipelineError, ValidationFailed  # noqa: E402

# Name of the table this module writes; it is an output of the gate, never validated itself.
RESULTS_TABLE = "validation_results"
# Columns and dtypes of the results table (one row per expectation).
RESULT_DTYPES = {
    "table": "str",
    "expectation_type": "str",
    "column": "str",
    "success": "bool",
    "unexpected_count": "int64",
    "failing_rows": "str",
    "description": "str",
}
# Provenance columns, in the order they name a raw row; a table uses those it has.
PROVENANCE_COLUMNS = ("source_file", "source_row", "source_rows")
# Failing rows listed per expectation before "… và N dòng khác".
MAX_LISTED_ROWS = 10
# Fixed run identity so Data Docs paths and contents do not change from run to run.
RUN_NAME = "validation"
DEFAULT_RUN_TIME = dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)
DATASOURCE_NAME = "processed"
DOCS_SITE_NAME = "data_docs"


# ---------------------------------------------------------------- suites (JSON <-> GX)

def suite_path(name: str) -> Path:
    """expectations/<name>.json: one name for table, parquet file and suite."""
    return paths.EXPECTATIONS / f"{name}.json"


def suite_to_json(suite: gx.ExpectationSuite) -> str:
    """Stable text of a suite: GX's random ids dropped, keys sorted, so git diffs show only real edits."""
    data = suite.to_json_dict()
    data.pop("id", None)
    for expectation in data["expectations"]:
        expectation.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save_suite(suite: gx.ExpectationSuite, path: Path) -> None:
    path.write_text(suite_to_json(suite), encoding="utf-8")


def load_suite(path: Path) -> gx.ExpectationSuite:
    """Read a suite JSON; refuse one whose expectations lack the Vietnamese description users see."""
    return gx.ExpectationSuite(**read_suite_json(path))


def read_suite_json(path: Path) -> dict:
    """The suite as a plain dict, checked: the file exists and every expectation has meta.description_vi."""
    if not path.is_file():
        raise PipelineError(f"Thiếu bộ kiểm tra {paths.relative(path)} (mỗi bảng đã xử lý cần một tệp expectations/<bảng>.json).")
    data = json.loads(path.read_text(encoding="utf-8"))
    for expectation in data.get("expectations", []):
        if not (expectation.get("meta") or {}).get("description_vi"):
            raise PipelineError(
                f"{paths.relative(path)}: kỳ vọng {expectation.get('type')} "
                f"({expectation_column(expectation.get('kwargs') or {}) or 'cả bảng'}) thiếu meta.description_vi."
            )
    return data


def expectation_column(kwargs: dict) -> str:
    """The column(s) an expectation is about, comma-joined; "" for table-level expectations."""
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ""


# ---------------------------------------------------------------- running GX

def table_columns(name: str) -> dict[str, tuple[str, str]]:
    """The data dictionary entry of a validated table: plan tables first, then register tables."""
    return {**schema.PROCESSED_TABLES, **schema.REGISTER_TABLES}[name]


def provenance_columns(name: str) -> list[str]:
    """Columns naming the raw file and line of a row (none for derived tables)."""
    columns = table_columns(name)
    return [c for c in PROVENANCE_COLUMNS if c in columns]


def run_identifier() -> RunIdentifier:
    """Fixed run id (time from SOURCE_DATE_EPOCH) so two runs give the same Data Docs tree."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return RunIdentifier(run_name=RUN_NAME, run_time=DEFAULT_RUN_TIME)
    if not epoch.isdigit():
        raise PipelineError(f"SOURCE_DATE_EPOCH={epoch!r} không phải số giây (Unix time).")
    return RunIdentifier(run_name=RUN_NAME, run_time=dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc))


def new_context():
    """Ephemeral (in-memory) context: nothing written but Data Docs, no analytics, no progress bars."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _result_format(name: str) -> dict:
    """COMPLETE results, with failing rows identified by their raw file and line where the table has them."""
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if provenance_columns(name):
        result_format["unexpected_index_column_names"] = provenance_columns(name)
    return result_format


def _batch_definition(context, name: str):
    """The whole-DataFrame batch definition of a table, created on first use in this context."""
    source = context.data_sources.all().get(DATASOURCE_NAME) or context.data_sources.add_pandas(DATASOURCE_NAME)
    if name in {asset.name for asset in source.assets}:
        return source.get_asset(name).get_batch_definition("whole")
    return source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")


def _run_table(context, name: str, df: pd.DataFrame, run_id: RunIdentifier):
    """Validate one table with its suite through its own Checkpoint; results stay in the context for Data Docs.

    One Checkpoint per table: a Checkpoint hands the same batch_parameters (hence the same
    DataFrame) and result_format to all its validation definitions, which cannot serve tables with
    different frames and provenance columns.
    """
    suite = context.suites.add(load_suite(suite_path(name)))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=_batch_definition(context, name), suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=f"{name}_gate", validation_definitions=[definition], result_format=_result_format(name))
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": df}, run_id=run_id)
    ((key, result),) = outcome.run_results.items()
    order = {expectation.id: i for i, expectation in enumerate(suite.expectations)}
    # GX lists expectations that raised first; put results back in suite order.
    return key, sorted(result.results, key=lambda r: order[r.expectation_config.id])


def expectation_successes(context, name: str, df: pd.DataFrame, positions: list[int] | None = None) -> list[bool]:
    """Pass/fail of each expectation of <name>'s suite on df (or of those at `positions`), in that order.

    A fast path for contract tests (hundreds of broken frames): boolean results only, nothing
    stored, no Data Docs. Use validate_tables for real runs.
    """
    data = read_suite_json(suite_path(name))
    chosen = range(len(data["expectations"])) if positions is None else positions
    data["expectations"] = [dict(data["expectations"][i], id=str(i)) for i in chosen]
    batch = _batch_definition(context, name).get_batch(batch_parameters={"dataframe": df})
    results = batch.validate(gx.ExpectationSuite(**data), result_format="BOOLEAN_ONLY").results
    by_position = {int(r.expectation_config.id): bool(r.success) for r in results}
    return [by_position[i] for i in chosen]


@dataclass
class TableRun:
    """One table's part of a gate run: its results rows and the GX result its Data Docs page shows.

    gx_key/gx_result are what GX's validation results store holds for the table: the Data Docs
    site is rendered from that store, so a reused table puts the same pair back.
    """

    rows: list[dict]
    gx_key: ValidationResultIdentifier
    gx_result: ExpectationSuiteValidationResult

    @property
    def passed(self) -> bool:
        return all(row["success"] for row in self.rows)


def validate_tables(tables: dict[str, pd.DataFrame], data_docs_dir: Path | None,
                    reused: dict[str, TableRun] | None = None) -> pd.DataFrame:
    """Run every table's suite and return one tidy row per expectation (see RESULT_DTYPES).

    Rows follow schema.PROCESSED_TABLES order, then schema.REGISTER_TABLES order, then suite order.
    With data_docs_dir, the Data Docs site is rebuilt there from these results (built aside, then
    swapped into place). Tables in `reused` are not run: their earlier results stand in.
    """
    return results_frame(gate_tables(tables, data_docs_dir, reused))


def gate_tables(tables: dict[str, pd.DataFrame], data_docs_dir: Path | None,
                reused: dict[str, TableRun] | None = None) -> dict[str, TableRun]:
    """validate_tables, keeping each table's GX result (run() records the passing ones for next time)."""
    reused = reused or {}
    known = [*schema.PROCESSED_TABLES, *schema.REGISTER_TABLES]
    unknown = sorted((set(tables) | set(reused)) - set(known))
    if unknown:
        raise PipelineError(f"Không có bộ kiểm tra cho bảng: {', '.join(unknown)} "
                            "(không có trong schema.PROCESSED_TABLES hay schema.REGISTER_TABLES).")
    runs: dict[str, TableRun] = {}
    with utc_local_time():
        context = new_context()
        run_id = run_identifier()
        # One loop in the full run's order: GX's stores list suites and results in insertion order,
        # and so does the Data Docs index.
        for name in known:
            if name in reused:
                runs[name] = _replay_table(context, name, reused[name])
            elif name in tables:
                runs[name] = _fresh_table(context, name, tables[name], run_id)
        if data_docs_dir is not None:
            build_data_docs(context, Path(data_docs_dir))
    return runs


def results_frame(runs: dict[str, TableRun]) -> pd.DataFrame:
    rows = [row for run in runs.values() for row in run.rows]
    return pd.DataFrame(rows, columns=list(RESULT_DTYPES)).astype(RESULT_DTYPES)


def _fresh_table(context, name: str, df: pd.DataFrame, run_id: RunIdentifier) -> TableRun:
    df = df.reset_index(drop=True)  # index = row position, used for derived tables
    key, results = _run_table(context, name, df, run_id)
    rows = [_result_row(name, df, result) for result in results]
    return TableRun(rows, key, context.validation_results_store.get(key))


def _replay_table(context, name: str, earlier: TableRun) -> TableRun:
    """Put a table's earlier result where a run would have: its suite (for its page), its stored result."""
    context.suites.add(load_suite(suite_path(name)))
    context.validation_results_store.set(earlier.gx_key, earlier.gx_result)
    return earlier


@contextmanager
def utc_local_time():
    """The process's local time zone is UTC while GX runs, then put back.

    GX shows run times in the machine's local zone (RunIdentifierSchema.set_run_time_tz(None),
    tzlocal in the Data Docs index; validation pages even label that local time "Z"), so without
    this the Data Docs bytes depend on TZ. tzlocal's cache is left at UTC afterwards: only GX reads
    it, and GX runs inside this block (reloading it for a TZ tzlocal cannot parse would raise).
    """
    import tzlocal

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    tzlocal.reload_localzone()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


# ---------------------------------------------------------------- results -> tidy rows

def _result_row(name: str, df: pd.DataFrame, result) -> dict:
    config = result.expectation_config
    details = result.result or {}
    return {
        "table": name,
        "expectation_type": config.type,
        "column": expectation_column(config.kwargs),
        "success": bool(result.success),
        "unexpected_count": int(details.get("unexpected_count") or 0),
        "failing_rows": "" if result.success else _describe_failure(name, df, config.kwargs, result),
        "description": (config.meta or {}).get("description_vi", ""),
    }


def _describe_failure(name: str, df: pd.DataFrame, kwargs: dict, result) -> str:
    """What the user needs to find the problem: failing raw rows, or what GX observed for table-level rules."""
    exception = result.exception_info or {}
    if exception.get("raised_exception"):
        message = str(exception.get("exception_message") or "").strip().splitlines()
        return "lỗi khi kiểm tra: " + (message[0] if message else "không rõ")
    details = result.result or {}
    if "unexpected_index_list" in details:
        columns = [c for c in expectation_column(kwargs).split(",") if c]
        entries = [_describe_row(name, df, columns, item) for item in details["unexpected_index_list"]]
        return _cap(entries)
    return _describe_observed(details)


def _describe_row(name: str, df: pd.DataFrame, columns: list[str], item: Any) -> str:
    """'budget_figures.csv dòng 12 (amount_mvnd=-5.0)'.

    Derived tables have no raw line: 'hàng 3 (finding_id=…, status=ok)', the 1-based position
    plus the table's first column, which names the row (finding_id, file, table, …).
    """
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


def _value_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "trống"
    return str(value)


def _cap(entries: list[str]) -> str:
    shown = "; ".join(entries[:MAX_LISTED_ROWS])
    extra = len(entries) - MAX_LISTED_ROWS
    return shown + (f"; … và {extra} dòng khác" if extra > 0 else "")


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


# ---------------------------------------------------------------- Data Docs

# Run-to-run noise in GX's HTML (stack.md §5): cache busters, uuid4 ids, a "now" timestamp.
_CACHE_BUSTER = re.compile(r"\?d=\d{8}T\d{6}\.\d{6}Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NOW_SPAN = re.compile(r">\s*\d{8}T\d{6}\.\d{6}Z\s*<")


def normalise_html(html: str) -> str:
    """Make a Data Docs page depend only on its inputs: drop cache busters, renumber uuids, blank 'now'."""
    html = _CACHE_BUSTER.sub("", html)
    html = _NOW_SPAN.sub("><", html)
    numbers: dict[str, str] = {}
    return _UUID.sub(lambda m: numbers.setdefault(m.group(0), f"id-{len(numbers) + 1:04d}"), html)


def build_data_docs(context, target: Path) -> None:
    """Render the site into a sibling temp folder, then swap it in: a crash never leaves half a tree."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        context.add_data_docs_site(
            DOCS_SITE_NAME,
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        context.build_data_docs(site_names=[DOCS_SITE_NAME])
        for page in sorted(staging.rglob("*.html")):
            page.write_text(normalise_html(page.read_text(encoding="utf-8")), encoding="utf-8")
        staging.chmod(0o755)
        _swap_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_leftovers(target: Path) -> None:
    """Staging/old folders of a run that was killed (SIGKILL leaves no chance to clean up): hidden, but not kept."""
    for kind in ("new", "old"):
        for stale in sorted(target.parent.glob(f".{target.name}-{kind}-*")):
            shutil.rmtree(stale, ignore_errors=True)


def _swap_directory(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
    os.replace(target, old / target.name)
    os.replace(new, target)
    shutil.rmtree(old)


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


def run(log: dict | None = None) -> Path:
    """`python -m pipeline validate`: the gate between build and reports; returns the results file.

    `log` (the run log's record of the stage) gets the names of the tables validated and reused.
    """
    output = paths.processed_table(RESULTS_TABLE)
    # Gone before anything can fail (missing table, GX error, failed rule): a stale pass is never trusted.
    output.unlink(missing_ok=True)
    names = processed_table_names()
    tables, reused, fingerprints = _tables_to_validate(names)
    print(f"Great Expectations: kiểm định {len(tables)} bảng, dùng lại kết quả {len(reused)} bảng "
          f"(validated {len(tables)}, reused {len(reused)}).")
    if log is not None:
        log.update(validated=list(tables), reused=list(reused))
    runs = gate_tables(tables, paths.DATA_DOCS, reused)
    _update_records({name: runs[name] for name in tables}, fingerprints)
    results = results_frame(runs)
    docs_index = paths.relative(paths.DATA_DOCS / "index.html")
    if not results["success"].all():
        raise ValidationFailed(format_failures(results) + f"\nData Docs: {docs_index}")
    atomic.write_parquet(results, output)
    print(f"Great Expectations: {len(results)} kỳ vọng trên {len(names)} bảng đều đạt. Data Docs: {docs_index}")
    return output


def _tables_to_validate(names: list[str]) -> tuple[dict[str, pd.DataFrame], dict[str, TableRun], dict[str, dict]]:
    """Split the tables into those GX must run (read) and those whose record stands in (not even read).

    Each parquet file is read once, as bytes: the hash in the record and the frame GX checks come
    from the same bytes, even if the file is replaced meanwhile.
    """
    code = validation_records.code_fingerprint()
    run = "/".join(run_identifier().to_tuple())
    tables: dict[str, pd.DataFrame] = {}
    reused: dict[str, TableRun] = {}
    fingerprints: dict[str, dict] = {}
    for name in names:
        data = paths.processed_table(name).read_bytes()
        fingerprints[name] = validation_records.fingerprint(data, suite_path(name), code, run)
        earlier = _earlier_run(name, fingerprints[name])
        if earlier is not None:
            reused[name] = earlier
        else:
            tables[name] = pd.read_parquet(io.BytesIO(data))
    return tables, reused, fingerprints


def _earlier_run(name: str, fingerprint: dict) -> TableRun | None:
    """The table's recorded passing run when its fingerprint matches and GX reads its result back, else None."""
    record = validation_records.load(name, fingerprint, list(RESULT_DTYPES))
    if record is None:
        return None
    try:
        key = ValidationResultIdentifier.from_tuple(tuple(record["gx_key"]))
        result = ExpectationSuiteValidationResultSchema().load(record["gx_result"])
    except Exception:  # noqa: BLE001 - whatever GX cannot read back, the table is simply validated again
        return None
    if result.success is not True or len(result.results) != len(record["rows"]):
        return None
    return TableRun(record["rows"], key, result)


def _update_records(runs: dict[str, TableRun], fingerprints: dict[str, dict]) -> None:
    """Record each freshly validated table that passed; forget the record of one that failed."""
    for name, table_run in runs.items():
        if table_run.passed:
            validation_records.save(name, fingerprints[name], table_run.rows, list(table_run.gx_key.to_tuple()),
                                    _store_json(table_run.gx_result))
        else:
            validation_records.discard(name)


def _store_json(result: ExpectationSuiteValidationResult) -> dict:
    """The result as GX's validation results store serialises it (through its schema), so it loads back the same."""
    return json.loads(ExpectationSuiteValidationResultSchema().dumps(result.to_json_dict()))

