"""The household-register stage (pipeline/registers/stage.py) on registers made by the generator.

(a) the audit finds exactly the anomalies the generator manifest lists, by kind and by (file, line);
(b) province and district totals equal the manifest's targets, and on the full-scale registers of the built
    project the published province figures (written out by hand below, with their public sources);
(c) no personal value of the registers (head's name, ID number, address, raw household id) appears in any
    file the stage and the GX gate write, scanned as bytes and as text (parquet cells, zip members);
(e) unreadable input stops with a RawDataError naming file, line and column.
Tests that read the built project (tests/conftest.py: full-scale registers, the gate's page, the
reports) are end-to-end (marked e2e); the rest are fast, on a small generated province.
The GX suites of the register tables: tests/test_register_suites.py. Aggregates on hand-written frames:
tests/test_register_aggregates.py.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import shutil
import subprocess
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import __main__ as cli
from pipeline import paths, schema
from pipeline.registers import files as register_files
from pipeline.registers import stage as register
from pipeline.tools import synthetic_registers as sr
from pipeline.errors import PipelineError, RawDataError

# Published province figures under NĐ 07/2021 (end-2021: trangtraiviet.danviet.vn 16/9/2025, vietnam.vn 26/11/2025;
# end-2024: danviet.vn, tapchikinhtetaichinh.vn), copied by hand: (households, poor, near-poor).
# Households = round(poor / published rate): 23,511 / 12.20 % = 192,713.1; 6,912 / 3.36 % = 205,714.3.
PUBLISHED = {2021: (192_713, 23_511, 23_247), 2024: (205_714, 6_912, 16_451)}
PERSONAL_HEADERS = ("Họ và tên chủ hộ", "Số CCCD/CMND", "Địa chỉ", "Mã hộ")
DUPLICATE = "duplicate_id_across_districts"
KEY_ENV = register_files.PSEUDONYM_KEY_ENV


# ---------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    """A key for tests that edit registers (an edited file is no longer the synthetic sample); tests of the
    demo key remove it."""
    monkeypatch.setenv(KEY_ENV, "test-key-for-edited-registers-0123")


@pytest.fixture(scope="module")
def sample(small_registers):
    """A small synthetic province (≈ 4k households a year) and its generator manifest (tests/conftest.py)."""
    return small_registers


@pytest.fixture(scope="module")
def tables(small_register_tables):
    return small_register_tables


@contextmanager
def project_root(sample_dir: Path, root: Path):
    """A project root whose data/raw/registers is a copy of `sample_dir`, the paths pointed at it, no key set."""
    shutil.copytree(sample_dir, root / "data" / "raw" / "registers")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        for name, value in (("ROOT", root), ("RAW", root / "data" / "raw"), ("PROCESSED", root / "data" / "processed"),
                            ("REPORTS", root / "reports"), ("GATE_PAGE", root / "reports" / "gate" / "index.html")):
            mp.setattr(paths, name, value)
        paths.PROCESSED.mkdir(parents=True)
        yield root


@pytest.fixture(scope="module")
def project(sample, tmp_path_factory) -> Path:
    """A project root whose data/raw/registers is the sample, where `python -m pipeline registers` has run,
    writing data/processed/ and reports/run_log.jsonl. (What the GX gate writes from the register tables, its
    page included, is scanned for personal values on the built project: test_no_personal_value_in_the_built_projects_outputs.)"""
    with project_root(sample[0], tmp_path_factory.mktemp("project")) as root:
        assert cli.main(["registers"]) == 0
    return root


def located(file: str, line: int) -> tuple[str, int]:
    """A manifest location as register_audit names it (source_file is relative to data/raw)."""
    return f"{register_files.REGISTERS_SUBDIR}/{file}", int(line)


# ---------------------------------------------------------------- (a) the planted anomalies, exactly

def test_audit_finds_exactly_the_planted_anomalies(sample, tables):
    _, manifest = sample
    audit = tables["register_audit"]
    found = {(r.rule, r.source_file, r.source_row) for r in audit.itertuples()}
    planted = {(a["kind"], *located(a["file"], a["line"])) for a in manifest["anomalies"] if a["kind"] != DUPLICATE}
    # A duplicated id is reported on every row that carries it: the copy and the household it was copied from.
    planted |= {(DUPLICATE, *located(place["file"], place["line"])) for a in manifest["anomalies"]
                if a["kind"] == DUPLICATE for place in (a, a["also_in"])}
    assert found == planted
    assert len(audit) == len(found)  # one finding per row here: every planted row breaks exactly one rule


def test_audit_counts_by_kind_match_the_manifest(sample, tables):
    _, manifest = sample
    counts = tables["register_audit"]["rule"].value_counts().to_dict()
    expected = {kind: v["total"] * (2 if kind == DUPLICATE else 1) for kind, v in manifest["anomaly_counts"].items()}
    assert counts == expected
    assert set(expected) == {"class_inconsistent", "score_b_mismatch", DUPLICATE, "impossible_value"}


def test_impossible_values_name_the_planted_column(sample, tables):
    _, manifest = sample
    audit = tables["register_audit"]
    found = {(r.source_file, r.source_row, r.column) for r in audit[audit["rule"] == "impossible_value"].itertuples()}
    planted = {(*located(a["file"], a["line"]), a["column"]) for a in manifest["anomalies"] if a["kind"] == "impossible_value"}
    assert found == planted


def test_has_anomaly_flags_exactly_the_audited_rows(tables):
    households, audit = tables["register_households"], tables["register_audit"]
    flagged = set(zip(households.loc[households["has_anomaly"], "source_file"],
                      households.loc[households["has_anomaly"], "source_row"]))
    assert flagged == set(zip(audit["source_file"], audit["source_row"]))


def test_audit_details_are_vietnamese_and_name_the_other_row_of_a_duplicate(sample, tables):
    _, manifest = sample
    audit = tables["register_audit"].set_index(["source_file", "source_row", "rule"])
    entry = next(a for a in manifest["anomalies"] if a["kind"] == DUPLICATE)
    detail = audit.loc[(*located(entry["file"], entry["line"]), DUPLICATE), "detail"]
    partner = located(entry["also_in"]["file"], entry["also_in"]["line"])
    assert detail == f"Mã hộ trùng với {partner[0]} dòng {partner[1]} (cùng năm {entry['year']})"
    entry = next(a for a in manifest["anomalies"] if a["kind"] == "score_b_mismatch")
    detail = audit.loc[(*located(entry["file"], entry["line"]), "score_b_mismatch"), "detail"]
    assert detail.startswith(f"Điểm B = {entry['planted']} nhưng có {entry['original'] // 10} chỉ số thiếu hụt = 1")


# ---------------------------------------------------------------- (b) totals

def province(tables: dict, year: int) -> pd.Series:
    poverty = tables["district_poverty"]
    (index,) = poverty.index[(poverty["review_year"] == year) & (poverty["district_code"] == schema.PROVINCE_CODE)]
    return poverty.loc[index]


def test_province_totals_equal_the_manifest_targets(sample, tables):
    _, manifest = sample
    for year, target in manifest["targets"].items():
        row = province(tables, int(year))
        assert (row.households, row.poor_hh, row.near_poor_hh) == \
            (target["households"], target["poor"], target["near_poor"]), year


def test_district_counts_equal_the_manifest(sample, tables):
    _, manifest = sample
    poverty = tables["district_poverty"].set_index(["review_year", "district_code"])
    for year, districts in manifest["district_counts"].items():
        for code, counts in districts.items():
            row = poverty.loc[(int(year), code)]
            assert (row.households, row.poor_hh, row.near_poor_hh, row.average_hh) == \
                (counts["rows"], counts["poor"], counts["near_poor"], counts["average"]), (year, code)


def test_flows_match_the_manifest_within_the_duplicated_ids(sample, tables):
    """The manifest counts flows by true identity; a copied id hides its own household for that year, so a
    route count may differ by at most the number of duplicated ids of the two years. Start and end are exact."""
    _, manifest = sample
    flows = tables["district_flows"]
    duplicates = manifest["province_counts"]
    for pair, expected in manifest["flows"].items():
        before, after = map(int, pair.split("-"))
        (index,) = flows.index[(flows["review_year"] == after) & (flows["district_code"] == schema.PROVINCE_CODE)]
        row = flows.loc[index]
        assert (row.poor_start, row.poor_end, row.near_poor_start, row.near_poor_end) == \
            (expected["poor_start"], expected["poor_end"], expected["near_poor_start"], expected["near_poor_end"])
        tolerance = duplicates[str(before)]["duplicate_id_pairs"] + duplicates[str(after)]["duplicate_id_pairs"]
        for route in ("poor_to_near_poor", "poor_exited", "poor_left", "near_poor_to_poor", "re_poor", "new_poor",
                      "new_household_poor", "above_to_near_poor"):
            assert abs(row[route] - expected[route]) <= tolerance, (pair, route)
    assert (flows["poor_identity_gap"] == 0).all() and (flows["near_poor_identity_gap"] == 0).all()


@pytest.fixture(scope="module")
def full_scale(built_project) -> dict[str, pd.DataFrame]:
    """The register tables the built project made from the full-scale synthetic registers (make sample-data)."""
    processed = built_project.root / "data" / "processed"
    return {name: pd.read_parquet(processed / f"{name}.parquet") for name in ("district_poverty", "register_audit")}


@pytest.mark.e2e
def test_full_scale_province_totals_equal_the_published_figures(full_scale):
    """The register stage's province rows (district_poverty) of the full-scale synthetic registers: the
    end-2021 baseline and the end-2024 figures, both under NĐ 07/2021 (the end-2021 review included)."""
    for year, (households, poor, near_poor) in PUBLISHED.items():
        row = province(full_scale, year)
        assert (row.households, row.poor_hh, row.near_poor_hh) == (households, poor, near_poor), year
        assert round(row.poor_rate_pct, 2) == {2021: 12.20, 2024: 3.36}[year]
        assert row.standard == "nd07_2021", year


@pytest.mark.e2e
def test_full_scale_audit_matches_the_shipped_manifest(full_scale, built_project):
    registers = built_project.root / "data" / "raw" / register_files.REGISTERS_SUBDIR
    manifest = json.loads((registers / register_files.SYNTHETIC_MANIFEST).read_text(encoding="utf-8"))
    assert manifest["scale"] == 1.0
    counts = full_scale["register_audit"]["rule"].value_counts().to_dict()
    assert counts == {kind: v["total"] * (2 if kind == DUPLICATE else 1) for kind, v in manifest["anomaly_counts"].items()}


# ---------------------------------------------------------------- (c) nothing personal in any output

TOKEN = re.compile(r"[\w-]+")


def personal_values(registers_dir: Path) -> set[str]:
    """Every name, ID number, address and raw household id in the register files, read as text."""
    values: set[str] = set()
    for path in sorted(registers_dir.glob("*/ho_*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=list(PERSONAL_HEADERS), engine="pyarrow")
        for header in PERSONAL_HEADERS:
            values.update(frame[header].unique().tolist())
    values.discard("")
    return values


def output_views(path: Path) -> tuple[list[str], str]:
    """(texts to look for words in, the raw bytes as text). A parquet file is read as its cells and a zip (xlsx)
    as its members, since their bytes are compressed; every other file is its bytes decoded."""
    data = path.read_bytes()
    raw = data.decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return ["\n".join(map(str, table.column(c).unique().to_pylist())) for c in table.column_names], raw
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist()], raw
    return [raw], raw


def leaks(folders: list[Path], values: set[str]) -> dict[str, list[str]]:
    """{file: personal values found in it}. Values whose every word occurs in some output are candidates;
    only those are searched for as substrings, in the texts and in the raw bytes (100k values × MBs of text
    would otherwise take minutes)."""
    views = {p: output_views(p) for folder in folders if folder.exists() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert views, "nothing to scan"
    seen = {token for texts, _ in views.values() for text in texts for token in TOKEN.findall(text)}
    candidates = [v for v in values if all(t in seen for t in TOKEN.findall(v))]
    found = {}
    for path, (texts, raw) in views.items():
        hits = sorted(v for v in candidates if any(v in text for text in (*texts, raw)))
        if hits:
            found[str(path)] = hits
    return found


def test_scan_finds_a_planted_leak(sample, tmp_path):
    """The scanner itself: a name, an ID number, an address and a raw id hidden in a parquet cell, an xlsx
    cell and an HTML page are all found."""
    frame = pd.read_csv(next(sample[0].glob("2022/ho_*.csv")), dtype=str, keep_default_na=False, nrows=3)
    name, number, address = frame.loc[0, "Họ và tên chủ hộ"], frame.loc[1, "Số CCCD/CMND"], frame.loc[2, "Địa chỉ"]
    raw_id = frame.loc[0, "Mã hộ"]
    pd.DataFrame({"x": [f"hộ của {name}", "a"], "y": [number, "b"]}).to_parquet(tmp_path / "t.parquet")
    pd.DataFrame({"x": [address]}).to_excel(tmp_path / "t.xlsx", index=False)
    (tmp_path / "t.html").write_text(f"<td>{raw_id}</td>", encoding="utf-8")
    found = leaks([tmp_path], personal_values(sample[0]))
    assert found == {str(tmp_path / "t.parquet"): sorted([name, number]), str(tmp_path / "t.xlsx"): [address],
                     str(tmp_path / "t.html"): [raw_id]}


def test_no_personal_value_in_any_file_the_stage_writes(sample, project):
    root = project
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                     and not p.is_relative_to(root / "data" / "raw"))
    assert sorted(written) == sorted(["reports/run_log.jsonl",
                                      *(f"data/processed/{n}.parquet" for n in schema.REGISTER_TABLES)])
    values = personal_values(sample[0])
    assert len(values) > 4 * 3000  # names, ID numbers, addresses and ids of ≈ 4k households were collected
    assert leaks([root / "data" / "processed", root / "reports"], values) == {}


@pytest.mark.e2e
def test_no_personal_value_in_the_built_projects_outputs(built_project):
    """Everything make wrote from the full-scale registers: processed tables, the gate's results and page,
    the reports, the run log."""
    root = built_project.root
    values = personal_values(root / "data" / "raw" / register_files.REGISTERS_SUBDIR)
    assert len(values) > 4 * 100_000
    assert leaks([root / "data" / "processed", root / "reports"], values) == {}


def test_register_tables_have_no_personal_columns(tables):
    for name, frame in tables.items():
        assert not set(frame.columns) & {"household_id", "head_name", "id_number", "address"}, name


def test_registers_processed_data_and_reports_are_kept_out_of_git():
    if not (paths.ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    probes = ["data/raw/registers/2022/ho_181_2022.csv", "data/raw/registers/SYNTHETIC.json",
              "data/processed/register_households.parquet", "reports/run_log.jsonl"]
    ignored = subprocess.run(["git", "check-ignore", *probes], cwd=paths.ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == probes
    tracked = subprocess.run(["git", "ls-files", "data/raw/registers"], cwd=paths.ROOT, capture_output=True, text=True)
    assert tracked.stdout == ""


# ---------------------------------------------------------------- the CLI and its run-log line

def test_cli_writes_every_register_table_and_one_run_log_line(project):
    root = project
    lines = [json.loads(x) for x in (root / "reports" / "run_log.jsonl").read_text(encoding="utf-8").splitlines()]
    (record,) = [x for x in lines if x["stage"] == "registers"]
    assert record["status"] == "ok" and record["warnings"] == []
    assert len(record["inputs"]) == 44 + 1  # 11 districts × 4 years, and SYNTHETIC.json
    assert sorted(o["file"] for o in record["outputs"]) == sorted(f"data/processed/{n}.parquet" for n in schema.REGISTER_TABLES)


def test_a_second_run_writes_the_same_bytes(sample, project, tmp_path):
    with project_root(sample[0], tmp_path) as second:
        assert cli.main(["registers"]) == 0
    for name in schema.REGISTER_TABLES:
        table = f"data/processed/{name}.parquet"
        assert (project / table).read_bytes() == (second / table).read_bytes(), name


def test_the_tables_written_equal_the_tables_built(project, tables):
    """The CLI copies register_households from DuckDB to parquet; build_tables fetches it into pandas."""
    for name in schema.REGISTER_TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(project / "data" / "processed" / f"{name}.parquet"),
                                      tables[name], obj=name)


def test_tables_follow_the_data_dictionary(tables):
    for name, spec in schema.REGISTER_TABLES.items():
        assert {c: str(t) for c, t in tables[name].dtypes.items()} == {c: d for c, (d, _) in spec.items()}, name


def test_register_inputs_lists_every_file_with_its_hash(sample, tables):
    out, manifest = sample
    inputs = tables["register_inputs"].set_index("file")
    for name, record in manifest["files"].items():
        row = inputs.loc[f"registers/{name}"]
        assert (row.sha256, row.bytes, row.kind) == (record["sha256"], record["bytes"], "register")
    synthetic = inputs.loc["registers/SYNTHETIC.json"]
    assert synthetic.sha256 == hashlib.sha256((out / "SYNTHETIC.json").read_bytes()).hexdigest()
    assert inputs["rows"].sum() == sum(v["rows"] for v in manifest["province_counts"].values())


def test_contract_headers_are_the_generators(tables):
    assert [c.header for c in schema.REGISTER_RAW.columns] == [h for h, _ in sr.COLUMNS]


# ---------------------------------------------------------------- pseudonymisation

def one_file_registers(sample, tmp_path: Path, edit=None, synthetic: bool = True, name: str = "2022/ho_181_2022.csv",
                       source: str = "2022/ho_181_2022.csv") -> Path:
    """A registers folder holding one district file of the sample (`source`) as `name`, optionally edited as text."""
    directory = tmp_path / "registers"
    target = directory / name
    target.parent.mkdir(parents=True)
    text = (sample[0] / source).read_text(encoding="utf-8")
    target.write_text(edit(text) if edit else text, encoding="utf-8")
    if synthetic:
        shutil.copy(sample[0] / register_files.SYNTHETIC_MANIFEST, directory)
    return directory


def read_one(directory: Path) -> pd.DataFrame:
    """register_households of a folder holding one register file."""
    (_,) = register_files.find_register_files(directory)
    return register.build_tables(directory)["register_households"]


def test_household_key_is_the_hmac_of_the_id_with_the_key_from_the_environment(sample, tmp_path, monkeypatch):
    key = "a-secret-key-of-32-characters-xx"
    monkeypatch.setenv(KEY_ENV, key)
    directory = one_file_registers(sample, tmp_path, synthetic=False)
    frame = read_one(directory)
    raw = pd.read_csv(directory / "2022" / "ho_181_2022.csv", dtype=str, keep_default_na=False)
    expected = [hmac.new(key.encode(), i.encode(), hashlib.sha256).hexdigest()[:16] for i in raw["Mã hộ"]]
    assert frame["household_key"].tolist() == expected


def test_synthetic_registers_without_a_key_use_the_published_demo_key(sample, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    frame = read_one(one_file_registers(sample, tmp_path))
    raw = pd.read_csv(sample[0] / "2022" / "ho_181_2022.csv", dtype=str, keep_default_na=False, nrows=1)
    assert frame.loc[0, "household_key"] == hmac.new(register_files.DEMO_PSEUDONYM_KEY.encode(), raw.loc[0, "Mã hộ"].encode(),
                                                     hashlib.sha256).hexdigest()[:16]


def test_real_registers_without_a_key_are_refused_with_how_to_set_one(sample, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PipelineError, match=f"export {KEY_ENV}="):
        register.build_tables(one_file_registers(sample, tmp_path, synthetic=False))


def test_an_edited_file_in_the_synthetic_folder_needs_a_real_key_and_stays_labelled_synthetic(sample, tmp_path,
                                                                                               monkeypatch, capsys):
    """SYNTHETIC.json must list every file with its sha256, or the public demo key is not used; the figures
    stay labelled synthetic while SYNTHETIC.json is there (an edited sample is still not an official figure)."""
    monkeypatch.delenv(KEY_ENV)
    directory = one_file_registers(sample, tmp_path, replace_cell(2, "Họ và tên chủ hộ", "Hộ Thật Sự"))
    with pytest.raises(PipelineError, match=KEY_ENV):
        register.build_tables(directory)
    assert "không phải file do bộ sinh dữ liệu giả lập" in capsys.readouterr().err
    monkeypatch.setenv(KEY_ENV, "a-real-key-of-at-least-16")
    assert register.build_tables(directory)["district_poverty"]["synthetic"].all()
    (directory / register_files.SYNTHETIC_MANIFEST).unlink()
    assert not register.build_tables(directory)["district_poverty"]["synthetic"].any()


def test_a_short_key_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PipelineError, match="quá ngắn"):
        register_files.pseudonym_key(synthetic=True)


def test_the_same_household_keeps_its_key_across_years(tables):
    households = tables["register_households"]
    per_key = households.groupby("household_key")["review_year"].nunique()
    assert (per_key == 4).mean() > 0.8  # most households are on all four registers (exit rate 1.2 % a year)


# ---------------------------------------------------------------- (e) unreadable input: file, line, column

def error_of(sample, tmp_path, edit, name: str = "2022/ho_181_2022.csv", source: str = "2022/ho_181_2022.csv") -> RawDataError:
    with pytest.raises(RawDataError) as caught:
        register.build_tables(one_file_registers(sample, tmp_path, edit, name=name, source=source))
    return caught.value


def replace_cell(line: int, header: str, value: str):
    """An edit putting `value` in one cell (line counted with the header as 1)."""
    def edit(text: str) -> str:
        rows = list(csv.reader(io.StringIO(text)))
        rows[line - 1][rows[0].index(header)] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue()
    return edit


def rename_header(old: str, new: str):
    return lambda text: text.replace(old, new, 1)


@pytest.mark.parametrize("edit, line, column, words", [
    (rename_header("Dân tộc thiểu số", "Ghi chú"), 1, "Ghi chú", "cột không có trong hợp đồng"),
    (rename_header(",Mã xã,", ","), 1, "Mã xã", "thiếu cột bắt buộc"),
    (replace_cell(5, "Năm rà soát", "2021"), 5, "Năm rà soát", "năm «2021» nằm trong file của năm 2022"),
    (replace_cell(7, "Mã huyện", "184"), 7, "Mã huyện", "mã huyện «184» nằm trong file của huyện 181"),
    (replace_cell(9, "Thu nhập bình quân (đồng/người/tháng)", "khoảng 2 triệu"), 9,
     "Thu nhập bình quân (đồng/người/tháng)", "không phải số"),
    (replace_cell(9, "Thu nhập bình quân (đồng/người/tháng)", "1.5"), 9,
     "Thu nhập bình quân (đồng/người/tháng)", "không phải số"),
    (replace_cell(4, "Số nhân khẩu", "3,5"), 4, "Số nhân khẩu", "không phải số nguyên"),
    (replace_cell(6, "TH03 Dinh dưỡng", "có"), 6, "TH03 Dinh dưỡng", "không phải số nguyên"),
    (replace_cell(8, "Điểm A", ""), 8, "Điểm A", "ô trống ở cột bắt buộc"),
    (replace_cell(10, "Mã hộ", "   "), 10, "Mã hộ", "ô trống ở cột bắt buộc"),  # only spaces: empty once cleaned
    (replace_cell(3, "Khu vực", "Miền núi"), 3, "Khu vực", "giá trị «Miền núi» không hợp lệ"),
    (replace_cell(3, "Phân loại", "Nghèo"), 3, "Phân loại", "không hợp lệ"),
])
def test_unreadable_cells_stop_with_file_line_and_column(sample, tmp_path, edit, line, column, words):
    error = error_of(sample, tmp_path, edit)
    assert (error.file, error.row, error.column) == ("registers/2022/ho_181_2022.csv", line, column)
    assert words in error.problem


def test_a_2021_register_without_score_a_is_refused(sample, tmp_path):
    """The end-2021 review classifies by NĐ 07/2021 (Art. 3; KH 177/KH-UBND of 17/8/2021), whose class needs
    Điểm A: an empty A in a 2021 file stops the run like any empty required cell, naming file, line and column."""
    name = "2021/ho_181_2021.csv"
    error = error_of(sample, tmp_path, replace_cell(8, "Điểm A", ""), name=name, source=name)
    assert (error.file, error.row, error.column) == (f"registers/{name}", 8, "Điểm A")
    assert "ô trống ở cột bắt buộc" in error.problem
    # the whole column empty, as a register scored the QĐ 59 way would leave it: the first row is named
    def no_score_a(text: str) -> str:
        for line in range(2, text.count("\n") + 1):
            text = replace_cell(line, "Điểm A", "")(text)
        return text
    error = error_of(sample, tmp_path / "b", no_score_a, name=name, source=name)
    assert (error.row, error.column) == (2, "Điểm A") and "ô trống ở cột bắt buộc" in error.problem


def test_2021_households_are_audited_under_nd07(sample, tables):
    """A class_inconsistent finding of 2021 explains itself by NĐ 07/2021 with A, B and income (the values the
    class depends on), as in the later years; the rules' class comes from the same standard."""
    _, manifest = sample
    audit = tables["register_audit"]
    found = audit[(audit["review_year"] == 2021) & (audit["rule"] == "class_inconsistent")]
    planted = [a for a in manifest["anomalies"] if a["kind"] == "class_inconsistent" and a["year"] == 2021]
    assert len(found) == len(planted) > 0
    assert all(a["column"] == "Điểm A" for a in planted)
    for detail in found["detail"]:
        assert "theo NĐ 07/2021/NĐ-CP" in detail and ", A = " in detail and "thu nhập " in detail, detail
    households = tables["register_households"]
    assert set(households.loc[households["review_year"] == 2021, "standard"]) == {"nd07_2021"}


def test_an_extra_cell_names_its_line(sample, tmp_path):
    def extra(text: str) -> str:
        lines = text.split("\n")
        lines[6] += ",thừa"
        return "\n".join(lines)
    error = error_of(sample, tmp_path, extra)
    assert error.row == 7 and "ngoài các cột có tiêu đề" in error.problem


def test_a_short_row_names_its_line(sample, tmp_path):
    def cut(text: str) -> str:
        lines = text.split("\n")
        lines[11] = ",".join(lines[11].split(",")[:10])
        return "\n".join(lines)
    error = error_of(sample, tmp_path, cut)
    assert error.row == 12 and "dòng chỉ có 10 ô" in error.problem


def test_an_encoding_error_in_a_personal_cell_does_not_quote_the_cell(sample, tmp_path):
    """ingest quotes a non-UTF-8 cell as a legacy encoding reads it; for a name that would print the name."""
    directory = one_file_registers(sample, tmp_path)
    path = directory / "2022" / "ho_181_2022.csv"
    name = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=1).loc[0, "Họ và tên chủ hộ"]
    data = path.read_bytes()
    path.write_bytes(data.replace(name.encode("utf-8"), name.encode("cp1258", errors="replace"), 1))
    with pytest.raises(RawDataError) as caught:
        register.build_tables(directory)
    assert (caught.value.row, caught.value.column) == (2, "Họ và tên chủ hộ")
    assert name.split()[0] not in str(caught.value) and "không được in ra" in caught.value.problem


def test_a_header_only_file_is_refused(sample, tmp_path):
    error = error_of(sample, tmp_path, lambda text: text.split("\n", 1)[0] + "\n")
    assert (error.row, error.column) == (None, None) and "không có dòng dữ liệu" in error.problem


def test_impossible_values_are_findings_not_errors(sample, tmp_path):
    edits = [replace_cell(2, "Mã xã", "9810"), replace_cell(3, "Số nhân khẩu", "31"),
             replace_cell(4, "TH05 Trình độ giáo dục của người lớn", "-1")]
    def edit(text: str) -> str:
        for change in edits:
            text = change(text)
        return text
    audit = register.build_tables(one_file_registers(sample, tmp_path, edit))["register_audit"]
    edited = audit[(audit["rule"] == "impossible_value") & audit["source_row"].isin([2, 3, 4])]
    found = edited[["source_row", "column", "detail"]].values.tolist()
    assert found == [[2, "Mã xã", "«Mã xã» = «9810»: mã xã phải gồm 5 chữ số"],
                     [3, "Số nhân khẩu", "«Số nhân khẩu» = 31: ngoài khoảng 1–30 người"],
                     [4, "TH05 Trình độ giáo dục của người lớn",
                      "«TH05 Trình độ giáo dục của người lớn» = -1: chỉ số thiếu hụt chỉ nhận 0 hoặc 1"]]


def test_a_file_name_off_the_contract_is_refused(sample, tmp_path):
    assert "tên file" in error_of(sample, tmp_path, None, name="2022/ho_181.csv").problem
    assert "năm rà soát 2025" in error_of(sample, tmp_path / "b", None, name="2025/ho_181_2025.csv").problem
    assert "mã huyện «179»" in error_of(sample, tmp_path / "c", None, name="2022/ho_179_2022.csv").problem


# ---------------------------------------------------------------- what is repaired or accepted

def test_vietnamese_number_notation_is_read(sample, tmp_path):
    edit = replace_cell(2, "Thu nhập bình quân (đồng/người/tháng)", "1.500.000")
    frame = read_one(one_file_registers(sample, tmp_path, edit))
    assert frame.loc[0, "income_per_capita"] == 1_500_000.0
    edit = replace_cell(2, "Điểm A", "140,5")
    assert read_one(one_file_registers(sample, tmp_path / "b", edit)).loc[0, "score_a"] == 140.5


def test_nfd_text_bom_and_stray_spaces_are_repaired_and_logged(sample, tmp_path, capsys):
    import unicodedata
    def edit(text: str) -> str:
        return "\ufeff" + unicodedata.normalize("NFD", replace_cell(2, "Mã xã", " 98101 ")(text))
    frame = read_one(one_file_registers(sample, tmp_path, edit))
    expected = read_one(one_file_registers(sample, tmp_path / "b"))
    assert frame.loc[0, "commune_code"] == "98101"
    pd.testing.assert_frame_equal(frame.iloc[1:], expected.iloc[1:])
    warning = capsys.readouterr().err
    assert "chuẩn hoá Unicode NFC" in warning and "bỏ khoảng trắng thừa 1 ô" in warning and "bỏ BOM" in warning


def test_a_multi_line_address_keeps_the_line_numbers_right(sample, tmp_path):
    """A quoted line break in a personal cell (never read) shifts the lines of the rows after it."""
    edit = replace_cell(3, "Địa chỉ", "Thôn 2,\nxã 98101")
    frame = read_one(one_file_registers(sample, tmp_path, edit))
    assert frame["source_row"].tolist()[:4] == [2, 3, 5, 6]


def test_xlsx_register_reads_like_the_csv(sample, tmp_path):
    csv_frame = read_one(one_file_registers(sample, tmp_path))
    raw = pd.read_csv(sample[0] / "2022" / "ho_181_2022.csv", dtype=str, keep_default_na=False)
    numeric = [h for h in raw.columns if h not in ("Mã hộ", "Mã huyện", "Mã xã", "Khu vực", "Phân loại",
                                                    "Dân tộc thiểu số", "Họ và tên chủ hộ", "Số CCCD/CMND", "Địa chỉ")]
    raw[numeric] = raw[numeric].apply(pd.to_numeric)  # numbers as Excel stores them
    directory = tmp_path / "x" / "registers"
    (directory / "2022").mkdir(parents=True)
    raw.to_excel(directory / "2022" / "ho_181_2022.xlsx", index=False)
    shutil.copy(sample[0] / register_files.SYNTHETIC_MANIFEST, directory)
    xlsx_frame = read_one(directory)
    assert (xlsx_frame["source_file"] == "registers/2022/ho_181_2022.xlsx").all()
    pd.testing.assert_frame_equal(xlsx_frame.drop(columns="source_file"), csv_frame.drop(columns="source_file"))


def test_a_missing_district_is_a_warning_not_an_error(sample, tmp_path, capsys):
    build = register.build_tables(one_file_registers(sample, tmp_path))
    assert len(build["register_households"]) > 0
    assert "sổ hộ năm 2022 thiếu huyện 178, 180" in capsys.readouterr().err


def test_no_registers_is_a_clear_error(tmp_path):
    with pytest.raises(PipelineError, match="make sample-data"):
        register.build_tables(tmp_path)


@pytest.mark.parametrize("key", [b"sixteen-byte-key", b"k" * 64, b"a key longer than sha-256's block of sixty-four bytes...",
                                 "khóa-bí-mật-của-tỉnh-Lạng-Sơn".encode("utf-8")])
def test_the_sql_keyed_hash_is_hmac_sha256(key):
    """The register stage hashes ids in DuckDB (two SHA-256 passes over the key's pads): Python's hmac agrees,
    for keys shorter and longer than SHA-256's 64-byte block."""
    import duckdb

    from pipeline.registers import contract

    ids = ["HH-181-0000001", "HH-189-9999999", "mã hộ có dấu", ""]
    con = duckdb.connect()
    for macro in contract.macros():
        con.execute(macro)
    got = [r[0] for r in con.execute(f"SELECT key_hex({contract.key_sql('id')}) FROM (SELECT unnest($ids) AS id)",
                                     {"ids": ids, **contract.hmac_pads(key)}).fetchall()]
    assert got == [hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for i in ids]
