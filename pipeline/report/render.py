"""Render the annual report: papermill executes notebooks/annual_report.ipynb, nbconvert makes HTML.

Outputs (written atomically, same bytes for the same inputs and code):
  reports/<year>/annual_report.{html,ipynb,xlsx}            province report
  reports/<year>/districts/<slug>.{html,ipynb,xlsx}          district report
The English edition (edition="en", make … EDITION=en) writes the same files with ".en" before the extension
(annual_report.en.html, districts/<slug>.en.xlsx, …), beside the Vietnamese ones.
The executed notebook is kept as the record of the run (its parameters are in it); the HTML shows
no code; the XLSX (pipeline.report.workbook) has one sheet per report table, the same cells as the HTML as
numbers. Nothing here reads the clock: a date, if any, comes from SOURCE_DATE_EPOCH.
"""
from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline import atomic, manifest, paths
from pipeline.report import edition as editions
from pipeline.report import report_data, tables, workbook
from pipeline.errors import PipelineError

NOTEBOOK_NAME = "annual_report"
OUTPUT_SUFFIXES = (".html", ".ipynb", ".xlsx")  # beside each report: HTML, executed notebook, workbook
CODE_DIR = Path(__file__).resolve().parent.parent  # the git checkout of the code (code_commit)
# Template: the report's own page (nbconvert's "base" blocks): its language, its title, a small stylesheet for
# screen and print, and the outputs only: no code, prompts, script or URL, alt text on every chart.
TEMPLATE = r"""{%- extends 'display_priority.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="{{ resources.metadata.lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ resources.metadata.name | escape_html }}</title>
<style>
html { font-family: "Segoe UI", "Noto Sans", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
  font-size: 16px; line-height: 1.5; color: #1b1b1b; background: #fff; }
body { margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.3; margin: 1rem 0; }
h2 { font-size: 1.3rem; line-height: 1.3; margin: 2.2rem 0 .8rem; padding-bottom: .2rem; border-bottom: 2px solid #1f5f99; }
h3 { font-size: 1.05rem; line-height: 1.3; margin: 1.6rem 0 .6rem; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
p, ul { margin: 0 0 .8rem; }
a { color: #1f5f99; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .9em; background: #f2f4f7; padding: 0 .2em; }
.table-wrap { overflow-x: auto; margin: 0 0 1.2rem; }
.table-wrap:focus-visible { outline: 2px solid #1f5f99; }
table { border-collapse: collapse; font-size: .82rem; line-height: 1.35; }
th, td { border: 1px solid #c5cbd3; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e6ecf3; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f5f7fa; }
tbody tr.highlight { background: #fde2e1; }
tr.strong { font-weight: bold; }
.num { text-align: right; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
img { display: block; max-width: 100%; height: auto; margin: .4rem 0 1.6rem; }
pre { white-space: pre-wrap; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  html { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.5pt; }
  th, td { padding: 2px 3px; min-width: 4.2em; overflow-wrap: anywhere; }
  thead { display: table-header-group; }
  tr, img { break-inside: avoid; page-break-inside: avoid; }
}
</style>
</head>
<body>
<main>
{% endblock header -%}
{%- block footer -%}
</main>
</body>
</html>
{% endblock footer -%}
{%- block markdowncell -%}{{ cell.source | markdown2html }}
{% endblock markdowncell -%}
{%- block execute_result -%}{%- block data_priority scoped -%}{{ super() }}{%- endblock data_priority -%}{%- endblock execute_result -%}
{%- block stream_stdout -%}<pre>{{ output.text | escape_html }}</pre>
{% endblock stream_stdout -%}
{%- block data_markdown -%}{{ output.data['text/markdown'] | markdown2html }}
{% endblock data_markdown -%}
{%- block data_html -%}{{ output.data['text/html'] }}
{% endblock data_html -%}
{%- block data_png -%}
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.metadata.get('image/png', {}).get('alt', '') | escape_html }}">
{% endblock data_png -%}
{%- block data_text -%}<pre>{{ output.data['text/plain'] | escape_html }}</pre>
{% endblock data_text -%}
"""
_URL = re.compile(r"https?://")
_SCRIPT = re.compile(r"<script", re.IGNORECASE)
_IMG = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r'\salt="[^"]*\S[^"]*"')  # a non-empty alt attribute


def run(year: object, district: object = None, update_manifest: bool = True, edition: object = None) -> list[Path]:
    """Execute the report's notebook and write HTML, executed notebook, XLSX and the run record.

    The workbook holds the very tables the notebook showed. Returns the files written.
    update_manifest=False leaves the year's MANIFEST.sha256 to the caller (run_all writes it once, after
    every worker has finished, so two workers never race on it). edition: "vi" (default) or "en".
    """
    return _render(year, district, update_manifest, edition)[0]


def _render(year: object, district: object, update_manifest: bool, edition: object = None):
    """run(), also returning the report's data (run_all's workers make the report's index entry from it)."""
    ed = editions.get(edition)
    year, code = report_data.check_params(year, district)
    commit = code_commit()
    notebook, namespace = _execute(year, code, commit, ed)
    data = namespace["data"]
    stem = report_data.report_stem(data.year, data.district, data.edition.suffix)
    contents = (to_html(notebook, tables.report_title(data), ed).encode("utf-8"), _notebook_bytes(notebook),
                workbook.workbook_bytes(namespace["shown_tables"], data.synthetic_registers, ed=ed))
    written = []
    for suffix, content in zip(OUTPUT_SUFFIXES, contents):
        path = stem.with_name(stem.name + suffix)
        atomic.write_bytes(path, content)
        print(f"Đã ghi / wrote {path.relative_to(paths.ROOT)} ({len(content):,} bytes)".replace(",", "."))
        written.append(path)
    register_files = dict(zip(data.register_inputs["file"], data.register_inputs["sha256"]))
    inputs = manifest.run_inputs({"year": year, "district": code, "edition": ed.code}, commit, register_files)
    record = manifest.write_run_record(stem, inputs, notebook, written)
    print(f"Đã ghi / wrote {record.relative_to(paths.ROOT)}")
    written.append(record)
    if update_manifest:
        listing = manifest.write_manifest(year)
        print(f"Đã ghi / wrote {listing.relative_to(paths.ROOT)}")
        written.append(listing)
    return written, data


def run_all(year: object, jobs: int = 2, edition: object = None) -> list[Path]:
    """The province report and every district report of the year, then the index page and the manifest.

    The reports are rendered by `jobs` worker processes forked after the notebook's modules are imported,
    so a worker renders report after report without importing or starting anything again.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import openpyxl  # noqa: F401  (imported and built once, before the fork)

    from pipeline.report import charts, inprocess, report_index  # noqa: F401

    ed = editions.get(edition)
    year, _ = report_data.check_params(year, None)
    _html_exporter()
    codes = report_data.district_codes_for(year)
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("fork")) as pool:
        batches = list(pool.map(_render_one, [(year, None, ed.code)] + [(year, code, ed.code) for code in codes]))
    written = [path for batch, _ in batches for path in batch]
    written.append(report_index.write(year, [entry for _, entry in batches], ed))
    written.append(manifest.write_manifest(year))
    print(f"Đã ghi / wrote {written[-1].relative_to(paths.ROOT)}")
    print(f"Năm {year}: đã dựng {len(codes) + 1} báo cáo (1 toàn tỉnh, {len(codes)} huyện), mục lục và MANIFEST "
          f"/ rendered {len(codes) + 1} reports, the index and the manifest")
    return written


def _render_one(arguments: tuple[int, str | None, str]) -> tuple[list[Path], dict]:
    """One report in a worker: the files written and the report's row of the index."""
    from pipeline.report import report_index

    year, code, edition = arguments
    written, data = _render(year, code, update_manifest=False, edition=edition)
    return written, report_index.entry(data)


def code_commit() -> str:
    """`git rev-parse HEAD` of the code, marked when the tree has uncommitted changes; "unknown" without git.

    LANGSON_CODE_COMMIT overrides it: `make verify` rebuilds in a copy without .git and must print the
    commit recorded by the run it checks.
    """
    if os.environ.get("LANGSON_CODE_COMMIT"):
        return os.environ["LANGSON_CODE_COMMIT"]
    try:
        head = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (có thay đổi chưa commit)" if dirty else "")


def _git(*args: str) -> str:
    """Output of one git command run in the code directory."""
    done = subprocess.run(["git", *args], cwd=CODE_DIR, capture_output=True, text=True, check=True, timeout=20)
    return done.stdout.strip()


# --- execution -----------------------------------------------------------------------------------


def _execute(year: int, district: str | None, commit: str, ed: editions.Edition = editions.VI):
    """The executed notebook (papermill, in this process) and its variables.

    A failing cell keeps the executed notebook beside the report's outputs as <stem>.failed.ipynb.
    """
    import nbformat
    import papermill as pm

    from pipeline.report import inprocess

    source = paths.NOTEBOOKS / f"{NOTEBOOK_NAME}.ipynb"
    parameters = {"year": int(year), "district": district, "code_commit": commit, "edition": ed.code}
    with tempfile.TemporaryDirectory(prefix="langson-render-") as tmp:
        executed = Path(tmp) / f"{NOTEBOOK_NAME}.ipynb"
        try:
            notebook = pm.execute_notebook(
                str(source), str(executed), parameters=parameters, engine_name=inprocess.ENGINE_NAME,
                kernel_name="python3", language="python", progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, record_timing=False, cwd=str(paths.ROOT),
            )
        except pm.PapermillExecutionError as err:
            failed_data = report_data.load(year, district, edition=ed.code)
            stem = report_data.report_stem(failed_data.year, failed_data.district, ed.suffix)
            failed = stem.with_name(stem.name + ".failed.ipynb")
            if executed.exists():  # papermill writes the notebook with the error before raising
                atomic.write_bytes(failed, executed.read_bytes())
            raise PipelineError(
                f"Sổ tính báo cáo lỗi ở ô {err.exec_count}: {err.ename}: {err.evalue}. Sổ tính đã chạy được giữ ở {failed}. "
                f"/ The report notebook failed ({err.ename}); the executed notebook is kept at {failed}."
            ) from err
    return canonical(nbformat.from_dict(notebook)), inprocess.user_namespace()


def canonical(notebook):
    """The executed notebook without what changes between identical runs, and without stderr output.

    Drops papermill/nbclient timings and paths, gives the injected-parameters cell a fixed id and
    removes stderr streams (kernel noise and warnings must not reach the reader).
    """
    meta = notebook.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "exception"):
        meta.pop(key, None)
    dropped = 0
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        if cell.cell_type == "code":
            kept = [o for o in cell.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
            dropped += len(cell.outputs) - len(kept)
            cell.outputs = kept
    if dropped:
        print(f"Cảnh báo / warning: bỏ {dropped} đầu ra stderr khỏi báo cáo (xem bằng cách chạy sổ tính).", file=sys.stderr)
    return notebook


def _notebook_bytes(notebook) -> bytes:
    """The executed notebook as stable JSON text."""
    import nbformat

    return (nbformat.writes(notebook) + "\n").encode("utf-8")


# --- HTML ----------------------------------------------------------------------------------------


def to_html(notebook, title: str, ed: editions.Edition = editions.VI) -> str:
    """The report page (TEMPLATE): outputs only, the <title> is the report's title, lang the edition's; checked by _checked."""
    body, _ = _html_exporter().from_notebook_node(notebook, resources={"metadata": {"name": title, "lang": ed.code}})
    return _checked(body)


@functools.cache
def _html_exporter():
    """One exporter per process: its templates are compiled once for all the reports a worker renders."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter (Markdown filter, output priority) without its last step, a BeautifulSoup
        re-parse of the whole page that only adds alt text, which TEMPLATE writes, and tabindex to lab's divs."""

        from_notebook_node = TemplateExporter.from_notebook_node

    return ReportExporter(
        template_name="base", extra_loaders=[jinja2.DictLoader({"langson_report.html.j2": TEMPLATE})],
        template_file="langson_report.html.j2", exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True, exclude_anchor_links=True,
    )


def _checked(html: str) -> str:
    """The page, once sure it is whole offline and accessible: no http(s) URL, no script, alt text on every image."""
    problems = [f"http(s): {html[max(0, m.start() - 60): m.end() + 60]}" for m in _URL.finditer(html)]
    problems += [f"script: {m.group(0)}" for m in _SCRIPT.finditer(html)]
    problems += [f"img không có alt / without alt: {m.group(0)[:80]}…" for m in _IMG.finditer(html) if not _ALT.search(m.group(0))]
    if problems:
        raise PipelineError(
            "Báo cáo HTML phải xem được khi không có mạng, không có script, ảnh nào cũng có mô tả (alt): "
            + " | ".join(problems[:3]) + " / The HTML report has URLs, scripts or images without alt text."
        )
    return html
