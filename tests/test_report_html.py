"""The report's HTML on hand-made input, nothing built: the table writer (tables.to_html) and the page template
(render.to_html) with a real chart in it."""
import base64
import io
import re

import pandas as pd
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.figure import Figure
from nbformat import from_dict
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from pipeline.errors import PipelineError
from pipeline.report import charts, render, tables, workbook

TABLE = pd.DataFrame({
    "Nội dung <b>": ["Hạ tầng & giao thông", "Cộng DA1", 'Ghi chú "x" <script>'],
    "Số tiền (triệu đồng)": ["127.710", "<10", "–"],
    "Tỷ lệ": ["trên 35.000", "12,20 %", "265.293 (tính)"],
    "Năm": ["2022", "2022", ""],
    "Mục": ["B.III.1", "", "9"],
    "Trống": ["", "", ""],
}, index=[7, 3, 5])
HEADER = re.compile(r'<th scope="col"( class="num")?>(.*?)</th>')
ROW = re.compile(r"<tr( class=\"[^\"]*\")?><td")


def table_html(frame=TABLE, **masks) -> str:
    return tables.to_html(frame, "budget-lines", **masks)


def test_a_table_is_escaped_with_scoped_headers_a_fixed_id_and_classes_instead_of_styles():
    html = table_html(highlight=pd.Series([False, True, False]), bold=pd.Series([True, True, False]))
    assert '<table id="T_budget-lines">' in html and html.count("<table") == 1
    assert "<b>" not in html and "<script>" not in html
    assert "Nội dung &lt;b&gt;" in html and "Hạ tầng &amp; giao thông" in html and "&lt;script&gt;" in html
    assert "style" not in html and "#T_" not in html  # no inline styles, no per-table CSS
    assert ROW.findall(html) == [' class="strong"', ' class="strong highlight"', ""]
    assert html.startswith(f'<div class="table-wrap" role="region" tabindex="0" aria-label="{workbook.CATALOGUE["budget-lines"].name()}">')


def test_numeric_columns_are_marked_by_a_class_on_header_and_cells():
    headers = HEADER.findall(table_html())
    numeric = [name for mark, name in headers if mark]
    # numbers as the report writes them, qualified, in per cent, computed or suppressed; not codes, years or empty
    assert numeric == ["Số tiền (triệu đồng)", "Tỷ lệ"]
    assert table_html().count('<td class="num">') == 2 * len(TABLE)


def test_a_table_gives_the_same_bytes_every_time_whatever_its_index():
    again = TABLE.reset_index(drop=True).copy()
    masks = {"highlight": pd.Series([True, False, True], index=[9, 8, 7])}
    assert table_html(**masks) == table_html(again, highlight=pd.Series([True, False, True]))


def test_a_row_mask_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="highlight mask has 2 rows, the table 3"):
        table_html(highlight=pd.Series([True, False]))


# --- the page --------------------------------------------------------------------------------------


def chart() -> Figure:
    """A real report chart (its own 'no data' figure needs no data tables)."""
    return charts.credit_by_group(pd.DataFrame(columns=["policy_area", "group", "period", "amount_mvnd", "households"]))


def png_output(fig: Figure, metadata: dict | None) -> dict:
    data = print_figure(fig, "png", base64=True, bbox_inches=None, dpi=charts.DPI)
    return new_output("display_data", data={"image/png": data, "text/plain": "<Figure>"}, metadata=metadata or {})


def notebook(*extra_outputs):
    """Code cells whose source must not show, with every kind of output the report's notebook makes."""
    fig = chart()
    shown = new_code_cell("import SECRET_CODE\ndisplay(Markdown('# Tiêu đề'))", execution_count=1)
    shown.outputs = [
        new_output("display_data", data={"text/markdown": "# Tiêu đề\n\nĐoạn *văn* thử.", "text/plain": "<Markdown>"}),
        new_output("display_data", data={"text/html": table_html(), "text/plain": "<HTML>"}),
        png_output(fig, charts.alt_metadata(fig)),
        new_output("stream", name="stdout", text="Đã ghi <tệp>\n"),
        *extra_outputs,
    ]
    result = new_code_cell("6 * 7", execution_count=2)
    result.outputs = [new_output("execute_result", data={"text/plain": "42"}, execution_count=2)]
    return from_dict(new_notebook(cells=[shown, new_markdown_cell("## Ghi chú cuối"), result]))


def test_the_page_is_vietnamese_titled_styled_for_screen_and_print_and_shows_outputs_only():
    html = render.to_html(notebook(), "Báo cáo <thử> & năm 2022")
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">\n')
    assert "<title>Báo cáo &lt;thử&gt; &amp; năm 2022</title>" in html
    assert "<h1>Tiêu đề</h1>" in html and "<em>văn</em>" in html and "<h2>Ghi chú cuối</h2>" in html
    assert "Đã ghi &lt;tệp&gt;" in html and "<pre>42</pre>" in html and 'id="T_budget-lines"' in html
    assert "SECRET_CODE" not in html and "6 * 7" not in html and "In&nbsp;[" not in html and "Out[" not in html
    assert "<script" not in html.lower() and not re.search(r"https?://", html)
    css = html[html.index("<style>"):html.index("</style>")]
    assert html.count("<style") == 1 and len(css) < 4000  # the project's small stylesheet, not JupyterLab's
    assert "@page" in css and "A4" in css and "@media print" in css and ".num" in css and ".highlight" in css
    assert render.to_html(notebook(), "Báo cáo <thử> & năm 2022") == html


def test_every_image_of_the_page_carries_its_charts_description_as_alt_text():
    html = render.to_html(notebook(), "t")
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 1
    alt = re.search(r' alt="([^"]*)"', images[0]).group(1)
    assert alt.startswith("Biểu đồ thanh ngang: Doanh số cho vay ưu đãi") and alt == chart().get_label()


@pytest.mark.parametrize("output, named", [
    (new_output("display_data", data={"text/markdown": "Xem http://example.org/a"}), r"(?s)http\(s\): .*example\.org/a"),
    (new_output("display_data", data={"text/html": "<script>alert(1)</script>"}), "script: <script"),
    (png_output(chart(), None), "img không có alt / without alt: <img src="),
])
def test_a_page_with_a_url_a_script_or_an_image_without_alt_is_refused(output, named):
    with pytest.raises(PipelineError, match=named):
        render.to_html(notebook(output), "t")


def test_the_chart_png_is_a_palette_image_without_text_chunks():
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_output(chart(), None)["data"]["image/png"])))
    assert image.mode == "P" and image.text == {}
    assert image.size[0] == round(chart().get_figwidth() * charts.DPI)
