"""`make pdf YEAR=…`: an A4 PDF beside every report, printed by Debian's headless Chromium (pipeline/report/pdf.py).

The PDFs are read with poppler-utils (`pdftotext -raw`, text in the order Chromium drew it, so each table cell's
lines stay together; `pdfinfo`, page sizes and link URLs), a Debian package like the browser (.ci/apt-packages).
pdftotext drops characters that lie outside the page, so a table cut at the page edge loses the text of its last
column: the test below with a too-wide table shows that it does.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline import manifest, paths
from pipeline.report import pdf
from tests import e2e
from tests.e2e import make, output

YEAR = 2022
A4_PT = (595, 842)  # 210 × 297 mm in points
WIDEST_TABLES = ("reconciliation", "raw-inputs", "budget-lines")  # last columns: Mục văn bản, SHA-256, Ghi chú
DISTRICT = "huyen-binh-gia"


def poppler(*args: str) -> str:
    """stdout of a poppler-utils program; fails (never skips) naming the apt command when it is missing."""
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} (Debian's poppler-utils) is needed to read the PDFs; {pdf.install_hint()}", pytrace=False)
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def squeezed(text: str) -> str:
    """NFC text without any whitespace: a cell's text as the PDF holds it, whatever lines it was wrapped into."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def pdf_text(path: Path) -> str:
    return squeezed(poppler("pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"))


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    info = poppler("pdfinfo", "-f", "1", "-l", "100000", str(path))
    sizes = [(float(w), float(h)) for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)]
    assert len(sizes) == int(re.search(r"^Pages: +(\d+)$", info, re.M).group(1)), info
    return sizes


def tables(html: Path) -> dict[str, list[list[str]]]:
    """Table id (without T_) -> rows -> cell texts, of every table of a report page."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return {table["id"].removeprefix("T_"): [[cell.get_text(" ") for cell in row.find_all(["th", "td"])]
                                             for row in table.find_all("tr")]
            for table in soup.find_all("table", id=True)}


def missing_last_column(html: Path, text: str) -> dict[str, list[str]]:
    """Per table: the texts of its last column that the PDF's text lacks (none when no table is cut)."""
    missing = {}
    for table_id, rows in tables(html).items():
        lost = [row[-1] for row in rows if row and squeezed(row[-1]) and squeezed(row[-1]) not in text]
        if lost:
            missing[table_id] = lost
    return missing


def streams(data: bytes):
    """The PDF's bytes and every Flate stream of it decoded (Chromium compresses page content and fonts)."""
    yield data
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            yield zlib.decompress(match.group(1))
        except zlib.error:
            pass


# ---------------------------------------------------------------- fast: which files, which manifest

def test_every_report_page_of_both_editions_is_printed_but_not_the_index(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    folder = tmp_path / "reports" / "2022"
    names = ["index.html", "index.en.html", "annual_report.html", "annual_report.en.html", "annual_report.ipynb",
             "districts/huyen-binh-gia.html", "districts/huyen-binh-gia.en.html", "districts/huyen-binh-gia.xlsx"]
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x", encoding="utf-8")
    pages = pdf.report_pages(2022)
    assert [p.relative_to(folder).as_posix() for p in pages] == [
        "annual_report.en.html", "annual_report.html", "districts/huyen-binh-gia.en.html", "districts/huyen-binh-gia.html"]
    assert [pdf.pdf_path(p).name for p in pages[:2]] == ["annual_report.en.pdf", "annual_report.pdf"]


def test_pdfs_are_left_out_of_the_manifest_and_listed_in_their_own_with_a_comment(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    folder = tmp_path / "reports" / "2022"
    (folder / "districts").mkdir(parents=True)
    for name in ("annual_report.html", "annual_report.pdf", "districts/huyen-binh-gia.pdf"):
        (folder / name).write_bytes(name.encode())
    listing = manifest.write_pdf_manifest(2022, [folder / "annual_report.pdf", folder / "districts/huyen-binh-gia.pdf"],
                                          "Chromium 1.2")
    assert manifest.manifest_lines(2022, tmp_path) == [f"{manifest.sha256(folder / 'annual_report.html')}  "
                                                       "reports/2022/annual_report.html"]
    text = listing.read_text(encoding="utf-8")
    assert "NOT byte-identical" in text and "Chromium 1.2" in text and text.startswith("#")
    assert manifest.read_manifest(listing) == {
        "reports/2022/annual_report.pdf": manifest.sha256(folder / "annual_report.pdf"),
        "reports/2022/districts/huyen-binh-gia.pdf": manifest.sha256(folder / "districts/huyen-binh-gia.pdf")}
    checked = subprocess.run(["sha256sum", "-c", "--strict", listing], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.count(": OK") == 2, checked


# ---------------------------------------------------------------- end to end

@pytest.mark.e2e
def test_a_table_wider_than_the_page_loses_its_last_column_in_the_pdf_text(tmp_path):
    """The check of the reports below can fail: a table that runs off the A4 page lacks its last column's text."""
    page = tmp_path / "wide.html"
    page.write_text('<!doctype html><meta charset="utf-8"><style>@page { size: A4; margin: 15mm 12mm; }</style>'
                    '<table id="T_wide" style="white-space: nowrap"><tr>' + "<td>cột giữa rất dài</td>" * 40 +
                    "<td>CuốiBảng</td></tr></table>", encoding="utf-8")
    with pdf.no_selenium_manager(tmp_path):
        driver = pdf.start_browser(tmp_path)
        try:
            (tmp_path / "wide.pdf").write_bytes(pdf.print_page(driver, page))
        finally:
            driver.quit()
    text = pdf_text(tmp_path / "wide.pdf")
    assert "cộtgiữarấtdài" in text
    assert missing_last_column(page, text) == {"wide": ["CuốiBảng"]}


@pytest.mark.e2e
def test_make_pdf_on_a_fresh_clone_renders_the_reports_first(tmp_path):
    """A dry run on a fresh clone: data, gate and the year's reports come before the printing."""
    root = e2e.copy_of_checkout(tmp_path / "project")
    dry = make(root, "-n", "pdf", f"YEAR={YEAR}")
    assert dry.returncode == 0, output(dry)
    steps = [f"-m pipeline {step}" for step in ("build", "validate", f"render-all --year '{YEAR}'", f"pdf --year '{YEAR}'")]
    where = [dry.stdout.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), output(dry)


@pytest.mark.e2e
def test_make_pdf_prints_every_report_to_a4_whole_tables_and_no_local_path(project_copy):
    """One test, so that the year is printed once (≈ 10 s) even when pytest-xdist spreads tests over workers.
    The project copy has `make reports YEAR=2022` done. (That `make verify` skips PDFs is shown by the verify
    test of tests/test_make_end_to_end.py, which already rebuilds a year.)"""
    root = project_copy
    folder = root / "reports" / str(YEAR)
    before = {p: manifest.sha256(p) for p in folder.rglob("*") if p.is_file()}

    printed = make(root, "pdf", f"YEAR={YEAR}")
    assert printed.returncode == 0, output(printed)
    assert ">>> pdf: year 2022" in printed.stdout and ">>> reports" not in printed.stdout, output(printed)
    htmls = sorted(p for p in folder.rglob("*.html") if p.name != "index.html")
    pdfs = sorted(folder.rglob("*.pdf"))
    assert len(htmls) == 12 and pdfs == sorted(pdf.pdf_path(p) for p in htmls)
    # Nothing the HTML's byte-identical promise covers was touched: manifest, run records, reports.
    assert all(manifest.sha256(p) == digest for p, digest in before.items()), "make pdf changed a file it must not"
    assert not [line for line in (folder / manifest.MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
                if line.endswith(".pdf")]
    again = make(root, "pdf", f"YEAR={YEAR}")
    assert again.returncode == 0 and ">>>" not in again.stdout, output(again)

    # The province report: the headline table whole, and the last column of every table on the page.
    province = folder / "annual_report.html"
    text = pdf_text(pdf.pdf_path(province))
    report_tables = tables(province)
    assert next(iter(report_tables)) == "headline"
    headline = [cell for row in report_tables["headline"] for cell in row if squeezed(cell)]
    assert len(headline) > 8 and [cell for cell in headline if squeezed(cell) not in text] == []
    assert set(WIDEST_TABLES) <= report_tables.keys()
    assert missing_last_column(province, text) == {}
    district = folder / "districts" / f"{DISTRICT}.html"
    assert missing_last_column(district, pdf_text(pdf.pdf_path(district))) == {}

    # A4 pages; the project's local path nowhere (text, link URLs, metadata, any stream).
    for path in pdfs:
        sizes = page_sizes(path)
        assert sizes and all(abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1 for w, h in sizes), (path, sizes)
        assert "URL" not in poppler("pdfinfo", "-url", str(path)).partition("\n")[2], path
        needles = (str(root).encode(), str(root.resolve()).encode(), b"file://")
        assert not [n for data in streams(path.read_bytes()) for n in needles if n in data], path

    # Derived copies: their own manifest checks with sha256sum; the run log's pdf stage lists them.
    checked = subprocess.run(["sha256sum", "-c", f"reports/{YEAR}/{manifest.PDF_MANIFEST_NAME}"], cwd=root,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.count(": OK") == 12, checked
    stage = [json.loads(line) for line in (root / "reports" / "run_log.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["stage"] == "pdf"][-1]
    assert stage["status"] == "ok" and stage["browser"].startswith("Chromium ")
    assert {r["file"] for r in stage["inputs"]} == {p.relative_to(root).as_posix() for p in htmls}
    assert {r["file"] for r in stage["outputs"]} == {p.relative_to(root).as_posix() for p in pdfs} \
        | {f"reports/{YEAR}/{manifest.PDF_MANIFEST_NAME}"}
