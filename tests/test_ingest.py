"""Ingestion: Vietnamese headers to canonical columns, typed cells, and errors naming file/row/column."""
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.errors import RawDataError
from pipeline.ingest import read_table

HEADER = "Năm,Mã tổng,Mã nút,Nội dung,Nguồn vốn,Loại vốn,Số tiền (triệu đồng),Mục văn bản\n"
GOOD_ROWS = ('2022,T1,2022,Tổng kinh phí,Tổng các nguồn,Tất cả,466.028,B.III.Tổng\n'
             '2022,T2,2022,Tổng kinh phí,Ngân sách trung ương,Đầu tư phát triển,"1.250,5",B.III.Tổng\n')


def write(tmp_path: Path, body: str, name="budget_stated_totals.csv", encoding="utf-8") -> Path:
    (tmp_path / name).write_text(body, encoding=encoding)
    return tmp_path


def test_reads_vietnamese_headers_into_typed_canonical_columns(tmp_path):
    frame = read_table("budget_stated_totals", write(tmp_path, HEADER + GOOD_ROWS))
    assert list(frame["amount_mvnd"]) == [466028.0, 1250.5]
    assert list(frame["funding_source"]) == ["total", "central"]
    assert list(frame["capital_type"]) == ["all", "dtpt"]
    assert list(frame["source_row"]) == [2, 3]
    assert set(frame["source_file"]) == {"budget_stated_totals.csv"}


def test_bom_and_nfd_text_are_repaired(tmp_path):
    import unicodedata
    body = unicodedata.normalize("NFD", HEADER + GOOD_ROWS)
    frame = read_table("budget_stated_totals", write(tmp_path, "\ufeff" + body))
    assert frame.loc[0, "label"] == "Tổng kinh phí"
    assert frame.loc[1, "funding_source"] == "central"


def test_text_in_amount_names_file_row_and_column(tmp_path):
    bad = GOOD_ROWS.replace("466.028", "chưa có số")
    with pytest.raises(RawDataError) as err:
        read_table("budget_stated_totals", write(tmp_path, HEADER + bad))
    assert (err.value.file, err.value.row, err.value.column) == ("budget_stated_totals.csv", 2, "Số tiền (triệu đồng)")
    assert "chưa có số" in str(err.value)


def test_negative_amount_is_rejected(tmp_path):
    with pytest.raises(RawDataError, match="số âm"):
        read_table("budget_stated_totals", write(tmp_path, HEADER + GOOD_ROWS.replace("466.028", "-5")))


def test_duplicated_row_names_both_lines(tmp_path):
    with pytest.raises(RawDataError) as err:
        read_table("budget_stated_totals", write(tmp_path, HEADER + GOOD_ROWS + GOOD_ROWS.splitlines()[0] + "\n"))
    assert err.value.row == 4 and "dòng 2" in str(err.value)


def test_unknown_vocabulary_value_lists_valid_ones(tmp_path):
    with pytest.raises(RawDataError) as err:
        read_table("budget_stated_totals", write(tmp_path, HEADER + GOOD_ROWS.replace("Tất cả", "Khác")))
    assert err.value.column == "Loại vốn" and "«Tất cả»" in str(err.value)


def test_missing_and_unknown_columns(tmp_path):
    with pytest.raises(RawDataError, match="thiếu cột"):
        read_table("budget_stated_totals", write(tmp_path, HEADER.replace("Mã nút,", "") + "2022,T1,x,Tổng các nguồn,Tất cả,1,B\n"))
    with pytest.raises(RawDataError, match="Ghi chú"):
        read_table("budget_stated_totals", write(tmp_path, HEADER.strip() + ",Ghi chú\n" + GOOD_ROWS))


def test_empty_required_cell(tmp_path):
    with pytest.raises(RawDataError) as err:
        read_table("budget_stated_totals", write(tmp_path, HEADER + GOOD_ROWS.replace("T2,2022", "T2,")))
    assert (err.value.row, err.value.column) == (3, "Mã nút")


def test_xlsx_with_numeric_cells_reads_like_csv(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([2022, "T1", "2022", "Tổng kinh phí", "Tổng các nguồn", "Tất cả", 466028, "B.III.Tổng"])
    sheet.append([2022, "T2", "2022", "Tổng", "Huy động khác", "Sự nghiệp", "9.780", "B.III.Tổng"])
    book.save(tmp_path / "budget_stated_totals_2022.xlsx")
    frame = read_table("budget_stated_totals", tmp_path)
    assert list(frame["amount_mvnd"]) == [466028.0, 9780.0]
    assert list(frame["source_row"]) == [2, 3]


def test_several_files_of_one_table_are_concatenated_in_name_order(tmp_path):
    write(tmp_path, HEADER + GOOD_ROWS, "budget_stated_totals_2022.csv")
    write(tmp_path, HEADER + "2023,T9,2023,Tổng,Tổng các nguồn,Tất cả,1,B\n", "budget_stated_totals_2023.csv")
    frame = read_table("budget_stated_totals", tmp_path)
    assert list(frame["year"]) == [2022, 2022, 2023]
    assert frame["source_file"].tolist()[-1] == "budget_stated_totals_2023.csv"
