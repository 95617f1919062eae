"""One Great Expectations expectation for all the required columns of a table: none of them is null in any row.

GX 1.x checks nulls one column at a time (expect_column_values_to_not_be_null), and every expectation
costs GX ≈ 5–10 ms of Python whatever the table's size: the per-column rules were 95 of the gate's
expectations. This multicolumn map expectation asks the same question of a list of columns, so a
generated suite has one such rule per table (a table with a single required column keeps GX's own
rule, since multicolumn expectations take two columns or more). Being a map expectation, it counts
the failing rows and, in COMPLETE format, lists them like any other.

Importing this module registers the expectation (type suites.REQUIRED) and its metric with GX;
pipeline/gate/validate.py does, before any suite is read.
"""
from __future__ import annotations

from typing import ClassVar, Literal, Tuple

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)

METRIC = "multicolumn_values.not_null"


class MulticolumnValuesNotNull(MulticolumnMapMetricProvider):
    """Per row: True when none of the columns is null (None or NaN)."""

    condition_metric_name = METRIC
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return column_list.notna().all(axis=1)


class ExpectMulticolumnValuesToNotBeNull(MulticolumnMapExpectation):  # GX's type name: suites.REQUIRED
    """Expect no null in any of the columns of column_list, in every row.

    ignore_row_if is "never": the rows with missing values are exactly what this checks.
    """

    map_metric = METRIC
    ignore_row_if: Literal["never"] = "never"
    args_keys: ClassVar[Tuple[str, ...]] = ("column_list",)

