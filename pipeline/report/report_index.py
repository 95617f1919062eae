"""reports/<year>/index.html: every report of the year with its data-quality status, one offline page."""
from __future__ import annotations

import html

import pandas as pd

from pipeline import atomic, paths
from pipeline.report import report_data

STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.flag{color:#a40000}.note{background:#fff4d6;padding:8px 12px;border-left:4px solid #e0a800}"""


def rows(year: int) -> list[dict]:
    """One entry per report: title, relative link, data-quality text."""
    findings = report_data._read("reconciliation")
    gaps = findings[(findings["year"] == year) & findings["status"].isin(["gap", "warning"])]
    entries = [{"title": "Toàn tỉnh Lạng Sơn", "href": "annual_report.html",
                "quality": f"Kiểm định GX: đạt; {len(gaps)} chênh lệch/cảnh báo đối chiếu trong năm {year}"}]
    districts = report_data._read("districts").set_index("district_code")
    audit = _audit_counts(year)
    for code in report_data.district_codes_for(year):
        row = districts.loc[code]
        quality = "Kiểm định GX: đạt"
        if audit is not None:
            quality += f"; {audit.get(code, 0)} hộ vi phạm quy tắc trong sổ rà soát"
        entries.append({"title": f"{row['district_name']} ({code})", "href": f"districts/{row['district_slug']}.html",
                        "quality": quality})
    return entries


def _audit_counts(year: int) -> dict[str, int] | None:
    """Households with at least one broken rule, by district, when the register stage has run."""
    path = paths.processed_table("register_audit")
    if not path.is_file():
        return None
    audit = pd.read_parquet(path, columns=["review_year", "district_code", "household_key"])
    audit = audit[audit["review_year"] == year]
    return audit.groupby("district_code")["household_key"].nunique().to_dict()


def render_page(year: int, entries: list[dict], synthetic: bool) -> str:
    lines = [f"<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Báo cáo năm {year} – mục lục</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>Báo cáo Chương trình MTQG giảm nghèo bền vững – tỉnh Lạng Sơn – năm {year}</h1>"]
    if synthetic:
        lines.append("<p class=\"note\"><b>Số liệu cấp huyện là số liệu tổng hợp (synthetic), không phải số liệu chính thức.</b> "
                     "Chúng được sinh từ sổ rà soát giả lập (make sample-data) để chạy thử quy trình.</p>")
    lines.append("<table><thead><tr><th>Báo cáo</th><th>Chất lượng dữ liệu</th></tr></thead><tbody>")
    for entry in entries:
        lines.append(f"<tr><td><a href=\"{html.escape(entry['href'])}\">{html.escape(entry['title'])}</a></td>"
                     f"<td>{html.escape(entry['quality'])}</td></tr>")
    lines.append("</tbody></table><p>Kiểm định chi tiết: <a href=\"../data_docs/index.html\">Data Docs của Great "
                 "Expectations</a>. Mã băm của mọi tệp: <a href=\"MANIFEST.sha256\">MANIFEST.sha256</a>.</p></body></html>")
    return "\n".join(lines) + "\n"


def write(year: int):
    path = paths.report_dir(year) / "index.html"
    synthetic = (paths.RAW / "registers" / "SYNTHETIC.json").is_file()
    atomic.write_bytes(path, render_page(year, rows(year), synthetic).encode("utf-8"))
    print(f"Đã ghi / wrote {path.relative_to(paths.ROOT)}")
    return path
