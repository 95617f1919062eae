"""The shipped raw data build cleanly: transcription complete, every stated total reconciled, figures exact."""
import math

import pytest

from pipeline import paths
from pipeline.build import build_tables
from pipeline.document import money_mentions, parse_sections


@pytest.fixture(scope="module")
def built():
    return build_tables(paths.RAW, paths.PLAN_DOCUMENT)


def test_every_money_amount_of_the_plan_is_transcribed(built):
    summary = built["transcription_check"].set_index("table")
    stated = len(money_mentions(parse_sections(paths.PLAN_DOCUMENT.read_text(encoding="utf-8"))))
    assert stated > 0
    assert summary.loc["plan_document", "document_amounts"] == stated
    assert summary.loc["plan_document", "document_amounts_covered"] == stated
    checked = summary.drop("plan_document")
    assert (checked["rows_checked"] == checked["rows_found"]).all()


def test_every_stated_total_with_parts_gets_a_finding(built):
    findings = built["reconciliation"]
    totals = built["budget_stated_totals"]
    covered = set(findings.loc[findings["check_kind"] == "stated_total_vs_lines", "finding_id"])
    assert covered == {f"stated_total:{t}" for t in totals["total_id"]}


def test_findings_arithmetic_is_consistent(built):
    for f in built["reconciliation"].to_dict("records"):
        if f["status"] in ("match", "gap") and f["check_kind"] != "poor_district_scope":
            assert f["gap"] == pytest.approx(f["stated_value"] - f["compared_value"], abs=1e-6)
            assert (f["status"] == "match") == (abs(f["gap"]) < 1e-3)
        if f["status"] == "undeterminable":
            assert math.isnan(f["gap"]) and f["explanation"]
        if f["status"] == "gap":
            assert f["explanation"], f"gap without explanation: {f['finding_id']}"


def test_line_totals_equal_their_sources_where_the_plan_gives_both(built):
    lines = built["budget_lines"].dropna(subset=["total_mvnd", "sources_sum_mvnd"])
    assert len(lines) > 0
    assert (lines["total_mvnd"] == lines["sources_sum_mvnd"]).all()


def test_amounts_are_exact_and_in_million_vnd(built):
    figures = built["budget_figures"]
    assert (figures["amount_mvnd"] >= 0).all()
    assert (figures["amount_mvnd"] == figures["amount_mvnd"].round(3)).all()


def test_raw_inputs_hash_every_raw_file(built):
    files = {p.name for p in paths.RAW.iterdir() if p.is_file() and p.name != "README.md"}
    assert set(built["raw_inputs"]["file"]) == files
    assert built["raw_inputs"]["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_processed_tables_keep_nfc_text(built):
    import unicodedata
    for name, frame in built.items():
        for column in frame.select_dtypes(include=["object", "string"]).columns:
            values = frame[column].dropna().astype(str)
            assert (values == values.map(lambda v: unicodedata.normalize("NFC", v))).all(), f"{name}.{column}"
