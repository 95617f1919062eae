"""reports/<year>/index.html: every report of the year with its headline figures and data-quality verdict, one offline page."""
from __future__ import annotations

import html

from pipeline import atomic, paths
from pipeline.report import report_data, summary

STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1200px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tbody th{background:none;font-weight:normal}small.status{color:#666}.flag{color:#a40000}.note{background:#fff4d6;padding:8px 12px;border-left:4px solid #e0a800}"""


def entry(data: report_data.ReportData) -> dict:
    """A report's row of the index: title, relative link, its headline figures by key, its data-quality verdict.

    Made by the worker that rendered the report, from the data it already holds."""
    code = data.district.code if data.district else None
    return {"title": "Toàn tỉnh Lạng Sơn" if code is None else f"{data.district.name} ({code})",
            "href": "annual_report.html" if code is None else f"districts/{data.district.slug}.html",
            "figures": {f.key: f for f in summary.headline_figures(data)},
            "quality": summary.quality_verdict(data).removeprefix("Chất lượng dữ liệu: ")}


def render_page(year: int, entries: list[dict], synthetic: bool) -> str:
    """The index: one row per report with the same headline figures as the top of each report."""
    keys = [k for k in summary.HEADLINE_COLUMNS if any(k in e["figures"] for e in entries)]
    lines = [f"<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Báo cáo năm {year} – mục lục</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>Báo cáo Chương trình MTQG giảm nghèo bền vững – tỉnh Lạng Sơn – năm {year}</h1>"]
    if synthetic:
        lines.append("<p class=\"note\"><b>Số liệu cấp huyện là số liệu tổng hợp (synthetic), không phải số liệu chính thức.</b> "
                     "Chúng được sinh từ sổ rà soát giả lập (make sample-data) để chạy thử quy trình.</p>")
    headers = "".join(f"<th scope=\"col\">{html.escape(summary.HEADLINE_COLUMNS[k])}</th>" for k in keys)
    lines.append(f"<table><thead><tr><th scope=\"col\">Báo cáo</th>{headers}<th scope=\"col\">Chất lượng dữ liệu</th></tr>"
                 "</thead><tbody>")
    for entry in entries:
        cells = "".join(_figure_cell(entry["figures"].get(k)) for k in keys)
        lines.append(f"<tr><th scope=\"row\"><a href=\"{html.escape(entry['href'])}\">{html.escape(entry['title'])}</a></th>"
                     f"{cells}<td>{html.escape(entry['quality'])}</td></tr>")
    lines.append("</tbody></table><p class=\"legend\">Dưới mỗi số là loại số liệu; nguồn của từng số ở đầu báo cáo tương ứng. "
                 "Kiểm định chi tiết: <a href=\"../gate/index.html\">trang kiểm định dữ liệu (Great "
                 "Expectations)</a>. Mã băm của mọi tệp: <a href=\"MANIFEST.sha256\">MANIFEST.sha256</a>.</p></body></html>")
    return "\n".join(lines) + "\n"


def _figure_cell(figure) -> str:
    if figure is None:
        return "<td>–</td>"
    return (f"<td>{html.escape(figure.value)}<br><small class=\"status\">{html.escape(summary.STATUSES[figure.status].split(' – ')[0])}"
            "</small></td>")


def write(year: int, entries: list[dict]):
    """Write reports/<year>/index.html from the entries of the year's reports (province first)."""
    path = paths.report_dir(year) / "index.html"
    synthetic = (paths.RAW / "registers" / "SYNTHETIC.json").is_file()
    atomic.write_bytes(path, render_page(year, entries, synthetic).encode("utf-8"))
    print(f"Đã ghi / wrote {path.relative_to(paths.ROOT)}")
    return path
