"""Run records decide whether a report is rendered again (manifest.is_current), on hand-made files."""
import json

import pytest

from pipeline import manifest, paths


@pytest.fixture
def report(tmp_path, monkeypatch):
    """A fake report (stem, its inputs) with one output and its run record, under a temporary project root."""
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    stem = tmp_path / "reports" / "2022" / "districts" / "huyen-binh-gia"
    stem.parent.mkdir(parents=True)
    html = stem.with_suffix(".html")
    html.write_text("<p>Bình Gia</p>", encoding="utf-8")
    inputs = {"parameters": {"year": 2022, "district": "181"}, "code_commit": "abc", "report_inputs": {"district_poverty": "1" * 64}}
    record = {**inputs, "outputs": {"reports/2022/districts/huyen-binh-gia.html": manifest.sha256(html)}}
    manifest.record_path(stem).write_text(json.dumps(record), encoding="utf-8")
    return stem, inputs


def test_same_inputs_and_intact_outputs_is_current(report):
    stem, inputs = report
    assert manifest.is_current(stem, inputs)


def test_changed_data_is_not_current(report):
    stem, inputs = report
    assert not manifest.is_current(stem, {**inputs, "report_inputs": {"district_poverty": "2" * 64}})


def test_another_commit_is_not_current(report):
    stem, inputs = report
    assert not manifest.is_current(stem, {**inputs, "code_commit": "def"})


def test_an_edited_or_deleted_output_is_not_current(report):
    stem, inputs = report
    stem.with_suffix(".html").write_text("<p>sửa tay</p>", encoding="utf-8")
    assert not manifest.is_current(stem, inputs)
    stem.with_suffix(".html").unlink()
    assert not manifest.is_current(stem, inputs)


def test_a_missing_or_broken_record_is_not_current(report):
    stem, inputs = report
    manifest.record_path(stem).write_text("{ cắt ngang", encoding="utf-8")
    assert not manifest.is_current(stem, inputs)
    manifest.record_path(stem).unlink()
    assert not manifest.is_current(stem, inputs)
