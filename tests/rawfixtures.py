"""Write small hand-made raw tables (canonical names in, Vietnamese headers out) for tests."""
from __future__ import annotations

import csv
from pathlib import Path

from pipeline.schema import RAW_TABLES


def write_raw(raw_dir: Path, table: str, rows: list[dict]) -> Path:
    """One CSV for `table` with the contract's Vietnamese headers; missing optional cells stay empty."""
    spec = RAW_TABLES[table]
    raw_dir.mkdir(parents=True, exist_ok=True)
    path = raw_dir / f"{spec.file_stem}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.header for c in spec.columns])
        for row in rows:
            writer.writerow([row.get(c.name, "") for c in spec.columns])
    return path


# A two-part plan in the shape of the real one, with one planted inconsistency in each year:
# 2021: 1.500 stated, parts 1.000 + 400 (a gap no line explains);
# 2022: 300 stated, parts 300 (DA1) + 50 (DA2 TDA1) (a gap of exactly one line).
SMALL_PLAN = """KẾ HOẠCH THỬ

A. KẾT QUẢ NĂM 2021
I. NGUỒN LỰC
1. Ngân sách địa phương: 1.500 triệu đồng, trong đó:
- Hỗ trợ tiền điện: 1.000 triệu đồng;
- Rà soát hộ nghèo: 400 triệu đồng.
B. KẾ HOẠCH NĂM 2022
I. NỘI DUNG
1. Dự án 1: Hạ tầng huyện nghèo
Đầu tư 45 công trình. Kinh phí: 300 triệu đồng (trong đó vốn ngân sách Trung ương: 200 triệu đồng; vốn ngân sách địa phương 100 triệu đồng).
2. Dự án 2: Sinh kế
a) Tiểu dự án 1: Mô hình giảm nghèo
Xây dựng 06 mô hình. Kinh phí: 50 triệu đồng (trong đó vốn ngân sách Trung ương: 50 triệu đồng).
*** Tổng kinh phí đề xuất năm 2022: 300 triệu đồng
"""

L, C, T = "Ngân sách địa phương", "Ngân sách trung ương", "Tổng các nguồn"


def small_budget_rows() -> list[dict]:
    def fig(year, line_id, project, sub, label, source, amount, section, capital="Không nêu"):
        return {"year": year, "line_id": line_id, "parent_id": line_id.rsplit(".", 1)[0], "project_code": project,
                "subproject_code": sub, "label": label, "funding_source": source, "capital_type": capital,
                "amount_mvnd": amount, "period": "thử", "section": section}
    return [
        fig(2021, "2021.DIEN", "", "", "Hỗ trợ tiền điện", L, "1.000", "A.I.1"),
        fig(2021, "2021.RA_SOAT", "", "", "Rà soát hộ nghèo", L, "400", "A.I.1"),
        fig(2022, "2022.DA1", "DA1", "", "Hạ tầng", T, "300", "B.I.1"),
        fig(2022, "2022.DA1", "DA1", "", "Hạ tầng", C, "200", "B.I.1"),
        fig(2022, "2022.DA1", "DA1", "", "Hạ tầng", L, "100", "B.I.1"),
        fig(2022, "2022.DA2.TDA1", "DA2", "TDA1", "Mô hình giảm nghèo", T, "50", "B.I.2.a"),
        fig(2022, "2022.DA2.TDA1", "DA2", "TDA1", "Mô hình giảm nghèo", C, "50", "B.I.2.a"),
    ]


def small_total_rows() -> list[dict]:
    return [
        {"year": 2021, "total_id": "T1", "node_id": "2021", "label": "Ngân sách địa phương 2021", "funding_source": L,
         "capital_type": "Tất cả", "amount_mvnd": "1.500", "section": "A.I.1"},
        {"year": 2022, "total_id": "T2", "node_id": "2022", "label": "Tổng kinh phí 2022", "funding_source": T,
         "capital_type": "Tất cả", "amount_mvnd": "300", "section": "B.I.Tổng"},
    ]


def write_small_project(raw_dir: Path) -> None:
    """Every raw table, small, consistent with SMALL_PLAN."""
    (raw_dir).mkdir(parents=True, exist_ok=True)
    (raw_dir / "plan.txt").write_text(SMALL_PLAN, encoding="utf-8")
    write_raw(raw_dir, "budget_figures", small_budget_rows())
    write_raw(raw_dir, "budget_stated_totals", small_total_rows())
    write_raw(raw_dir, "districts", [
        {"district_code": "181", "district_name": "Huyện Bình Gia", "district_type": "huyện", "poor_2016_2020": "Có",
         "poor_2021_2025": "Có", "n_communes": 18, "n_towns": 1, "n_wards": 0, "source_codes": "thử", "source_poor_flags": "thử"},
        {"district_code": "189", "district_name": "Huyện Đình Lập", "district_type": "huyện", "poor_2016_2020": "Có",
         "poor_2021_2025": "Không", "n_communes": 10, "n_towns": 2, "n_wards": 0, "source_codes": "thử", "source_poor_flags": "thử"},
    ])
    write_raw(raw_dir, "projects", [
        {"project_code": "DA1", "name": "Hạ tầng huyện nghèo", "section": "B.I.1"},
        {"project_code": "DA2", "subproject_code": "TDA1", "name": "Mô hình giảm nghèo", "section": "B.I.2.a"},
    ])
    write_raw(raw_dir, "policy_results", [
        {"year": 2021, "indicator_id": "R1", "policy_area": "Tiền điện", "indicator": "Kinh phí", "target_group": "Hộ nghèo",
         "value": "1.000", "unit": "triệu đồng", "period": "năm 2021", "section": "A.I.1", "same_as": "2021.DIEN"},
    ])
    write_raw(raw_dir, "plan_targets", [
        {"year": 2022, "target_id": "K1", "project_code": "DA1", "indicator": "Công trình", "value": "45", "unit": "công trình",
         "district_codes": "181;189", "section": "B.I.1"},
        {"year": 2022, "target_id": "K2", "project_code": "DA2", "subproject_code": "TDA1", "indicator": "Mô hình",
         "value": "06", "unit": "mô hình", "section": "B.I.2.a"},
    ])
    write_raw(raw_dir, "poverty_series", [
        {"series_id": "P1", "year": 2025, "standard": "NĐ 07/2021/NĐ-CP", "indicator": "Số hộ nghèo", "value": "4.643",
         "unit": "hộ", "value_kind": "Chính thức", "source": "QĐ thử", "confidence": "H"},
        {"series_id": "P2", "year": 2025, "standard": "NĐ 07/2021/NĐ-CP", "indicator": "Tỷ lệ hộ nghèo", "value": "2,32",
         "unit": "%", "value_kind": "Chính thức", "source": "QĐ thử", "confidence": "H"},
        {"series_id": "P3", "year": 2025, "standard": "NĐ 07/2021/NĐ-CP", "indicator": "Tổng số hộ", "value": "199.765",
         "unit": "hộ", "value_kind": "Chính thức", "source": "QĐ thử", "confidence": "H"},
    ])
