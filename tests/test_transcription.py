"""Transcription check on a small hand-written plan: passes when faithful, catches planted typos both ways."""
import pytest

from pipeline.document import money_mentions, parse_sections
from pipeline.errors import TranscriptionError
from pipeline.ingest import read_table
from pipeline.schema import RAW_TABLES
from pipeline.transcription import check
from tests.rawfixtures import SMALL_PLAN, small_budget_rows, write_raw, write_small_project


@pytest.fixture()
def raw(tmp_path):
    write_small_project(tmp_path)
    return tmp_path


def tables(raw_dir):
    return {name: read_table(name, raw_dir) for name in RAW_TABLES}


def test_sections_follow_the_document_numbering():
    ids = [s.id for s in parse_sections(SMALL_PLAN)]
    assert ids == ["preamble", "A", "A.I", "A.I.1", "B", "B.I", "B.I.1", "B.I.2", "B.I.2.a", "B.I.Tổng"]


def test_money_mentions_are_found_with_their_section():
    mentions = [(m.section, int(m.amount)) for m in money_mentions(parse_sections(SMALL_PLAN))]
    assert mentions == [("A.I.1", 1500), ("A.I.1", 1000), ("A.I.1", 400), ("B.I.1", 300), ("B.I.1", 200),
                        ("B.I.1", 100), ("B.I.2.a", 50), ("B.I.2.a", 50), ("B.I.Tổng", 300)]


def test_faithful_transcription_passes_and_counts_coverage(raw):
    summary = check(tables(raw), parse_sections(SMALL_PLAN)).set_index("table")
    assert summary.loc["plan_document", "document_amounts"] == 9
    assert summary.loc["plan_document", "document_amounts_covered"] == 9
    assert (summary["rows_checked"] == summary["rows_found"]).all()


def test_a_typo_in_a_row_shows_the_row_and_the_documents_words(raw):
    rows = small_budget_rows()
    rows[3]["amount_mvnd"] = "2.000"  # the plan says 200
    write_raw(raw, "budget_figures", rows)
    with pytest.raises(TranscriptionError) as err:
        check(tables(raw), parse_sections(SMALL_PLAN))
    message = str(err.value)
    assert "budget_figures.csv dòng 5" in message and "2.000 không có trong mục B.I.1" in message
    assert "vốn ngân sách Trung ương: 200 triệu đồng" in message  # the document's own words
    assert "nêu 200 triệu đồng nhưng không dòng nào" in message  # and the uncovered amount, the other way round


def test_an_amount_of_the_document_without_a_row_fails(raw):
    write_raw(raw, "budget_figures", small_budget_rows()[:-1])  # drop the central 50 of DA2 TDA1
    with pytest.raises(TranscriptionError, match="mục B.I.2.a nêu 50 triệu đồng"):
        check(tables(raw), parse_sections(SMALL_PLAN))


def test_a_row_naming_the_wrong_section_fails(raw):
    rows = small_budget_rows()
    rows[0]["section"] = "B.I.1"  # 1.000 is stated in A.I.1, not in B.I.1
    write_raw(raw, "budget_figures", rows)
    with pytest.raises(TranscriptionError, match="1.000 không có trong mục B.I.1"):
        check(tables(raw), parse_sections(SMALL_PLAN))


def test_an_unknown_section_is_reported(raw):
    rows = small_budget_rows()
    rows[0]["section"] = "C.IX"
    write_raw(raw, "budget_figures", rows)
    with pytest.raises(TranscriptionError, match="mục «C.IX» không có trong văn bản"):
        check(tables(raw), parse_sections(SMALL_PLAN))


def test_project_names_are_checked_as_text(raw):
    write_raw(raw, "projects", [{"project_code": "DA1", "name": "Hạ tầng xã nghèo", "section": "B.I.1"}])
    with pytest.raises(TranscriptionError, match="«Hạ tầng xã nghèo» không có trong mục B.I.1"):
        check(tables(raw), parse_sections(SMALL_PLAN))
