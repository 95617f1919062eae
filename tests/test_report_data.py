"""Report layer on tiny hand-written processed tables: years, parameter checks, filtering, formatting, charts."""
import io
import math
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from pipeline import paths, schema
from pipeline.report import charts, district_tables, report_data, tables
from pipeline.tools import plain_cells
from pipeline.errors import PipelineError

DISTRICTS = [
    {"district_code": "178", "district_name": "Thành phố Lạng Sơn", "district_slug": "thanh-pho-lang-son",
     "poor_2016_2020": False, "poor_2021_2025": False},
    {"district_code": "181", "district_name": "Huyện Bình Gia", "district_slug": "huyen-binh-gia",
     "poor_2016_2020": True, "poor_2021_2025": True},
    {"district_code": "189", "district_name": "Huyện Đình Lập", "district_slug": "huyen-dinh-lap",
     "poor_2016_2020": True, "poor_2021_2025": False},
]
PROJECTS = [{"project_code": "DA1", "subproject_code": "", "name": "Hạ tầng huyện nghèo"},
            {"project_code": "DA2", "subproject_code": "", "name": "Đa dạng hóa sinh kế"}]
LINES = [
    # Project DA1: one line split by source, one line with a total only (like the plan's 9.000 for maintenance).
    {"year": 2022, "line_id": "2022.DA1.HT", "parent_id": "2022.DA1", "project_code": "DA1", "label": "Hạ tầng",
     "capital_type": "unstated", "total_mvnd": 156228.0, "central_mvnd": 127710.0, "local_mvnd": 27218.0,
     "other_mvnd": 1300.0, "sources_sum_mvnd": 156228.0},
    {"year": 2022, "line_id": "2022.DA1.DTBD", "parent_id": "2022.DA1", "project_code": "DA1", "label": "Duy tu",
     "capital_type": "su_nghiep", "total_mvnd": 9000.0},
    {"year": 2022, "line_id": "2022.DA2", "parent_id": "2022", "project_code": "DA2", "label": "Sinh kế",
     "capital_type": "unstated", "total_mvnd": 47500.0, "central_mvnd": 40000.0, "local_mvnd": 6000.0,
     "other_mvnd": 1500.0, "sources_sum_mvnd": 47500.0},
    # 2021: local budget only, two district lines under one node.
    {"year": 2021, "line_id": "2021.30A.189", "parent_id": "2021.30A", "label": "30a: huyện Đình Lập",
     "district_code": "189", "capital_type": "dtpt", "local_mvnd": 20000.0, "sources_sum_mvnd": 20000.0},
    {"year": 2021, "line_id": "2021.30A.181", "parent_id": "2021.30A", "label": "30a: huyện Bình Gia",
     "district_code": "181", "capital_type": "dtpt", "local_mvnd": 20000.0, "sources_sum_mvnd": 20000.0},
]
TOTALS = [
    {"year": 2022, "total_id": "T1", "node_id": "2022", "label": "Tổng 2022", "funding_source": "total",
     "capital_type": "all", "amount_mvnd": 466028.0},
    {"year": 2022, "total_id": "T2", "node_id": "2022", "label": "Tổng 2022", "funding_source": "central",
     "capital_type": "dtpt", "amount_mvnd": 228860.0},
    {"year": 2022, "total_id": "T3", "node_id": "2022", "label": "Tổng 2022", "funding_source": "central",
     "capital_type": "su_nghiep", "amount_mvnd": 172850.0},
    {"year": 2022, "total_id": "T4", "node_id": "2022", "label": "Tổng 2022", "funding_source": "central",
     "capital_type": "all", "amount_mvnd": 401710.0},
    {"year": 2022, "total_id": "T5", "node_id": "2022", "label": "Tổng 2022", "funding_source": "other",
     "capital_type": "dtpt", "amount_mvnd": 0.0},
    {"year": 2022, "total_id": "T6", "node_id": "2022", "label": "Tổng 2022", "funding_source": "other",
     "capital_type": "su_nghiep", "amount_mvnd": 9780.0},
    {"year": 2021, "total_id": "T7", "node_id": "2021.30A", "label": "Vốn 30a", "funding_source": "local",
     "capital_type": "all", "amount_mvnd": 40000.0},
]
POLICY = [
    {"year": 2021, "indicator_id": "R.HO", "policy_area": "Tín dụng ưu đãi", "indicator": "Số hộ được vay vốn",
     "target_group": "Hộ nghèo", "value": 15728.0, "unit": "hộ", "qualifier": "exact", "period": "9 tháng"},
    {"year": 2021, "indicator_id": "R.TIEN", "policy_area": "Tín dụng ưu đãi", "indicator": "Doanh số cho vay",
     "target_group": "Hộ nghèo", "value": 768713.0, "unit": "triệu đồng", "qualifier": "exact", "period": "9 tháng"},
    {"year": 2021, "indicator_id": "R.GD", "policy_area": "Giáo dục", "indicator": "Kinh phí hỗ trợ giáo dục",
     "target_group": "Học sinh nghèo", "value": 35000.0, "unit": "triệu đồng", "qualifier": "over", "period": "9 tháng"},
]
TARGETS = [
    {"year": 2022, "target_id": "K.GN", "indicator": "Giảm tỷ lệ hộ nghèo", "value": 3.0, "unit": "điểm %/năm",
     "qualifier": "at_least"},
    {"year": 2022, "target_id": "K.DA1", "project_code": "DA1", "indicator": "Công trình", "value": 45.0,
     "unit": "công trình", "qualifier": "exact", "district_codes": "189;181;184"},
    {"year": 2022, "target_id": "K.DA2", "project_code": "DA2", "indicator": "Mô hình", "value": 40.0,
     "unit": "mô hình", "qualifier": "exact"},
]
SERIES = [
    {"series_id": "A", "year": 2015, "standard": "qd59_2015", "indicator": "poor_rate_pct", "value": 25.95, "unit": "%",
     "value_kind": "official"},
    {"series_id": "B", "year": 2020, "standard": "qd59_2015", "indicator": "poor_rate_pct", "value": 7.88, "unit": "%",
     "value_kind": "official"},
    {"series_id": "B2", "year": 2020, "standard": "qd59_2015", "indicator": "poor_rate_pct", "value": 7.88, "unit": "%",
     "value_kind": "official", "same_as": "B"},
    {"series_id": "C", "year": 2021, "standard": "qd59_2015", "indicator": "poor_rate_pct", "value": 5.88, "unit": "%",
     "value_kind": "target"},
    {"series_id": "D", "year": 2021, "standard": "nd07_2021", "indicator": "poor_rate_pct", "value": 12.2, "unit": "%",
     "value_kind": "official"},
    {"series_id": "E", "year": 2022, "standard": "nd07_2021", "indicator": "poor_rate_pct", "value": 9.2, "unit": "%",
     "value_kind": "estimate"},
    {"series_id": "F", "year": 2021, "standard": "nd07_2021", "indicator": "near_poor_rate_pct", "value": 12.06,
     "unit": "%", "value_kind": "official"},
]
RECONCILIATION = [
    {"finding_id": "x1", "year": 2022, "check_kind": "stated_total_vs_lines", "subject": "Tổng 2022 — tổng các nguồn",
     "unit": "triệu đồng", "stated_value": 466028.0, "compared_value": 476028.0, "gap": -10000.0, "status": "gap",
     "explanation": "Thiếu một dòng"},
    {"finding_id": "x2", "year": 2022, "check_kind": "stated_total_vs_lines", "subject": "ĐTPT", "unit": "triệu đồng",
     "stated_value": 228860.0, "status": "undeterminable", "explanation": "Không nêu loại vốn"},
    {"finding_id": "x3", "year": 2022, "check_kind": "stated_total_vs_lines", "subject": "DA1", "unit": "triệu đồng",
     "stated_value": 165228.0, "compared_value": 165228.0, "gap": 0.0, "status": "match"},
    {"finding_id": "x4", "year": 2021, "check_kind": "repeated_figure", "subject": "Tiền điện", "unit": "triệu đồng",
     "stated_value": 11233.0, "compared_value": 11443.0, "gap": -210.0, "status": "gap"},
]
DEFAULTS = {"str": "", "int64": 0, "float64": math.nan, "bool": False}


def write_table(folder, name, rows):
    """A processed table with exactly the schema's columns and dtypes (unlisted columns get neutral values)."""
    columns = {**schema.PROCESSED_TABLES, **schema.GATE_TABLES, **schema.REGISTER_TABLES}[name]
    frame = pd.DataFrame([{c: row.get(c, DEFAULTS[dtype]) for c, (dtype, _) in columns.items()} for row in rows],
                         columns=list(columns))
    frame.astype({c: dtype for c, (dtype, _) in columns.items()}).to_parquet(folder / f"{name}.parquet", index=False)


@pytest.fixture
def processed(tmp_path):
    """A processed directory with every table a report needs, as the build and the GX gate leave it."""
    folder = tmp_path / "data" / "processed"
    folder.mkdir(parents=True)
    for name, rows in [("districts", DISTRICTS), ("projects", PROJECTS), ("budget_lines", LINES),
                       ("budget_stated_totals", TOTALS), ("policy_results", POLICY), ("plan_targets", TARGETS),
                       ("poverty_series", SERIES), ("reconciliation", RECONCILIATION),
                       ("transcription_check", [{"table": "plan_document", "document_amounts": 2, "document_amounts_covered": 2}]),
                       ("raw_inputs", [{"file": "a.csv", "sha256": "0" * 64, "bytes": 1}]),
                       ("validation_results", [{"table": "districts", "expectation_type": "x", "success": True}])]:
        write_table(folder, name, rows)
    return folder


# --- years and parameters ------------------------------------------------------------------------


def test_available_years_come_from_budget_policy_and_target_tables(processed):
    assert report_data.available_years(processed) == [2021, 2022]  # not the poverty series' 2015–2022


def test_available_years_default_to_the_project_processed_dir(processed, monkeypatch):
    monkeypatch.setattr(paths, "PROCESSED", processed)
    assert report_data.available_years() == [2021, 2022]


def test_no_processed_data_says_to_run_make_data(tmp_path):
    with pytest.raises(PipelineError, match="make data"):
        report_data.available_years(tmp_path)


def test_unknown_year_lists_the_valid_years_in_vietnamese_and_english(processed):
    with pytest.raises(PipelineError) as caught:
        report_data.check_params(2023, None, processed)
    message = str(caught.value)
    assert "Không có dữ liệu cho năm 2023. Các năm có dữ liệu: 2021, 2022" in message
    assert "No data for year 2023" in message


@pytest.mark.parametrize("year", ["abc", "2022.0", "", True, 2022.5, None])
def test_a_year_that_is_not_an_integer_is_refused_with_the_valid_years(processed, year):
    with pytest.raises(PipelineError, match="không phải là một số nguyên.*2021, 2022"):
        report_data.check_params(year, None, processed)


def test_year_as_text_or_int_is_accepted(processed):
    assert report_data.check_params("2022", None, processed) == (2022, None)
    assert report_data.check_params(" 2021 ", "", processed) == (2021, None)


@pytest.mark.parametrize("value", ["189", 189, "huyen-dinh-lap", "HUYEN-DINH-LAP", "dinh-lap", "Đình Lập", "Huyện Đình Lập",
                                   unicodedata.normalize("NFD", "Huyện Đình Lập")])
def test_district_resolves_from_code_slug_or_name(processed, value):
    assert report_data.resolve_district(value, processed) == "189"


def test_no_district_resolves_to_none(processed):
    assert report_data.resolve_district(None, processed) is None
    assert report_data.resolve_district("  ", processed) is None


def test_unknown_district_lists_code_name_and_slug_of_every_valid_one(processed):
    with pytest.raises(PipelineError) as caught:
        report_data.check_params(2022, "179", processed)
    message = str(caught.value)
    assert "«179»" in message and "unknown district" in message
    for row in DISTRICTS:
        assert f"{row['district_code']} – {row['district_name']} – {row['district_slug']}" in message


# --- loading -------------------------------------------------------------------------------------


def test_load_filters_the_year_but_keeps_every_finding_report_year_first(processed):
    data = report_data.load("2022", processed=processed)
    assert data.year == 2022 and data.district is None
    assert list(data.budget_lines["line_id"]) == ["2022.DA1.HT", "2022.DA1.DTBD", "2022.DA2"]
    assert list(data.reconciliation["finding_id"]) == ["x1", "x2", "x3", "x4"]
    assert list(report_data.load(2021, processed=processed).reconciliation["finding_id"]) == ["x4", "x1", "x2", "x3"]
    assert len(data.poverty_series) == len(SERIES)  # the trend keeps every year
    assert data.gate_page_href == "../gate/index.html"


def test_no_report_without_the_gate_having_passed(processed):
    (processed / "validation_results.parquet").unlink()
    with pytest.raises(PipelineError, match="make validate"):
        report_data.load(2022, processed=processed)


def test_load_for_a_district_keeps_only_its_lines_and_targets(processed):
    data = report_data.load(2021, "huyen-dinh-lap", processed)
    assert data.district.code == "189" and data.district.poor_2016_2020 and not data.district.poor_2021_2025
    assert list(data.budget_lines["line_id"]) == ["2021.30A.189"]
    assert data.plan_targets.empty
    assert data.gate_page_href == "../../gate/index.html"
    assert list(report_data.load(2022, "181", processed).plan_targets["target_id"]) == ["K.DA1"]
    assert report_data.load(2022, "178", processed).budget_lines.empty


# --- numbers and tables --------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [(466028.0, "466.028"), (0.0, "0"), (3.01, "3,01"), (1618420, "1.618.420"),
                                         (-10000.0, "-10.000"), (math.nan, "–"), (None, "–")])
def test_numbers_are_written_the_vietnamese_way(value, text):
    assert tables.number(value) == text


def test_rates_keep_two_decimals_and_qualifiers_are_words():
    assert tables.rate(9.2) == "9,20" and tables.rate(25.95) == "25,95"
    assert tables.qualified(35000.0, "over") == "trên 35.000"
    assert tables.qualified(1000.0, "about") == "khoảng 1.000"
    assert tables.qualified(45.0, "exact") == "45"


def test_budget_table_has_every_line_and_subtotals_computed_from_lines(processed):
    data = report_data.load(2022, processed=processed)
    table = tables.budget_lines_table(data.budget_lines, data.projects, data.stated_totals, data.districts)
    total = tables.total_header()
    central = tables.source_headers()["central"]
    assert list(table["Mã dòng"]) == ["2022.DA1.HT", "2022.DA1.DTBD", "", "2022.DA2", "", ""]
    subtotal = table.iloc[2]
    assert subtotal["Nội dung"].startswith("Cộng: DA1 – Hạ tầng huyện nghèo")
    assert (subtotal[total], subtotal[central]) == ("165.228", "127.710")
    assert "9.000 triệu đồng không chia theo nguồn" in subtotal["Ghi chú"]
    assert table.iloc[1][central] == "–" and "chỉ nêu tổng" in table.iloc[1]["Ghi chú"]
    assert table.iloc[-1][total] == "212.728"
    assert list(tables.budget_subtotal_rows(table)) == [False, False, True, False, True, True]
    assert "Huyện" not in table.columns


def test_budget_table_without_projects_groups_by_node_and_names_districts(processed):
    data = report_data.load(2021, processed=processed)
    table = tables.budget_lines_table(data.budget_lines, data.projects, data.stated_totals, data.districts)
    assert "Dự án" not in table.columns
    assert list(table["Huyện"][:2]) == ["Huyện Đình Lập", "Huyện Bình Gia"]
    assert table.iloc[2]["Nội dung"] == "Cộng: Vốn 30a (tính từ các dòng)"
    assert table.iloc[0]["Ghi chú"].startswith("Văn bản không nêu tổng")


def test_capital_split_marks_computed_sums(processed):
    table = tables.capital_split_table(report_data.load(2022, processed=processed).stated_totals, 2022)
    assert list(table["Nguồn vốn"]) == ["Ngân sách trung ương", "Huy động khác", "Tổng các nguồn"]
    last = table.iloc[-1]
    assert last["Đầu tư phát triển (triệu đồng)"] == "228.860 (tính)"
    assert last["Tổng theo văn bản (triệu đồng)"] == "466.028"


def test_policy_results_keep_period_and_qualifier_and_credit_adds_groups(processed):
    data = report_data.load(2021, processed=processed)
    policy = tables.policy_results_table(data.policy_results)
    assert "trên 35.000" in list(policy["Giá trị"]) and set(policy["Kỳ số liệu"]) == {"9 tháng"}
    credit = tables.credit_table(data.policy_results)
    assert list(credit.iloc[0][["Số hộ được vay (hộ)", "Doanh số cho vay (triệu đồng)"]]) == ["15.728", "768.713"]


def test_targets_split_into_poverty_and_project_targets_with_district_names(processed):
    data = report_data.load(2022, processed=processed)
    poverty = tables.targets_table(data.plan_targets, data.districts, poverty=True)
    assert list(poverty["Giá trị (kế hoạch)"]) == ["từ 3"]
    projects = tables.targets_table(data.plan_targets, data.districts, poverty=False)
    assert projects.iloc[0]["Huyện được nêu"] == "Huyện Đình Lập, Huyện Bình Gia, 184"


def test_poverty_values_drop_repeated_statements_and_label_non_official_kinds(processed):
    data = report_data.load(2022, processed=processed)
    table = tables.poverty_series_table(data.poverty_series)
    assert len(table) == len(SERIES) - 1
    kinds = dict(zip(table["Giá trị"], table["Loại giá trị"]))
    assert kinds["7,88"] == "Chính thức"
    assert kinds["5,88"] == "Kế hoạch – không phải số chính thức"
    assert kinds["9,20"] == "Ước tính – không phải số chính thức"
    summary = tables.poverty_summary_md(data)
    assert "9,20" in summary and "ước tính – không phải số chính thức" in summary


def test_every_reconciliation_finding_is_listed_and_gaps_are_flagged(processed):
    rec = report_data.load(2022, processed=processed).reconciliation
    table = tables.reconciliation_table(rec)
    assert list(table["Năm"]) == ["2022", "2022", "2022", "2021"]
    assert list(table["Trạng thái"]) == ["⚠ Chênh lệch", "Không xác định được", "Khớp", "⚠ Chênh lệch"]
    assert list(table["Chênh lệch"]) == ["-10.000", "–", "0", "-210"]
    assert table.iloc[1]["Cộng các phần / số so sánh"] == "không xác định được"
    assert list(tables.reconciliation_flags(rec)) == [True, False, False, True]
    html = tables.to_html(table, "reconciliation", highlight=tables.reconciliation_flags(rec))
    rows = re.findall(r"<tr( class=\"highlight\")?><td>(\d{4})</td>", html)
    assert [bool(tinted) for tinted, _year in rows] == [True, False, False, True]
    assert 'id="T_reconciliation"' in html


def test_gx_summary_counts_per_table_and_lists_failures():
    results = pd.DataFrame({"table": ["a", "a", "b"], "expectation_type": ["e1", "e2", "e3"], "column": ["x", "y", ""],
                            "success": [True, False, True], "unexpected_count": [0, 2, 0],
                            "failing_rows": ["", "a.csv:3, a.csv:4", ""], "description": ["d1", "d2", "d3"]})
    summary = tables.gx_summary_table(results)
    assert summary.to_dict("records") == [{"Bảng": "a", "Số kỳ vọng": "2", "Đạt": "1", "Không đạt": "1"},
                                          {"Bảng": "b", "Số kỳ vọng": "1", "Đạt": "1", "Không đạt": "0"}]
    failures = tables.gx_failures_table(results)
    assert failures.iloc[0]["Dòng lỗi"] == "a.csv:3, a.csv:4" and len(failures) == 1
    assert "1 kỳ vọng không đạt" in tables.gx_status_md(results)


def test_provenance_date_comes_only_from_source_date_epoch(processed):
    data = report_data.load(2022, processed=processed)
    dated = tables.provenance_table(data, "abc", {"SOURCE_DATE_EPOCH": "1640995200"})
    assert dict(zip(dated["Thông tin"], dated["Giá trị"]))["Ngày tạo (theo SOURCE_DATE_EPOCH)"] == "01/01/2022"
    assert "Ngày tạo (theo SOURCE_DATE_EPOCH)" not in set(tables.provenance_table(data, "abc", {})["Thông tin"])


# --- charts --------------------------------------------------------------------------------------


def test_charts_are_figures_with_vietnamese_ticks_and_alt_text(processed):
    data = report_data.load(2022, processed=processed)
    figures = [charts.budget_by_project(data.budget_lines, data.projects, data.stated_totals, 2022),
               charts.capital_split(data.stated_totals, 2022), charts.poverty_trend(data.poverty_series, 2022)]
    for fig in figures:
        assert isinstance(fig, Figure) and fig.axes
        assert charts.alt_metadata(fig)["image/png"]["alt"].startswith("Biểu đồ")
    budget_axis = figures[0].axes[0].xaxis
    assert budget_axis.get_major_formatter()(125000, 0) == "125.000"
    assert figures[2].axes[0].yaxis.get_major_formatter()(12, 0) == "12 %"
    legend = [t.get_text() for t in figures[2].axes[0].get_legend().get_texts()]
    assert "Kế hoạch (không chính thức)" in legend and "Ước tính (không chính thức)" in legend


def test_credit_chart_and_empty_data_charts(processed):
    data = report_data.load(2021, processed=processed)
    assert charts.credit_by_group(data.policy_results).axes
    empty = charts.capital_split(data.stated_totals, 2021)  # 2021 has no ĐTPT / sự nghiệp split at the root
    assert not empty.axes[0].axison


def test_the_chart_png_is_a_palette_image_that_looks_like_the_full_colour_one_in_fewer_bytes(processed):
    """charts.PaletteCanvas against matplotlib's own PNG of the same chart (the one with the most colours)."""
    data = report_data.load(2022, processed=processed)
    palette, full = (charts.poverty_trend(data.poverty_series, 2022) for _ in range(2))
    FigureCanvasAgg(full)
    pngs = []
    for fig in (palette, full):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=charts.DPI)
        pngs.append(buffer.getvalue())
    small, large = (Image.open(io.BytesIO(png)) for png in pngs)
    assert small.mode == "P" and len(small.getcolors(charts.PNG_COLOURS)) <= charts.PNG_COLOURS and small.text == {}
    difference = np.abs(np.asarray(small.convert("RGB"), dtype=int) - np.asarray(large.convert("RGB"), dtype=int))
    assert difference.mean() < 0.5 and np.percentile(difference, 99.9) <= 16  # the same picture to the eye
    assert len(pngs[0]) < 0.6 * len(pngs[1])


def test_every_chart_has_its_description_as_alt_text_and_a_stable_palette_png_as_the_notebook_saves_it(with_registers):
    """What show_figure displays: the PNG the notebook's %config asks of the inline backend, and the alt text."""
    _, kwargs, _ = plain_cells.code_cells(paths.NOTEBOOKS / "annual_report.ipynb")

    def figures(data):
        return [charts.budget_by_project(data.budget_lines, data.projects, data.stated_totals, data.year),
                charts.capital_split(data.stated_totals, data.year), charts.credit_by_group(data.policy_results),
                charts.poverty_trend(data.poverty_series, data.year), district_tables.comparison_chart(data),
                district_tables.deprivation_chart(data)]

    province_2021, district_2022 = report_data.load(2021, None, with_registers), report_data.load(2022, "181", with_registers)
    for fig in figures(province_2021) + figures(district_2022):
        alt = charts.alt_metadata(fig)["image/png"]["alt"]
        assert re.fullmatch(r"Biểu đồ (thanh ngang|đường|cột): [^.]{30,}.*\.", alt), alt
    pngs = [print_figure(fig, "png", **kwargs) for fig in figures(district_2022)]
    assert all(Image.open(io.BytesIO(png)).mode == "P" for png in pngs)
    assert print_figure(district_tables.comparison_chart(district_2022), "png", **kwargs) == pngs[4]


def test_district_after_2024_explains_the_2025_reform(processed):
    with pytest.raises(PipelineError, match="1/7/2025"):
        report_data.check_params(2025, "181", processed)
    assert report_data.district_codes_for(2025, processed) == []
    assert report_data.district_codes_for(2022, processed) == sorted(row["district_code"] for row in DISTRICTS)


# --- what a district report reads: its own register rows only ------------------------------------


def poverty_row(code, poor):
    return {"review_year": 2022, "district_code": code, "standard": "nd07_2021", "households": 1000, "poor_hh": poor,
            "poor_rate_pct": poor / 10, "synthetic": True}


@pytest.fixture
def with_registers(processed):
    write_table(processed, "district_poverty",
                         [poverty_row("181", 200), poverty_row("189", 150), poverty_row(report_data.PROVINCE_CODE, 350)])
    write_table(processed, "register_inputs", [
        {"file": "registers/2022/ho_181_2022.csv", "kind": "register", "sha256": "1" * 64, "rows": 1000},
        {"file": "registers/2022/ho_189_2022.csv", "kind": "register", "sha256": "2" * 64, "rows": 1000},
        {"file": "registers/SYNTHETIC.json", "kind": "synthetic_manifest", "sha256": "3" * 64}])
    return processed


def test_a_district_report_holds_every_districts_figures_and_its_own_audit_findings(with_registers):
    """Its comparison with the province and the other districts is part of its own file (no iframe)."""
    write_table(with_registers, "register_audit", [
        {"review_year": 2022, "district_code": code, "commune_code": f"0{code}01", "household_key": key * 16,
         "source_file": f"registers/2022/ho_{code}_2022.csv", "source_row": 7, "rule": "impossible_value", "detail": "x"}
        for code, key in (("181", "a"), ("189", "b"))])
    district = report_data.load(2022, "181", with_registers)
    assert sorted(district.district_poverty["district_code"]) == ["181", "189", report_data.PROVINCE_CODE]
    assert list(district.register_audit["district_code"]) == ["181"]
    assert len(district.register_inputs) == 3
    assert len(report_data.load(2022, None, with_registers).register_audit) == 2
