"""`make` as a statistician runs it, on the built project (tests/conftest.py) or a copy of it.

Shows: `make reports` writes the province report, every district report and an index; a second run does no
work, nor does touching every input; a changed raw byte rebuilds the chain after it, here up to a 2024
district report; an unknown YEAR lists the valid ones; bad raw input (text in an amount, a duplicated row, an unknown district code) fails with
file, row and column named while the previous report stays byte-for-byte as it was; the manifest checks
with sha256sum; `make verify` rebuilds every file the manifest lists and names each one that differs.
"""
import json
import subprocess

import pytest

from tests import e2e
from tests.conftest import BUILD
from tests.e2e import make, output, sha

pytestmark = pytest.mark.e2e


def test_reports_writes_the_province_every_district_and_an_index(built_project):
    assert ">>> reports: year 2022" in built_project.logs["reports YEAR=2022"].stdout
    folder = built_project.root / "reports" / "2022"
    districts = sorted((folder / "districts").glob("*.html"))
    assert len(districts) == 11 and (folder / "annual_report.html").exists()
    assert (folder / "annual_report.xlsx").exists()
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count("<a href=\"districts/") == 11 and "annual_report.html" in index
    assert "synthetic" in index.lower()
    assert "http://" not in index and "https://" not in index


def test_a_second_run_does_nothing(project_copy):
    for args in BUILD:
        again = make(project_copy, *args)
        assert again.returncode == 0 and ">>>" not in again.stdout, output(again)  # no recipe ran


def test_touching_every_input_rebuilds_nothing(project_copy):
    inputs = [path for folder in ("data/raw", "pipeline", "notebooks", "expectations")  # not make's own stamps
              for path in (project_copy / folder).rglob("*") if path.is_file() and not path.name.startswith(".")]
    assert len(inputs) > 80
    for path in inputs:
        path.touch()
    again = make(project_copy, "reports", "YEAR=2022")
    assert again.returncode == 0 and ">>>" not in again.stdout, output(again)


def test_a_changed_raw_byte_rebuilds_the_chain_up_to_a_2024_district_report(project_copy):
    """A plan file feeds build, then the gate and the reports; the household registers do not read it. The
    district report of 2024, a year of household registers only, is rendered on its own (it is self-contained)."""
    raw = project_copy / "data" / "raw" / "projects.csv"
    raw.write_bytes(raw.read_bytes().replace("Giám sát, đánh giá".encode(), "Giám sát,  đánh giá".encode()))
    changed = make(project_copy, "report", "YEAR=2024", "DISTRICT=181")
    assert changed.returncode == 0, output(changed)
    for stage in (">>> data: build", ">>> validate", ">>> report: year 2024 district 181"):
        assert stage in changed.stdout, output(changed)
    assert ">>> data: household registers" not in changed.stdout, output(changed)
    assert not (project_copy / "reports" / "2024" / "annual_report.html").exists()
    html = (project_copy / "reports" / "2024" / "districts" / "huyen-binh-gia.html").read_text(encoding="utf-8")
    assert "Số liệu của Huyện Bình Gia" in html and "SỐ LIỆU TỔNG HỢP (SYNTHETIC)" in html


def test_unknown_year_lists_the_valid_ones(project_copy):
    result = make(project_copy, "report", "YEAR=2030")
    assert result.returncode != 0
    assert "2021" in result.stderr and "2022" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project_copy / "reports" / "2030").exists()


@pytest.mark.parametrize("file, old, new, expected", [
    ("budget_figures.csv", ",47.500,", ",bốn mươi bảy,", ("budget_figures.csv", "dòng", "Số tiền (triệu đồng)")),
    ("budget_figures.csv", ",181,Ngân sách", ",179,Ngân sách", ("budget_figures.csv", "dòng", "district_code")),
    ("policy_results_2021.csv", None, None, ("policy_results_2021.csv", "dòng", "Mã chỉ tiêu")),
])
def test_bad_raw_input_fails_clearly_and_keeps_the_previous_report(project_copy, file, old, new, expected):
    raw = project_copy / "data" / "raw" / file
    original = raw.read_text(encoding="utf-8")
    html = project_copy / "reports" / "2022" / "annual_report.html"
    before = sha(html)
    if old is None:  # duplicate the last row
        broken = original + original.splitlines()[-1] + "\n"
    else:
        assert original.count(old) == 1
        broken = original.replace(old, new)
    raw.write_text(broken, encoding="utf-8")
    result = make(project_copy, "report", "YEAR=2022")
    assert result.returncode != 0, output(result)
    for word in expected:
        assert word in result.stdout + result.stderr, output(result)
    assert "Traceback" not in result.stdout + result.stderr
    assert sha(html) == before


def test_manifest_checks_with_sha256sum_and_run_record_maps_cells(built_project):
    root = built_project.root
    for year in ("2022", "2021"):
        check = subprocess.run(["sha256sum", "-c", "--quiet", f"reports/{year}/MANIFEST.sha256"], cwd=root,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    listed = (root / "reports" / "2022" / "MANIFEST.sha256").read_text(encoding="utf-8")
    for name in ("data/raw/budget_figures.csv", "requirements.lock", "reports/2022/annual_report.html",
                 "reports/2022/annual_report.xlsx", "data/processed/reconciliation.parquet"):
        assert f"  {name}\n" in listed
    record = json.loads((root / "reports" / "2022" / "annual_report.run.json").read_text(encoding="utf-8"))
    assert record["parameters"] == {"year": 2022, "district": None, "edition": "vi"}
    assert record["source_date_epoch"] == e2e.EPOCH
    tables = {c["id"]: c["cell"] for c in record["cells"] if c["kind"] == "table"}
    assert tables["reconciliation"] == "quality" and tables["budget-lines"] == "budget"
    assert any(c["kind"] == "figure" for c in record["cells"])


def test_verify_rebuilds_every_listed_file_and_names_each_that_differs(project_copy):
    """`make verify YEAR=2021` rebuilds from raw data in a copy of its own and compares with the manifest.

    One rebuild (≈ 30 s) shows both halves. The manifest is made to record another sha256 for one raw input
    and for one report, as if each had changed since: verify names exactly these two, the input as changed
    and the report as different when rebuilt, so every other file it lists (inputs, processed tables, Data
    Docs, the report's notebook, workbook and run record) was rebuilt byte for byte. A byte changed in the
    working tree's workbook goes unnoticed, as it should: verify compares what it rebuilt, not the outputs
    the working tree holds. (2021 has one report; 2022's twelve would take render-all.)
    """
    listing = project_copy / "reports" / "2021" / "MANIFEST.sha256"
    other = "0" * 64
    changed = {"data/raw/districts.csv", "reports/2021/annual_report.html"}
    lines = listing.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 30 and changed | {"reports/2021/annual_report.xlsx"} <= {line[66:] for line in lines}
    listing.write_text("".join(f"{other}  {line[66:]}\n" if line[66:] in changed else line + "\n" for line in lines),
                       encoding="utf-8")
    workbook = project_copy / "reports" / "2021" / "annual_report.xlsx"
    workbook.write_bytes(workbook.read_bytes() + b"\0")
    (project_copy / "reports" / "2021" / "annual_report.pdf").write_bytes(b"%PDF-1.4 printed by make pdf\n")
    result = make(project_copy, "verify", "YEAR=2021")
    assert result.returncode != 0, output(result)
    assert "skips 1 PDFs (derived copies, not byte-identical)" in result.stdout, output(result)  # never compared
    named = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("- ")]
    assert named == ["- data/raw/districts.csv: tệp đầu vào đã đổi / input changed",
                     "- reports/2021/annual_report.html: khác khi dựng lại / differs when rebuilt"], output(result)
