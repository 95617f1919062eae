"""reports/<year>/index.html: every report of the year with its headline figures and data-quality verdict, one offline page.

The English edition has its own page, index.en.html; each page links to the other edition's page when that exists.
"""
from __future__ import annotations

import html

from pipeline import atomic, paths
from pipeline.report import edition as editions
from pipeline.report import report_data, summary, workbook
from pipeline.report.edition import Edition

STYLE = """body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1200px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tbody th{background:none;font-weight:normal}small.status{color:#666}.flag{color:#a40000}.note{background:#fff4d6;padding:8px 12px;border-left:4px solid #e0a800}"""


def entry(data: report_data.ReportData) -> dict:
    """A report's row of the index: title, relative link, its headline figures by key, its data-quality verdict.

    Made by the worker that rendered the report, from the data it already holds."""
    code, ed = data.district.code if data.district else None, data.edition
    return {"title": ed.t("index.province") if code is None else f"{data.district.name} ({code})",
            "href": report_data.report_href(paths.report_dir(data.year), data.year, data.district, ed.suffix),
            "figures": {f.key: f for f in summary.headline_figures(data)},
            "quality": summary.quality_verdict(data).removeprefix(summary.quality_prefix(ed))}


def render_page(year: int, entries: list[dict], synthetic: bool, ed: Edition = editions.VI, other: str = "") -> str:
    """The index: one row per report with the same headline figures as the top of each report.

    `other`: the file name of the other edition's index, linked from this one (empty: no link)."""
    columns = summary.headline_columns(ed)
    keys = [k for k in columns if any(k in e["figures"] for e in entries)]
    lines = [f"<!DOCTYPE html><html lang=\"{ed.code}\"><head><meta charset=\"utf-8\"><title>{html.escape(ed.t('index.title', year=year))}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(ed.t('index.heading', year=year))}</h1>"]
    if other:
        lines.append(f"<p class=\"edition\"><a href=\"{html.escape(other)}\">{html.escape(ed.t('index.other_edition'))}</a></p>")
    if synthetic:
        lines.append(ed.t("index.synthetic_note"))
    headers = "".join(f"<th scope=\"col\">{html.escape(columns[k])}</th>" for k in keys)
    lines.append(f"<table><thead><tr><th scope=\"col\">{html.escape(ed.t('index.report'))}</th>{headers}"
                 f"<th scope=\"col\">{html.escape(ed.t('section.quality'))}</th></tr></thead><tbody>")
    statuses = workbook.status_labels(ed)
    for entry in entries:
        cells = "".join(_figure_cell(entry["figures"].get(k), statuses) for k in keys)
        lines.append(f"<tr><th scope=\"row\"><a href=\"{html.escape(entry['href'])}\">{html.escape(entry['title'])}</a></th>"
                     f"{cells}<td>{html.escape(entry['quality'])}</td></tr>")
    lines.append(ed.t("index.legend", gate_href=report_data.gate_page_href(paths.report_dir(year))))
    return "\n".join(lines) + "\n"


def _figure_cell(figure, statuses: dict[str, str]) -> str:
    if figure is None:
        return "<td>–</td>"
    return (f"<td>{html.escape(figure.value)}<br><small class=\"status\">{html.escape(statuses[figure.status].split(' – ')[0])}"
            "</small></td>")


def index_name(ed: Edition) -> str:
    """index.html (Vietnamese) or index.<edition>.html."""
    return f"index{ed.suffix}.html"


def write(year: int, entries: list[dict], ed: Edition = editions.VI):
    """Write reports/<year>/index[.en].html from the entries of the year's reports of one edition (province first).

    When the other edition's index exists, each links to the other: the other's page is written again with its
    link (its entries are read again from data/processed, the same figures its reports show).
    """
    folder = paths.report_dir(year)
    synthetic = (paths.RAW / "registers" / "SYNTHETIC.json").is_file()
    others = [other for other in editions.EDITIONS.values() if other != ed and (folder / index_name(other)).is_file()]
    other_name = index_name(others[0]) if others else ""
    path = folder / index_name(ed)
    atomic.write_bytes(path, render_page(year, entries, synthetic, ed, other_name).encode("utf-8"))
    print(f"Đã ghi / wrote {path.relative_to(paths.ROOT)}")
    for other in others:
        page = folder / index_name(other)
        other_entries = [entry(report_data.load(year, code, edition=other.code))
                         for code in [None] + report_data.district_codes_for(year)]
        atomic.write_bytes(page, render_page(year, other_entries, synthetic, other, index_name(ed)).encode("utf-8"))
        print(f"Đã ghi / wrote {page.relative_to(paths.ROOT)}")
    return path
