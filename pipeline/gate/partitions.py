"""Large tables reach the gate a partition at a time, read from their parquet file with pyarrow filters.

A table whose schema.CONSTRAINTS entry names `partition_by` columns (register_households: review_year,
district_code) and that has more rows than the gate's threshold is split by the values of those
columns: the (year, district) groups, in sorted order, are packed into batches of at most that many
rows (a group larger than that is a batch of its own), and each batch is read on its own with a
filter on exactly its groups. Memory then follows the batch size, not the table's: at national size
(≈ 27 M households) no more than one batch is in memory at a time.

Every row belongs to exactly one group, null keys included, and the rows read are counted against
the file's row count: a batch that missed rows is an error, never a silently smaller check.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Batch:
    """One partition: the key groups it holds (tuples of partition_by values) and how many rows they have."""

    columns: tuple[str, ...]
    keys: tuple[tuple, ...]
    rows: int

    def label(self) -> str:
        """'review_year=2021, district_code=178…181' as the run log shows a batch."""
        first, last = self.keys[0], self.keys[-1]
        return ", ".join(f"{c}={a}" + (f"…{b}" if b != a else "") for c, a, b in zip(self.columns, first, last))


def row_count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def group_counts(path: Path, columns: tuple[str, ...]) -> list[tuple[tuple, int]]:
    """(key, rows) of every group of the partition columns, sorted by key (nulls last).

    Reads only those columns, one row group at a time, so even this pass does not hold the whole table.
    """
    file = pq.ParquetFile(path)
    counts: dict[tuple, int] = {}
    for group in range(file.metadata.num_row_groups):
        table = file.read_row_group(group, columns=list(columns))
        for row in table.group_by(list(columns)).aggregate([([], "count_all")]).to_pylist():
            key = tuple(row[c] for c in columns)
            counts[key] = counts.get(key, 0) + row["count_all"]
    return sorted(counts.items(), key=lambda group: _sort_key(group[0]))


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, value if value is not None else 0) for value in key)


def pack(groups: list[tuple[tuple, int]], max_rows: int) -> list[list[tuple[tuple, int]]]:
    """Consecutive groups packed into batches of at most max_rows rows; an oversized group is a batch alone."""
    batches: list[list[tuple[tuple, int]]] = []
    size = 0
    for group in groups:
        if not batches or size + group[1] > max_rows:
            batches.append([])
            size = 0
        batches[-1].append(group)
        size += group[1]
    return batches


def plan(path: Path, columns: tuple[str, ...], max_rows: int) -> list[Batch]:
    """The batches of a table (one batch when it has no more than max_rows rows)."""
    return [Batch(columns, tuple(key for key, _ in batch), sum(rows for _, rows in batch))
            for batch in pack(group_counts(path, columns), max_rows)]


def batch_filter(columns: tuple[str, ...], keys: tuple[tuple, ...]) -> pc.Expression:
    """The rows of exactly these key groups: for each value of the leading columns, the last column in a set.

    Nulls match only null (`is_null`), never a comparison, so a row with a null key is still read once.
    """
    *lead, last = columns
    by_lead: dict[tuple, list] = {}
    for key in keys:
        by_lead.setdefault(key[:-1], []).append(key[-1])
    alternatives = []
    for prefix, values in by_lead.items():
        condition = _in(last, values)
        for column, value in zip(lead, prefix):
            condition = _equal(column, value) & condition
        alternatives.append(condition)
    expression = alternatives[0]
    for alternative in alternatives[1:]:
        expression = expression | alternative
    return expression


def _equal(column: str, value) -> pc.Expression:
    return pc.field(column).is_null() if value is None else pc.field(column) == value


def _in(column: str, values: list) -> pc.Expression:
    present = [v for v in values if v is not None]
    expression = pc.field(column).isin(present) if present else None
    if len(present) < len(values):
        expression = pc.field(column).is_null() if expression is None else expression | pc.field(column).is_null()
    return expression


def read_batch(path: Path, batch: Batch) -> pd.DataFrame:
    """The rows of one batch, in file order; a count other than planned means the file changed under the gate."""
    table = pq.read_table(path, filters=batch_filter(batch.columns, batch.keys))
    if table.num_rows != batch.rows:
        raise PipelineError(f"{paths.relative(path)}: phần {batch.label()} có {table.num_rows} dòng, "
                            f"khác {batch.rows} dòng khi lập kế hoạch (tệp bị thay đổi trong lúc kiểm tra?).")
    return to_frame(table)


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """Some columns of the whole table; text columns dictionary-encoded, so millions of repeated names stay small."""
    schema = pq.read_schema(path)
    text = [c for c in columns if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)]
    return to_frame(pq.read_table(path, columns=columns, read_dictionary=text))


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The pandas frame of a table read for the gate (the dtypes pd.read_parquet gives), at one copy's memory.

    The arrow buffers are released column by column as they are converted, and arrow's allocator then
    returns the freed memory, so a partition's peak is about one frame, not an arrow table plus a frame.
    """
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()
    return frame


def free_memory() -> None:
    """Free what a checked partition left: GX's objects refer to each other in cycles, which only the
    garbage collector frees, and arrow's allocator keeps freed memory until asked to return it."""
    gc.collect()
    pa.default_memory_pool().release_unused()
