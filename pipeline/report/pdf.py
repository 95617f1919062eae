"""`make pdf YEAR=…`: an A4 PDF copy of every report of a year, printed by Debian's headless Chromium.

Which files: every report page of reports/<year>/ (annual_report.html, districts/<slug>.html, and the English
edition *.en.html beside them when there is one), never index.html: it lists the reports, it is not one. Each
PDF is written beside its HTML under the same name (annual_report.pdf, districts/<slug>.en.pdf), atomically.

How: one browser for all files, Debian's `chromium` driven by Debian's `chromedriver` through Selenium (given
both paths, so Selenium Manager never downloads a browser), DevTools Page.printToPDF with the page's own @page
(A4 and its margins), background graphics on (flagged rows keep their tint) and no header or footer (Chromium's
prints the local file path and the date). Links to other files are unlinked before printing: in a PDF they
become absolute file:// URLs naming the folder of the machine that printed it (their text stays); links to a
heading of the same page stay, as links inside the PDF.

The PDFs are derived copies: Chromium stamps the creation time, and its version changes the bytes. They are
listed in MANIFEST.pdf.sha256 (pipeline.manifest), outside MANIFEST.sha256 and `make verify`.
"""
from __future__ import annotations

import base64
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pipeline import atomic, manifest, paths
from pipeline.errors import PipelineError

CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium`
CHROMEDRIVER = Path("/usr/bin/chromedriver")  # Debian's `chromium-driver`, the same version
APT_PACKAGES = ".ci/apt-packages"  # the Debian packages the project needs, relative to the project root
# Headless as root, with nothing the browser would fetch or sync for itself; a fresh profile is added per run.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
LISTING_PAGES = ("index",)  # reports/<year>/index.html (and any edition of it) lists the reports; not printed
PRINT_OPTIONS = {
    "preferCSSPageSize": True,  # the report's @page: A4, margins 15 mm × 12 mm
    "paperWidth": 210 / 25.4, "paperHeight": 297 / 25.4,  # A4 too, should a page have no @page size
    "printBackground": True,  # table header and flagged-row tints
    "displayHeaderFooter": False,  # Chromium's header/footer would print the file path and the date
    "generateDocumentOutline": True,  # the headings as PDF bookmarks
}
UNLINK_LOCAL_JS = """
for (const a of document.querySelectorAll('a[href]')) {
  const here = a.protocol === 'file:' && a.pathname === location.pathname && a.hash;  // a heading of this page
  if (a.protocol === 'file:' && !here) a.removeAttribute('href');
}
return document.fonts.ready.then(() => true);
"""


def report_pages(year: int) -> list[Path]:
    """Every report HTML of the year's folder, province first, then districts; index pages left out."""
    folder = paths.report_dir(year)
    pages = sorted(folder.glob("*.html")) + sorted((folder / "districts").glob("*.html"))
    return [page for page in pages if page.name.split(".")[0] not in LISTING_PAGES]


def pdf_path(page: Path) -> Path:
    """The PDF beside a report page: annual_report.html -> annual_report.pdf, x.en.html -> x.en.pdf."""
    return page.with_suffix(".pdf")


def install_hint() -> str:
    """The apt command for the packages the project lists, for the message of a machine without them."""
    listing = paths.ROOT / APT_PACKAGES
    names = [line.split("#")[0].strip() for line in listing.read_text(encoding="utf-8").splitlines()] \
        if listing.is_file() else ["chromium", "chromium-driver"]
    return (f"install the Debian packages listed in {APT_PACKAGES}: "
            f"`sudo apt-get install --no-install-recommends {' '.join(n for n in names if n)}` (or run .ci/apt-install)")


def missing_browser(*programs: Path) -> str:
    """Why the browser cannot be started here ('' when every program is there)."""
    missing = [str(program) for program in programs if not os.access(program, os.X_OK)]
    if not missing:
        return ""
    return f"Debian's Chromium and chromedriver are needed; not found: {', '.join(missing)}; {install_hint()}"


def start_browser(workdir: Path, flags: tuple[str, ...] = FLAGS, log_types: tuple[str, ...] = ()):
    """Headless Debian Chromium with a fresh empty profile in `workdir` (raises PipelineError when it cannot)."""
    if why := missing_browser(CHROMIUM, CHROMEDRIVER):
        raise PipelineError(why)
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*flags, f"--user-data-dir={workdir / 'profile'}"):
        options.add_argument(flag)
    if log_types:
        options.set_capability("goog:loggingPrefs", {log_type: "ALL" for log_type in log_types})
    log = workdir / "chromedriver.log"
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), log_output=str(log)), options=options)
    except WebDriverException as error:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
        raise PipelineError(f"Chromium did not start through {CHROMEDRIVER}: {error.msg}\n{tail}") from None
    driver.set_page_load_timeout(60)
    return driver


def print_page(driver, page: Path) -> bytes:
    """One report page as PDF bytes (see the module docstring for the options)."""
    driver.get(page.resolve().as_uri())
    driver.execute_script(UNLINK_LOCAL_JS)
    return base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", PRINT_OPTIONS)["data"])


def run(year: object, record: dict | None = None) -> list[Path]:
    """Print every report of the year to PDF beside its HTML, then write MANIFEST.pdf.sha256; the files written.

    `record` (the run log's stage entry) gets the pages printed as inputs and the browser's version.
    """
    year = str(year).strip()
    pages = report_pages(int(year)) if year.isdigit() else []
    if not pages:
        raise PipelineError(f"Chưa có báo cáo nào của năm {year!r} trong reports/: chạy `make reports YEAR={year}` "
                            f"trước / no report of year {year!r} yet: run `make reports YEAR={year}` first.")
    if record is not None:
        from pipeline import runlog

        record["inputs"] = [runlog.file_record(page) for page in pages]
    with tempfile.TemporaryDirectory(prefix="langson-pdf-") as workdir, no_selenium_manager(Path(workdir)):
        driver = start_browser(Path(workdir))
        try:
            browser = f"Chromium {driver.capabilities.get('browserVersion', '?')}"
            written = []
            for page in pages:
                content = print_page(driver, page)
                path = pdf_path(page)
                atomic.write_bytes(path, content)
                print(f"Đã in / printed {paths.relative(path)} ({len(content):,} bytes)".replace(",", "."))
                written.append(path)
        finally:
            driver.quit()
    if record is not None:
        record["browser"] = browser
    written.append(manifest.write_pdf_manifest(int(year), written, browser))
    print(f"Đã ghi / wrote {paths.relative(written[-1])}")
    return written


@contextmanager
def no_selenium_manager(workdir: Path):
    """While the browser lives, Selenium Manager (which downloads browsers) cannot run: offline, and no binary."""
    values = {"SE_OFFLINE": "true", "SE_MANAGER_PATH": str(workdir / "no-selenium-manager")}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
