"""The rendered reports in a real browser: Debian's Chromium, headless, driven by Debian's chromedriver.

Every 2022 report of the built project (tests/conftest.py), its index and every local page they lead to
(the data-quality pages) is opened from disk (file://), as a reviewer opens a report e-mailed to them, and
must work with no network: no request leaves the file system (file:, data:, blob:, about: only), no
resource fails to load, no script error reaches the console, every image is decoded and every local link
has a file behind it. Pages are found by following links, within the project's reports/.

Only the browser and driver of Debian's packages are used (.ci/apt-packages; `.ci/apt-install`), never one a
library downloads: the Service is given the driver's path and the options the browser's, so Selenium
Manager is never asked, and SE_MANAGER_PATH points at nothing so that any call to it fails loudly instead.
When they are missing the tests fail, saying how to install them.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selenium import webdriver

from pipeline import schema
from pipeline.errors import PipelineError
from pipeline.report import pdf

# The browser, driver, apt hint and base flags are make pdf's (pipeline/report/pdf.py). The host resolver finds
# no host and no proxy is used, so a request for the network fails at once (and is reported) instead of waiting.
FLAGS = (*pdf.FLAGS, "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,1024")
LOCAL_SCHEMES = ("file", "data", "blob", "about")
SETTLE_SECONDS = 5.0  # how long the requests a page started may take to end after its load event
YEAR = 2022

OFF_DISK = "request leaving the file system"
FAILED = "failed resource"
SCRIPT = "script error"
IMAGE = "image not decoded"
LINK = "local link to a missing file"

# What the page itself says once it has settled: images not decoded, and every link, resolved.
PAGE_STATE_JS = """
return {
  images: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                              .map(i => i.currentSrc || i.src || i.outerHTML.slice(0, 200)),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
};
"""


@dataclass(frozen=True)
class Visit:
    """What one page did in the browser, from its load to the end of the requests it started."""
    requested: tuple[str, ...]  # every URL requested, redirects included
    failed: tuple[tuple[str, str], ...]  # (URL, error) of each request that failed
    unfinished: tuple[str, ...]  # URLs still loading SETTLE_SECONDS after the load event
    console: tuple[str, ...]  # SEVERE console entries other than failed loads (listed in `failed`)
    undecoded_images: tuple[str, ...]
    links: tuple[str, ...]


def start_browser(workdir: Path) -> webdriver.Chrome:
    """Headless Chromium with a fresh empty profile in `workdir`, logging network events and the console."""
    try:
        driver = pdf.start_browser(workdir, FLAGS, ("performance", "browser"))
    except PipelineError as error:
        pytest.fail(f"the real-browser tests cannot start the browser: {error}", pytrace=False)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})  # each page loads all it needs
    driver.get("about:blank")
    for log_type in ("performance", "browser"):
        driver.get_log(log_type)  # drop the browser's own start: only pages are checked
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One browser for the module (it takes 1 to 4 s to start); Selenium Manager cannot run while it lives."""
    workdir = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")
        mp.setenv("SE_MANAGER_PATH", str(workdir / "no-selenium-manager"))
        driver = start_browser(workdir)
        try:
            yield driver
        finally:
            driver.quit()


def _network_events(driver: webdriver.Chrome):
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"].startswith("Network."):
            yield message["method"], message["params"]


def visit(driver: webdriver.Chrome, url: str) -> Visit:
    """Open `url`, wait for the requests it started to end, and read what happened (see `Visit`)."""
    driver.get(url)
    urls: dict[str, str] = {}
    requested, failed, ended = [], [], set()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        for method, params in _network_events(driver):
            request = params.get("requestId")
            if method == "Network.requestWillBeSent":
                urls[request] = params["request"]["url"]
                requested.append(urls[request])
            elif method == "Network.webSocketCreated":
                requested.append(params["url"])
            elif method == "Network.loadingFinished":
                ended.add(request)
            elif method == "Network.loadingFailed":
                ended.add(request)
                failed.append((urls.get(request, f"request {request}"), params.get("errorText", "")))
        pending = urls.keys() - ended
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    state = driver.execute_script(PAGE_STATE_JS)
    console = [entry["message"] for entry in driver.get_log("browser")
               if entry["level"] == "SEVERE" and entry.get("source") != "network"]
    return Visit(tuple(requested), tuple(failed), tuple(urls[r] for r in sorted(pending)), tuple(console),
                 tuple(state["images"]), tuple(state["links"]))


def local_file(url: str) -> Path | None:
    """The file a file: URL names (query and fragment dropped), else None."""
    parts = urlsplit(url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def problems(page: Visit) -> list[tuple[str, str]]:
    """(check, detail) for everything wrong with a visited page; empty when it works offline."""
    found = [(OFF_DISK, url) for url in page.requested if urlsplit(url).scheme not in LOCAL_SCHEMES]
    found += [(FAILED, f"{url} ({error})") for url, error in page.failed]
    found += [(FAILED, f"{url} (still loading {SETTLE_SECONDS:g} s after the page loaded)") for url in page.unfinished]
    found += [(SCRIPT, message) for message in page.console]
    found += [(IMAGE, source[:200]) for source in page.undecoded_images]
    found += [(LINK, url) for url in page.links if (target := local_file(url)) and not target.exists()]
    return found


def crawl(driver: webdriver.Chrome, start: list[Path], within: Path) -> dict[Path, Visit]:
    """Visit every page of `start` and every local .html page under `within` that a visited page links to."""
    visits: dict[Path, Visit] = {}
    todo = [page.resolve() for page in start]
    while todo:
        page = todo.pop(0)
        if page in visits:
            continue
        visits[page] = visit(driver, page.as_uri())
        for url in visits[page].links:
            target = local_file(url)
            if target and target.suffix == ".html" and target.is_relative_to(within) and target.is_file():
                todo.append(target)
    return visits


def report_problems(visits: dict[Path, Visit], root: Path) -> str:
    """One paragraph per check and offending URL or message, naming the pages it happened on ('' when none)."""
    pages_by_problem: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page, seen in visits.items():
        for problem in dict.fromkeys(problems(seen)):
            pages_by_problem[problem].append(str(page.relative_to(root)))
    return "\n".join(f"{check}: {detail}\n    on {len(pages)} page(s): {', '.join(pages)}"
                     for (check, detail), pages in sorted(pages_by_problem.items()))


# ---------------------------------------------------------------- fast: a machine without the browser

def test_a_machine_without_chromium_fails_with_the_apt_command(tmp_path):
    why = pdf.missing_browser(tmp_path / "chromium", tmp_path / "chromedriver")
    assert str(tmp_path / "chromium") in why and str(tmp_path / "chromedriver") in why
    assert ".ci/apt-packages" in why and "apt-get install --no-install-recommends chromium chromium-driver" in why


# ---------------------------------------------------------------- end to end: the checker, then the reports

@pytest.mark.e2e
def test_the_checker_reports_each_kind_of_problem(browser, tmp_path):
    good = tmp_path / "good.html"
    good.write_text('<!doctype html><meta charset="utf-8"><title>tốt</title><a href="bad.html">Xem</a>'
                    '<img alt="1 px" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlE'
                    'QVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">', encoding="utf-8")
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><meta charset="utf-8"><title>hỏng</title>'
                   '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
                   '<img alt="biểu đồ" src="missing.png"><a href="missing.html">Data Docs</a>'
                   '<script>vegaEmbed("#chart", {});</script>', encoding="utf-8")
    assert problems(visit(browser, good.as_uri())) == []
    found = problems(visit(browser, bad.as_uri()))
    kinds = {kind for kind, _ in found}
    assert kinds == {OFF_DISK, FAILED, SCRIPT, IMAGE, LINK}, found
    assert (OFF_DISK, "https://cdn.jsdelivr.net/npm/vega@5") in found
    assert (IMAGE, (tmp_path / "missing.png").as_uri()) in found
    assert (LINK, (tmp_path / "missing.html").as_uri()) in found
    failed = [detail for kind, detail in found if kind == FAILED]
    assert any(d.startswith("https://cdn.jsdelivr.net/npm/vega@5 (net::") for d in failed), failed
    assert any(d.startswith((tmp_path / "missing.png").as_uri() + " (net::ERR_FILE_NOT_FOUND") for d in failed), failed
    assert any("vegaEmbed is not defined" in d for kind, d in found if kind == SCRIPT), found


@pytest.mark.e2e
def test_the_reports_work_offline_in_a_browser(built_project, browser):
    """Every 2022 report and the index of the built project, and every local page reached from them by links.

    One test, so that the pages are opened once even when pytest-xdist spreads the module's tests."""
    reports = (built_project.root / "reports").resolve()
    year = reports / str(YEAR)
    visits = crawl(browser, sorted(year.rglob("*.html")), reports)
    opened = {page.relative_to(year).as_posix() for page in visits if page.is_relative_to(year)}
    assert {"annual_report.html", "index.html"} <= opened
    assert len({name for name in opened if name.startswith("districts/")}) == len(schema.REGISTER_DISTRICT_CODES), opened
    assert any(not page.is_relative_to(year) for page in visits), "no data-quality page is linked from the reports"
    assert not (found := report_problems(visits, reports)), found


@pytest.mark.e2e
def test_a_district_report_shows_its_poor_households_on_the_first_screen(built_project, browser):
    """A reviewer who opens a district report sees the district's poor-household count without scrolling."""
    import pandas as pd

    from pipeline.vn import format_vn_number

    root = built_project.root
    poverty = pd.read_parquet(root / "data" / "processed" / "district_poverty.parquet")
    poor = poverty[(poverty["review_year"] == YEAR) & (poverty["district_code"] == "181")]["poor_hh"].iloc[0]
    browser.get((root / "reports" / str(YEAR) / "districts" / "huyen-binh-gia.html").resolve().as_uri())
    where = browser.execute_script(
        "const cell = [...document.querySelectorAll('td')].find(td => td.textContent.startsWith(arguments[0]));"
        "return cell ? {bottom: cell.getBoundingClientRect().bottom, screen: window.innerHeight} : null;",
        f"{format_vn_number(poor)} hộ")
    assert where is not None, f"no table cell starts with the district's poor households ({poor})"
    assert 0 < where["bottom"] <= where["screen"], where
