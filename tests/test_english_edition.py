"""The English edition (make report … EDITION=en) beside the Vietnamese one of the built project: the same figures,
English labels and number format, its own files, run records and make stamps.

One copy of the built project per module, in which make renders the English province report and one district
report once; every test reads those.
"""
from __future__ import annotations

import collections
import html
import json
import re
import string
from decimal import Decimal

import openpyxl
import pytest

from pipeline.report import edition as editions
from pipeline.report import glossary
from pipeline.report import labels_en as en
from pipeline.report import labels_vi as vi
from tests import e2e

pytestmark = pytest.mark.e2e
EN, VI = editions.EDITIONS["en"], editions.EDITIONS["vi"]
STEMS = ("annual_report", "districts/huyen-binh-gia")
RUNS = (("report", "YEAR=2022", "EDITION=en"), ("report", "YEAR=2022", "DISTRICT=181", "EDITION=en"))
_TAG = re.compile(r"<[^>]+>")
# A number as each edition prints it (grouped thousands or a plain integer, optional decimals).
_NUMBER = {VI: re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"),
           EN: re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")}


@pytest.fixture(scope="module")
def english(built_project, tmp_path_factory):
    """A copy of the built project in which make rendered the English province and district 181 reports."""
    root = e2e.copy_of_built(built_project.root, tmp_path_factory.mktemp("english") / "project")
    before = {p.relative_to(root): e2e.sha(p) for p in (root / "reports" / "2022").rglob("*") if p.is_file()}
    runs = [e2e.make(root, *args) for args in RUNS]
    for run in runs:
        assert run.returncode == 0, e2e.output(run)
    return root, before, runs


def _path(root, stem: str, ed, suffix: str):
    return root / "reports" / "2022" / f"{stem}{ed.suffix}{suffix}"


def test_english_files_sit_beside_the_vietnamese_ones_which_stay_as_they_were(english):
    root, before, _ = english
    for stem in STEMS:
        for suffix in (".html", ".ipynb", ".xlsx", ".run.json"):
            assert _path(root, stem, EN, suffix).is_file(), (stem, suffix)
        page = _path(root, stem, EN, ".html").read_text(encoding="utf-8")
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">') and "Lạng Sơn" in page
        record = json.loads(_path(root, stem, EN, ".run.json").read_text(encoding="utf-8"))
        assert record["parameters"]["edition"] == "en"
        assert f"reports/2022/{stem}.en.html" in record["outputs"]
    changed = [name for name, digest in before.items() if name.name != "MANIFEST.sha256"
               and e2e.sha(root / name) != digest]
    assert not changed, changed  # the Vietnamese reports, the index and their run records are untouched
    listed = (root / "reports" / "2022" / "MANIFEST.sha256").read_text(encoding="utf-8")
    assert "reports/2022/annual_report.en.xlsx" in listed and "reports/2022/districts/huyen-binh-gia.en.run.json" in listed


def test_the_english_stamp_is_its_own(english):
    root, _, _ = english
    assert (root / "reports" / "2022" / ".report-province.en.done").is_file()
    again = e2e.make(root, *RUNS[0])
    assert again.returncode == 0 and "render" not in again.stdout, e2e.output(again)


def _numbers(book_path) -> list[list[list[object]]]:
    """Per sheet after the sources sheet, per row with a number: each cell's number, "<10" for a suppressed cell,
    None for any other text (words differ edition by edition; the English provenance has an "edition" row)."""
    book = openpyxl.load_workbook(book_path)
    sheets = []
    for sheet in book.worksheets[1:]:
        rows = [[c if isinstance(c, (int, float)) and not isinstance(c, bool) else (c if c == "<10" else None)
                 for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
        sheets.append([row for row in rows if any(c is not None for c in row)])  # rows of words only: left out
    return sheets


@pytest.mark.parametrize("stem", STEMS)
def test_the_workbooks_hold_the_same_numbers_sheet_by_sheet(english, stem):
    root, _, _ = english
    vietnamese, english_ = _numbers(_path(root, stem, VI, ".xlsx")), _numbers(_path(root, stem, EN, ".xlsx"))
    assert len(english_) == len(vietnamese) + 1  # the English workbook adds its glossary, last
    assert english_[:-1] == vietnamese
    assert sum(isinstance(c, (int, float)) for sheet in vietnamese for row in sheet for c in row) > 100


def _texts(page: str) -> list[str]:
    """The page's text nodes (no tags, no image data, no glossary table: it is the English edition's own)."""
    page = re.sub(r'<table id="T_glossary">.*?</table>', "", page, flags=re.S)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return [html.unescape(t).strip() for t in _TAG.split(page) if t.strip()]


def _printed_numbers(texts: list[str], ed) -> collections.Counter:
    return collections.Counter(ed.parse_number(n) if re.search(r"[.,]", n) else Decimal(n)
                               for text in texts for n in _NUMBER[ed].findall(text))


@pytest.mark.parametrize("stem", STEMS)
def test_every_number_printed_in_english_is_one_printed_in_vietnamese(english, stem):
    """Numbers of both pages as multisets, each read with its edition's format. Text the two pages print
    identically (data: document wording, sources, names) is left out: it holds Vietnamese-formatted numbers in both."""
    root, _, _ = english
    vi_texts = _texts(_path(root, stem, VI, ".html").read_text(encoding="utf-8"))
    en_texts = _texts(_path(root, stem, EN, ".html").read_text(encoding="utf-8"))
    shared = collections.Counter(vi_texts) & collections.Counter(en_texts)
    vi_own = list((collections.Counter(vi_texts) - shared).elements())
    en_own = list((collections.Counter(en_texts) - shared).elements())
    vi_numbers, en_numbers = _printed_numbers(vi_own, VI), _printed_numbers(en_own, EN)
    assert sum(vi_numbers.values()) > 100
    assert en_numbers == vi_numbers, (en_numbers - vi_numbers, vi_numbers - en_numbers)


def _fragments(text: str) -> list[str]:
    """The literal parts of a label between its {placeholders}."""
    return [literal for literal, *_ in string.Formatter().parse(text)]


@pytest.mark.parametrize("stem", STEMS)
def test_no_vietnamese_label_is_left_in_the_english_report(english, stem):
    root, _, _ = english
    vi_texts = set(_texts(_path(root, stem, VI, ".html").read_text(encoding="utf-8")))
    # Text both pages print alike is data (document wording, sources), which stays Vietnamese.
    page = " ".join(t for t in _texts(_path(root, stem, EN, ".html").read_text(encoding="utf-8")) if t not in vi_texts)
    glossed = " ".join(term for term, _ in glossary.TERMS)
    for key, text in vi.LABELS.items():
        for fragment in _fragments(text):
            fragment = fragment.strip(" ()*:;,.\n#-–")
            if len(fragment) >= 20 and fragment not in en.LABELS[key] and fragment not in glossed:
                assert fragment not in page, (key, fragment)
