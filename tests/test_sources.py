"""Every source the raw data and the reports name is a public document of pipeline/sources.py, cited one way.

A source cell must cite at least one catalogue document exactly as `Document.cite()` writes it, and what is
left of the cell once those citations are taken out must name no other document (a decision number, a
"QĐ 123" shorthand, a web address): a source written by hand, or one the catalogue does not hold, fails here
with its file, line and column.
"""
from __future__ import annotations

import re

import pytest

from pipeline import ingest, paths, schema, sources
from pipeline.tools import synthetic_registers as sr

# Something that names a document: "2426/QĐ-UBND", "124/2004/QĐ-TTg", "QĐ 83", "KH 51", a web address.
DOCUMENT_REFERENCE = re.compile(r"\b\d+/(?:\d{4}/)?[A-ZĐ]+(?:-[A-ZĐ]+)+"
                                r"|\b(?:QĐ|NĐ|NQ|KH|TT|CV)\s*\d+(?:/[\w-]+)*"
                                r"|\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|org|net|gov|io)\b")


def cited(text: str) -> tuple[list[sources.Document], str]:
    """The catalogue documents a text cites, and the text left once their citations are taken out."""
    found, rest = [], text
    for document in sorted(sources.DOCUMENTS, key=lambda d: -len(d.cite())):
        if document.cite() in rest:
            found.append(document)
            rest = rest.replace(document.cite(), " ")
    return found, rest


def problems(text: str, where: str) -> list[str]:
    """Why a source text is not a catalogue citation (empty when it is)."""
    found, rest = cited(text)
    stray = DOCUMENT_REFERENCE.findall(rest)
    return ([f"{where}: cites no document of pipeline/sources.py: «{text}»"] if not found else []) + \
           ([f"{where}: names {stray} outside a catalogue citation: «{text}»"] if stray else [])


def source_cells() -> list[tuple[str, str]]:
    """(where, text) of every non-empty cell of every source column (schema name source*) of data/raw."""
    cells = []
    for name, table in schema.RAW_TABLES.items():
        columns = [c for c in table.columns if c.name.startswith("source")]
        if not columns:
            continue
        frame = ingest.read_table(name, paths.RAW)
        for column in columns:
            for text, file, line in frame[[column.name, "source_file", "source_row"]].itertuples(index=False):
                if text:
                    cells.append((f"{file}, dòng {line}, cột «{column.header}»", text))
    return cells


def test_the_raw_tables_have_source_columns_to_check():
    where = {w.split(",")[0] for w, _ in source_cells()}
    assert {"poverty_series.csv", "districts.csv", "projects.csv"} <= where


def test_every_source_cell_of_data_raw_cites_catalogue_documents_only():
    found = [p for where, text in source_cells() for p in problems(text, where)]
    assert not found, "\n".join(found)


def test_a_hand_written_or_uncatalogued_source_is_caught():
    old_style = "QĐ 2426/QĐ-UBND ngày 16/12/2017 (langson.gov.vn)"
    assert problems(old_style, "x") == [f"x: cites no document of pipeline/sources.py: «{old_style}»",
                                        f"x: names ['QĐ 2426/QĐ-UBND', 'langson.gov.vn'] outside a catalogue "
                                        f"citation: «{old_style}»"]
    mixed = sources.PLAN.cite("mục A.II") + "; Quyết định số 1/QĐ-UBND"
    assert problems(mixed, "x") == [f"x: names ['1/QĐ-UBND'] outside a catalogue citation: «{mixed}»"]
    assert problems(sources.QD_353_2022.cite() + " (độ tin cậy H)", "x") == []


def test_the_register_lists_every_catalogue_document_as_it_is_cited():
    register = (paths.RAW / "README.md").read_text(encoding="utf-8")
    missing = [d.cite() for d in sources.DOCUMENTS if f"- {d.cite()}\n" not in register]
    assert not missing, "data/raw/README.md, «Public documents cited», lacks:\n" + "\n".join(missing)


def test_the_synthetic_register_manifest_names_its_published_figures_by_catalogue_citation():
    for year, target in sr.province_targets().items():
        found, rest = cited(target["source"])
        assert bool(found) == (target["kind"] == "published"), (year, target["source"])
        assert not DOCUMENT_REFERENCE.findall(rest), (year, target["source"])


def test_a_citation_says_what_our_copy_does_not_state_instead_of_guessing():
    plan_text = paths.PLAN_DOCUMENT.read_text(encoding="utf-8")
    # The plan's copy states its issuer and title, no number ("Số: …/KH-UBND") and no date line.
    assert "UBND tỉnh Lạng Sơn" in plan_text and sources.PLAN.title.lower() in plan_text.lower()
    assert not re.search(r"Số\s*:?\s*\d+\s*/\s*KH", plan_text) and not sources.PLAN.number
    assert not re.search(r"Lạng Sơn, ngày \d", plan_text) and not sources.PLAN.date
    assert sources.PLAN.cite().endswith(f"(số, ngày: {sources.NOT_STATED})")
    stated = sources.Document(sources.LEGAL, "Quyết định", issuer="UBND tỉnh X", number="1/QĐ-UBND", date="2/3/2024")
    assert stated.cite("Điều 1") == "Quyết định số 1/QĐ-UBND ngày 2/3/2024 của UBND tỉnh X, Điều 1"
    page = sources.Document(sources.PAGE, "Bài", where="example.vn")
    assert page.cite() == f"Bài trên example.vn (tiêu đề, ngày: {sources.NOT_STATED})"


def test_every_legal_text_names_its_issuer_and_every_page_its_address():
    for document in sources.DOCUMENTS:
        assert document.issuer if document.form == sources.LEGAL else document.where, document
    assert len({d.cite() for d in sources.DOCUMENTS}) == len(sources.DOCUMENTS)


@pytest.mark.e2e
def test_the_built_reports_print_catalogue_citations(built_project):
    html = (built_project.root / "reports" / "2022" / "annual_report.html").read_text(encoding="utf-8")
    assert sources.PLAN.cite() in html
    shown = [d for d in sources.DOCUMENTS if d.cite().replace("&", "&amp;") in html]
    assert {sources.QD_2426_2017, sources.QD_83_2026, sources.VBSP_2019} <= set(shown), shown
