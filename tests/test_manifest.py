"""Run records say what a report was made from and which cell made each table and figure, on hand-made files."""
import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from pipeline import manifest, paths


def test_a_run_record_holds_inputs_output_hashes_and_the_cell_of_each_table_and_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    stem = tmp_path / "reports" / "2022" / "districts" / "huyen-binh-gia"
    stem.parent.mkdir(parents=True)
    html = stem.with_suffix(".html")
    html.write_text("<p>Bình Gia</p>", encoding="utf-8")
    cell = new_code_cell("show_table(...)", id="budget")
    cell.outputs = [new_output("display_data", data={"text/html": '<table id="T_budget-lines">'}),
                    new_output("display_data", data={"image/png": "iVBOR"}, metadata={"image/png": {"alt": "Biểu đồ"}})]
    notebook = nbformat.from_dict(new_notebook(cells=[cell]))
    inputs = {"parameters": {"year": 2022, "district": "181"}, "code_commit": "abc", "register_files": {}}

    record_file = manifest.write_run_record(stem, inputs, notebook, [html])

    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["parameters"] == {"year": 2022, "district": "181"}
    assert record["outputs"] == {"reports/2022/districts/huyen-binh-gia.html": manifest.sha256(html)}
    assert record["cells"] == [{"cell": "budget", "kind": "table", "id": "budget-lines"},
                               {"cell": "budget", "kind": "figure", "id": "budget-figure-1", "title": "Biểu đồ"}]
    assert manifest.write_run_record(stem, inputs, notebook, [html]).read_bytes() == record_file.read_bytes()
