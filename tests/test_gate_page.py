"""The gate page (pipeline/gate/page.py) on a small hand-made results frame: what an auditor reads offline."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.gate import page

HOUSEHOLDS = "register_households"


def row(table: str, kind: str, column: str, success: bool, kwargs: dict, description: str, **details) -> dict:
    """One expectation as validate.py hands it over: the results table's columns and the page's details."""
    return {"table": table, "expectation_type": kind, "column": column, "success": success,
            "unexpected_count": details.pop("unexpected_count", 0), "failing_rows": details.pop("failing_rows", ""),
            "description": description, "kwargs": kwargs, "element_count": details.pop("element_count", None),
            "missing_count": details.pop("missing_count", None), "sample_rows": details.pop("sample_rows", []),
            "unexpected_values": details.pop("unexpected_values", [])}


SAMPLE = ["budget_figures.csv dòng 10 (label=<script>alert(1)</script> & co)", "budget_figures.csv dòng 11 (amount_mvnd=-5.0)"]


@pytest.fixture
def results() -> pd.DataFrame:
    rows = [
        row("budget_figures", "expect_table_columns_to_match_set", "", True, {"column_set": ["amount_mvnd", "label"]},
            "Bảng budget_figures có đúng các cột"),
        row("budget_figures", "expect_column_values_to_be_between", "amount_mvnd", False, {"column": "amount_mvnd",
            "min_value": 0.0}, "«Số tiền» không âm (≥ 0)", unexpected_count=14, element_count=40, missing_count=4,
            failing_rows="; ".join(SAMPLE) + "; … và 12 dòng khác", sample_rows=SAMPLE,
            unexpected_values=page.value_counts([-5.0, -1.0, -5.0])),
        row("budget_figures", "expect_column_values_to_match_regex", "label", True, {"column": "label", "regex": "^<[a-z]+>$"},
            "Nhãn có dạng <x>"),
        row("projects", "expect_table_columns_to_match_set", "", False, {"column_set": ["project_code"]},
            "Bảng projects có đúng các cột", failing_rows="thiếu cột: source_note; thừa cột: note"),
        row(HOUSEHOLDS, "expect_column_values_to_be_in_set", "has_anomaly", True,
            {"column": "has_anomaly", "mostly": 0.99, "value_set": [False]}, "Tỷ lệ hộ có phát hiện không quá 1 %",
            unexpected_count=3, element_count=1200, missing_count=0),
        row(HOUSEHOLDS, "expect_column_pair_values_to_be_equal", "recorded_class,expected_class", True,
            {"column_A": "recorded_class", "column_B": "expected_class",
             "row_condition": {"type": "and", "conditions": [
                 {"type": "comparison", "column": {"name": "has_anomaly"}, "operator": "==", "parameter": False},
                 {"type": "comparison", "column": {"name": "review_year"}, "operator": "IN", "parameter": [2022, 2023]}]}},
            "Phân loại ghi nhận bằng phân loại theo chuẩn"),
    ]
    return pd.DataFrame(rows)


def render(results: pd.DataFrame, synthetic: bool = False) -> str:
    return page.render(results, {"budget_figures": 40, "projects": 16, HOUSEHOLDS: 1200}, {HOUSEHOLDS: 2},
                       synthetic=synthetic, gx_version="1.0.test")


def test_a_failing_expectation_shows_its_rows_counts_and_values(results):
    html = render(results)
    section = html[html.index('id="bang-budget_figures-2"'):html.index('id="bang-budget_figures-3"')]
    assert "✘ Không đạt" in section
    assert "14 / 36 dòng không đạt (38,89 %); 4 dòng trống, không xét (missing)" in section
    for listed in SAMPLE:
        assert f"<li>{listed.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</li>" in section
    assert "… và 12 dòng khác" in section  # 14 failing, 2 listed
    assert "-5.0 × 2; -1.0 × 1" in section  # the most frequent failing value first
    # a table-level failure says what was observed; both are in the list of failures at the top
    assert "thiếu cột: source_note; thừa cột: note" in html
    top = html[:html.index('id="bang-budget_figures"')]
    assert 'href="#bang-budget_figures-2"' in top and 'href="#bang-projects-1"' in top


def test_summary_counts_come_from_the_results(results):
    html = render(results)
    failed = int((~results["success"]).sum())
    cells = [f'<td class="n">{n}</td>' for n in (results["table"].nunique(), len(results), len(results) - failed, failed)]
    assert "".join(cells) in html
    assert f"KHÔNG ĐẠT (failed)</b>: {failed} trên {len(results)} kỳ vọng" in html
    assert "1.200 <span class=\"small\">(2 phần / partitions)</span>" in html
    passing = render(results.assign(success=True))
    assert "ĐẠT (passed)</b>: cả 6 kỳ vọng trên 3 bảng đều đạt" in passing and "✘" not in passing


def test_arguments_are_readable(results):
    html = render(results)
    assert "khoảng (range): giá trị ≥ 0" in html
    assert "khớp mẫu (regex): ^&lt;[a-z]+&gt;$" in html
    assert "thuộc tập (value set): {sai (false)}<br>đạt khi ít nhất 99 % số dòng đạt (mostly 0,99)" in html
    assert ("chỉ xét dòng (row condition): (has_anomaly = sai (false) và (and) review_year ∈ {2022, 2023})") in html
    assert "3 / 1.200 dòng không đạt (0,25 %)" in html  # a `mostly` rule that held, with its count
    tiny = results.assign(element_count=[None, 40, None, None, 800_000, None], unexpected_count=[0, 14, 0, 0, 1, 0])
    assert "1 / 800.000 dòng không đạt (&lt; 0,01 %)" in render(tiny)  # one row in 800 000 is not "0,00 %"
    assert page.arguments_text({"column": "x", "min_value": 1, "max_value": 30.0, "strict_max": True,
                                "value_set": ["a", ""]}) == ["khoảng (range): 1 ≤ giá trị < 30",
                                                             "thuộc tập (value set): {a, (rỗng)}"]


def test_data_is_escaped_and_nothing_is_fetched(results):
    html = render(results)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert not re.search(r"https?:|//[a-z]|<link|<img|<iframe|src=", html, re.IGNORECASE)
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert html.count("<th scope=") == len(re.findall(r"<th[ >]", html))  # every header cell says what it heads


def test_same_results_give_the_same_bytes(results):
    assert render(results).encode("utf-8") == render(results.copy()).encode("utf-8")


def test_synthetic_registers_are_labelled_only_when_register_tables_are_shown(results):
    assert "GIẢ LẬP (synthetic)" in render(results, synthetic=True)
    assert "GIẢ LẬP" not in render(results, synthetic=False)
    plan_only = results[results["table"] != HOUSEHOLDS]
    assert "GIẢ LẬP" not in render(plan_only, synthetic=True)


def test_a_frame_without_the_page_columns_is_refused(results):
    with pytest.raises(ValueError, match="sample_rows"):
        render(results.drop(columns=["sample_rows"]))


def test_value_counts_most_frequent_first_ties_in_order_of_appearance():
    found = ["b", "a", "b", None, ("x", 1), "c", "a", float("nan")]
    assert page.value_counts(found) == [("b", 2), ("a", 2), ("trống", 2), ("(x, 1)", 1), ("c", 1)]
    assert len(page.value_counts(list(range(50)))) == page.MAX_VALUES
    assert page.value_counts([{"a": 1}]) == []
