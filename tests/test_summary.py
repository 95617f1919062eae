"""The top of every report and the index: headline figures with status and source, verdict, sections."""
import pandas as pd
import pytest

from pipeline import schema
from pipeline.report import district_tables, report_data, report_index, summary, tables, workbook
from pipeline.report import edition as editions
from pipeline.report.edition import VI
from tests.test_report_data import SERIES, TARGETS, poverty_row, processed, with_registers, write_table  # noqa: F401

FALL_TARGETS = [
    {"year": 2022, "target_id": "K22.GN.TINH", "indicator": "Giảm tỷ lệ hộ nghèo toàn tỉnh", "value": 3.0,
     "unit": "điểm %/năm", "qualifier": "at_least", "section": "B.II.2"},
    {"year": 2022, "target_id": "K22.GN.HUYEN_NGHEO", "indicator": "Giảm tỷ lệ hộ nghèo ở các huyện nghèo",
     "value": 5.0, "unit": "điểm %/năm", "qualifier": "at_least", "section": "B.II.2"},
]


def two_reviews(folder, rates_2021, rates_2022):
    """district_poverty for 2021 and 2022: code -> poor households out of 1000 (rate = poor / 10 %)."""
    rows = []
    for year, rates in ((2021, rates_2021), (2022, rates_2022)):
        for code, poor in rates.items():
            rows.append({**poverty_row(code, poor), "review_year": year, "near_poor_hh": 2 * poor,
                         "near_poor_rate_pct": poor / 5, "af_m0": 0.0123})
    write_table(folder, "district_poverty", rows)


@pytest.fixture
def reviews(with_registers):
    two_reviews(with_registers, {"181": 250, "189": 160, "20": 410}, {"181": 200, "189": 150, "20": 350})
    write_table(with_registers, "plan_targets", TARGETS + FALL_TARGETS)
    write_table(with_registers, "poverty_series", [{**row, "source": f"Văn bản {row['series_id']}"} for row in SERIES])
    return with_registers


def test_a_district_report_leads_with_its_own_poor_household_count(reviews):
    figures = summary.headline_figures(report_data.load(2022, "181", reviews))
    assert figures[0].key == "poor" and figures[0].value.startswith("200 hộ; 20,00 %")
    assert {f.status for f in figures if f.key != "budget"} == {"synthetic"}
    assert all(f.source for f in figures)


def test_the_fall_is_judged_against_the_target_read_from_plan_targets(reviews):
    poor_district = {f.key: f for f in summary.headline_figures(report_data.load(2022, "181", reviews))}
    assert poor_district["poor_fall"].value == "5,00 điểm % (mục tiêu từ 5 điểm %/năm: đạt)"
    assert "B.II.2" in poor_district["poor_fall"].source
    other = {f.key: f for f in summary.headline_figures(report_data.load(2022, "189", reviews))}
    assert other["poor_fall"].value == "1,00 điểm % (mục tiêu từ 3 điểm %/năm: chưa đạt)"
    # The number comes from the plan's table, not from the code: a different plan gives a different verdict.
    write_table(reviews, "plan_targets", TARGETS + [{**FALL_TARGETS[0], "value": 0.5}, FALL_TARGETS[1]])
    other = {f.key: f for f in summary.headline_figures(report_data.load(2022, "189", reviews))}
    assert other["poor_fall"].value.endswith("(mục tiêu từ 0,5 điểm %/năm: đạt)")
    progress = district_tables.progress_table(report_data.load(2022, "189", reviews))
    assert progress["Mục tiêu giảm (điểm %/năm)"].iloc[1].startswith("0,50") and progress["Đánh giá"].iloc[1] == "đạt"


def test_without_a_plan_target_progress_says_so(reviews):
    write_table(reviews, "plan_targets", TARGETS)
    data = report_data.load(2022, "181", reviews)
    assert district_tables.progress_table(data)["Đánh giá"].iloc[1] == "không có mục tiêu trong kế hoạch"
    assert "chưa có kế hoạch" in district_tables.target_md(data)


def test_small_counts_are_suppressed_in_the_headline_too(with_registers):
    two_reviews(with_registers, {"181": 12, "189": 160, "20": 172}, {"181": 7, "189": 150, "20": 157})
    figures = {f.key: f for f in summary.headline_figures(report_data.load(2022, "181", with_registers))}
    assert figures["poor"].value.startswith("<10 hộ; <10 %")
    assert figures["poor_fall"].value == "<10"


def test_the_province_headline_has_the_published_rate_and_the_stated_budget(reviews):
    figures = {f.key: f for f in summary.headline_figures(report_data.load(2022, None, reviews))}
    assert figures["published_poor_rate"].value == "9,20 %" and figures["published_poor_rate"].status == "estimate"
    assert figures["budget"].value == "466.028 triệu đồng" and figures["budget"].status == "plan"
    # End of 2021: the NĐ 07 baseline (official), not the QĐ 59 plan target of the same year.
    write_table(reviews, "budget_lines", [])
    figures_2021 = {f.key: f for f in summary.headline_figures(report_data.load(2021, None, reviews))}
    assert figures_2021["published_poor_rate"].value == "12,20 %" and figures_2021["published_poor_rate"].status == "official"


def test_a_change_of_standard_is_not_read_as_a_fall(with_registers):
    two_reviews(with_registers, {"181": 250, "20": 410}, {"181": 200, "20": 350})
    frame = report_data._read("district_poverty", with_registers)
    frame.loc[frame["review_year"] == 2021, "standard"] = "qd59_2015"
    frame.to_parquet(with_registers / "district_poverty.parquet", index=False)
    figures = {f.key: f for f in summary.headline_figures(report_data.load(2022, "181", with_registers))}
    assert figures["poor_fall"].value == "đổi chuẩn nghèo: không so sánh được"


def test_district_sections_come_own_figures_first_and_match_the_headings(reviews):
    toc = summary.sections(report_data.load(2022, "181", reviews))
    assert list(toc) == ["so-lieu-huyen", "so-sanh", "ke-hoach-huyen", "chat-luong", "nguon-goc"]
    assert list(summary.sections(report_data.load(2022, None, reviews)))[:2] == ["ket-qua-giam-ngheo", "theo-huyen"]
    nav = summary.toc_html(toc, VI)
    for anchor in toc:
        assert f'href="#{anchor}"' in nav and f'id="{anchor}"' in summary.heading_html(toc, anchor)


def test_the_verdict_counts_gate_results_gaps_and_audited_households(reviews):
    write_table(reviews, "register_audit", [
        {"review_year": 2022, "district_code": "181", "commune_code": "0181001", "household_key": key * 16,
         "source_file": "registers/2022/ho_181_2022.csv", "source_row": 7, "rule": rule, "detail": "x"}
        for key, rule in (("a", "impossible_value"), ("a", "score_b_mismatch"), ("b", "duplicate_id_in_district"))])
    province = summary.quality_verdict(report_data.load(2022, None, reviews))
    assert province == ("Chất lượng dữ liệu: kiểm định GX đạt (1/1 kỳ vọng); 1 chênh lệch hoặc cảnh báo khi đối chiếu "
                        "số liệu năm 2022 của văn bản; 2 hộ vi phạm quy tắc trong sổ rà soát năm 2022.")
    assert "đối chiếu" not in summary.quality_verdict(report_data.load(2022, "189", reviews))


def test_every_audit_rule_kind_has_its_column(reviews):
    write_table(reviews, "register_audit", [
        {"review_year": 2022, "district_code": "181", "commune_code": "0181001", "household_key": f"{i:016x}",
         "source_file": "registers/2022/ho_181_2022.csv", "source_row": i, "rule": rule, "detail": "x"}
        for i, rule in enumerate(schema.AUDIT_RULES)])
    audit = district_tables.audit_table(report_data.load(2022, "181", reviews))
    assert list(audit.columns[1:]) == list(schema.AUDIT_RULES.values())


def test_the_index_shows_each_reports_headline_figures(reviews):
    entries = [report_index.entry(report_data.load(2022, code, reviews)) for code in (None, "181", "189")]
    page = report_index.render_page(2022, entries, synthetic=True)
    for entry in entries:
        assert entry["figures"]["poor"].value in page
    assert page.count('<th scope="row">') == 3 and "synthetic" in page
    assert summary.headline_columns(VI)["budget"] in page and "index.en.html" not in page


def test_the_english_index_links_english_reports_and_the_vietnamese_index(reviews):
    english = editions.EDITIONS["en"]
    entries = [report_index.entry(report_data.load(2022, code, reviews, edition="en")) for code in (None, "181")]
    page = report_index.render_page(2022, entries, synthetic=True, ed=english, other="index.html")
    assert page.startswith('<!DOCTYPE html><html lang="en">') and '<a href="index.html">' in page
    assert 'href="annual_report.en.html"' in page and 'href="districts/huyen-binh-gia.en.html"' in page
    assert summary.headline_columns(english)["budget"] in page and "Data quality: " not in page
    assert report_index.index_name(english) == "index.en.html"


def test_headline_table_names_status_and_source_of_every_figure(reviews):
    table = summary.headline_table(summary.headline_figures(report_data.load(2022, None, reviews)), VI)
    assert list(table.columns) == ["Chỉ tiêu", "Giá trị", "Loại số liệu", "Nguồn"]
    assert set(table["Loại số liệu"]) <= set(workbook.status_labels().values()) and table["Nguồn"].astype(bool).all()
    assert tables.plan_document() in " ".join(table["Nguồn"])


@pytest.mark.parametrize("fall, qualifier, met", [(3.0, "at_least", True), (2.999, "at_least", True),
                                                  (2.99, "at_least", False), (3.0, "over", False), (3.01, "over", True),
                                                  (3.0, "exact", True)])
def test_a_fall_meets_the_target_as_printed_and_as_the_plan_qualifies_it(fall, qualifier, met):
    """2,999 is printed 3,00 and meets "từ 3"; "trên 3" needs more than 3."""
    assert report_data.meets_fall_target(fall, pd.Series({"value": 3.0, "qualifier": qualifier})) is met
