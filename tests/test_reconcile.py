"""Reconciliation on small hand-written data: planted gaps are found and explained, matches stay matches."""
import math

import pandas as pd
import pytest

from pipeline.build import build_tables
from pipeline.errors import RawDataError
from pipeline.ingest import read_table
from pipeline.reconcile import budget_lines, line_value
from tests.rawfixtures import small_budget_rows, small_total_rows, write_raw, write_small_project


@pytest.fixture()
def built(tmp_path):
    write_small_project(tmp_path)
    return build_tables(tmp_path, tmp_path / "plan.txt")


def finding(findings: pd.DataFrame, finding_id: str) -> dict:
    return findings.set_index("finding_id").loc[finding_id].to_dict()


def test_planted_gap_explained_by_one_line(built):
    f = finding(built["reconciliation"], "stated_total:T2")
    assert (f["stated_value"], f["compared_value"], f["gap"], f["status"]) == (300.0, 350.0, -50.0, "gap")
    assert "Mô hình giảm nghèo" in f["explanation"] and "không được cộng" in f["explanation"]


def test_planted_gap_without_explanation(built):
    f = finding(built["reconciliation"], "stated_total:T1")
    assert (f["gap"], f["status"]) == (100.0, "gap")
    assert "Không có phần hay cặp dòng nào" in f["explanation"]


def test_consistent_totals_match(tmp_path):
    write_small_project(tmp_path)
    totals = small_total_rows()
    totals[1]["amount_mvnd"] = "350"
    write_raw(tmp_path, "budget_stated_totals", totals)
    plan = (tmp_path / "plan.txt").read_text(encoding="utf-8").replace("năm 2022: 300", "năm 2022: 350")
    (tmp_path / "plan.txt").write_text(plan, encoding="utf-8")
    f = finding(build_tables(tmp_path, tmp_path / "plan.txt")["reconciliation"], "stated_total:T2")
    assert (f["compared_value"], f["gap"], f["status"], f["explanation"]) == (350.0, 0.0, "match", "")


def test_repeated_figure_is_compared(built):
    f = finding(built["reconciliation"], "repeated:R1")
    assert (f["stated_value"], f["compared_value"], f["status"]) == (1000.0, 1000.0, "match")


def test_poor_district_scope_warns_only_for_non_poor_district(built):
    warnings = built["reconciliation"].query("check_kind == 'poor_district_scope'")
    assert list(warnings["finding_id"]) == ["scope:K1:189"]
    assert (warnings["status"] == "warning").all()


def test_rate_check_uses_count_and_total_from_the_same_source(built):
    checks = built["poverty_rate_checks"]
    assert len(checks) == 1
    row = checks.iloc[0]
    assert row["computed_rate_pct"] == pytest.approx(100 * 4643 / 199765, abs=1e-4)
    assert abs(row["diff_pp"]) < 0.01


def test_line_without_source_split_is_unknown_for_a_source_and_explains_a_gap(tmp_path):
    rows = small_budget_rows()
    rows.append({**rows[2], "line_id": "2022.DA1.DUY_TU", "parent_id": "2022.DA1", "label": "Duy tu",
                 "funding_source": "Tổng các nguồn", "capital_type": "Sự nghiệp", "amount_mvnd": "9"})
    for row in rows[2:5]:
        row.update(line_id="2022.DA1.HT", parent_id="2022.DA1")
    write_raw(tmp_path, "budget_figures", rows)
    lines = budget_lines(read_table("budget_figures", tmp_path)).set_index("line_id")
    assert line_value(lines.loc["2022.DA1.DUY_TU"], "central", "all") is None
    assert line_value(lines.loc["2022.DA1.DUY_TU"], "total", "su_nghiep") == 9.0
    assert line_value(lines.loc["2022.DA1.DUY_TU"], "total", "dtpt") == 0.0
    assert line_value(lines.loc["2022.DA1.HT"], "other", "all") == 0.0  # sources stated add up to the total
    assert line_value(lines.loc["2022.DA1.HT"], "central", "dtpt") is None  # capital type not stated


def test_undeterminable_when_capital_type_is_not_stated(tmp_path):
    write_small_project(tmp_path)
    totals = small_total_rows() + [{"year": 2022, "total_id": "T3", "node_id": "2022", "label": "Tổng ĐTPT",
                                    "funding_source": "Ngân sách trung ương", "capital_type": "Đầu tư phát triển",
                                    "amount_mvnd": "200", "section": "B.I.1"}]
    write_raw(tmp_path, "budget_stated_totals", totals)
    findings = build_tables(tmp_path, tmp_path / "plan.txt")["reconciliation"]
    f = finding(findings, "stated_total:T3")
    assert f["status"] == "undeterminable" and math.isnan(f["gap"])
    assert "không nêu loại vốn" in f["explanation"]


def test_line_described_two_ways_is_a_raw_data_error(tmp_path):
    rows = small_budget_rows()
    rows[3]["label"] = "Hạ tầng khác"
    write_raw(tmp_path, "budget_figures", rows)
    with pytest.raises(RawDataError) as err:
        budget_lines(read_table("budget_figures", tmp_path))
    assert (err.value.column, err.value.row) == ("Nội dung", 5)
    assert "dòng 4 của cùng mã" in str(err.value)


def test_unknown_same_as_reference_names_the_row(tmp_path):
    write_small_project(tmp_path)
    write_raw(tmp_path, "policy_results", [{"year": 2021, "indicator_id": "R1", "policy_area": "x", "indicator": "x",
                                            "target_group": "x", "value": "1.000", "unit": "triệu đồng",
                                            "period": "x", "section": "A.I.1", "same_as": "KHONG_CO"}])
    with pytest.raises(RawDataError, match="KHONG_CO"):
        build_tables(tmp_path, tmp_path / "plan.txt")
