"""The bench's render yardstick (pipeline.tools.plain_cells) does the reports' work, and the bench's plan uses it."""
import base64
import json

import pytest

from pipeline import paths
from pipeline.tools import bench, plain_cells


def notebook(tmp_path, *cells: str):
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"] if n == 0 else []}, "source": source}
             for n, source in enumerate(cells)]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


def test_the_savefig_kwargs_come_from_the_notebooks_config_line(tmp_path):
    sources, kwargs, parameters = plain_cells.code_cells(notebook(
        tmp_path, "year = 2022", '%config InlineBackend.print_figure_kwargs = {"dpi": 72}\n%matplotlib inline\nx = 1'))
    assert (kwargs, parameters) == ({"dpi": 72}, 0)
    assert sources[1].splitlines() == ["", "", "x = 1"]


def test_an_unknown_magic_is_refused(tmp_path):
    with pytest.raises(ValueError, match="%timeit"):
        plain_cells.code_cells(notebook(tmp_path, "year = 2022", "%timeit 1"))


def test_render_all_has_the_plain_cells_as_yardstick_and_runs_again_after_the_correction():
    labels = [step.label for step in bench.steps(1)]
    render_all = labels.index("render-all 2022 (12 reports, 2 workers)")
    assert bench.steps(1)[render_all + 1].yardstick_of == labels[render_all]
    assert labels[-1] == "render-all 2022 (after the correction)"


@pytest.mark.e2e
def test_plain_cells_show_what_the_province_and_a_district_report_show(built_project, monkeypatch):
    """Same number of displayed objects and the same PNG bytes as the built project's rendered reports."""
    root = built_project.root
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "PROCESSED", root / "data" / "processed")
    for district, stem in ((None, "annual_report"), ("181", "districts/huyen-binh-gia")):
        shown = plain_cells.run(root, 2022, [district])
        outputs = [o for cell in json.loads((root / "reports" / "2022" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
                   if cell["cell_type"] == "code" for o in cell["outputs"] if o["output_type"] == "display_data"]
        assert shown.pngs and all(png.startswith(plain_cells.PNG_SIGNATURE) for png in shown.pngs)
        assert shown.objects == len(outputs)
        assert shown.pngs == [base64.b64decode(o["data"]["image/png"]) for o in outputs if "image/png" in o["data"]]
