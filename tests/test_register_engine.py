"""The DuckDB engine of the register stage: its private folder outside the project, removed after every run
(also after a failed one, and a killed run's by the next run), and no personal value in anything DuckDB
writes there (its database file, write-ahead log and spill files), checked with compression off and
memory so small that DuckDB has to spill.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.errors import RawDataError
from pipeline.registers import engine, stage
from pipeline.tools import synthetic_registers as sr
from tests.test_register import KEY_ENV, leaks, personal_values

SCALE = 0.12  # ≈ 25k households a year: enough rows for DuckDB to spill under SMALL_MEMORY
SMALL_MEMORY = "64MB"


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    out = tmp_path_factory.mktemp("engine") / "registers"
    sr.generate(out, seed=5, scale=SCALE)
    return out


@pytest.fixture(autouse=True)
def demo_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def folders(root: Path) -> list[Path]:
    return sorted(root.glob(f"{engine.TEMP_PREFIX}*"))


def spill_files(con) -> list[Path]:
    """Every file DuckDB has in its folder now (database, write-ahead log, spilled blocks)."""
    folder = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_size > 0)


def copy_all(files: list[Path], folder: Path) -> Path:
    """The files as they are now (DuckDB deletes them when the connection closes)."""
    folder.mkdir()
    for file in files:
        shutil.copy(file, folder)
    return folder


def forced_spill(con, table: str) -> None:
    """A sort wider than the memory limit: DuckDB must write blocks of it to its spill files."""
    con.execute(f"CREATE TEMP TABLE sorted AS SELECT * FROM {table} ORDER BY random()")


def test_no_personal_value_reaches_duckdbs_files(registers, tmp_path):
    with engine.connection(SMALL_MEMORY, tmp_path) as con:
        con.execute("SET force_compression = 'uncompressed'")  # so that a stored text would show as its bytes
        loaded = stage.load(con, registers, {})
        stage.small_tables(con, loaded, registers, {})
        forced_spill(con, stage.ROWS)
        written = spill_files(con)
        assert any(p.name.startswith("duckdb_temp") for p in written), "nothing was spilled: the test proves nothing"
        snapshot = copy_all(written, tmp_path / "snapshot")
    assert leaks([snapshot], personal_values(registers)) == {}


def test_the_scan_would_see_personal_values_in_duckdbs_files(registers, tmp_path):
    """The control: the same settings, with the personal columns stored on purpose, are found by the scan."""
    path = str(next(registers.glob("2022/ho_*.csv"))).replace("'", "''")
    with engine.connection(SMALL_MEMORY, tmp_path) as con:
        con.execute("SET force_compression = 'uncompressed'")
        con.execute(f"CREATE TABLE personal AS SELECT \"Họ và tên chủ hộ\", \"Số CCCD/CMND\", \"Địa chỉ\", \"Mã hộ\" "
                    f"FROM read_csv('{path}', all_varchar = true)")
        con.execute("CHECKPOINT")
        snapshot = copy_all(spill_files(con), tmp_path / "snapshot")
    assert leaks([snapshot], personal_values(registers))


def test_the_folder_is_outside_the_project_and_gone_after_the_run(registers, tmp_path):
    with engine.connection(temp_root=tmp_path) as con:
        folder = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
        assert folder.parent == tmp_path and folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
        stage.load(con, registers, {})
    assert folders(tmp_path) == []


def test_the_folder_is_removed_after_a_failed_run(registers, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    shutil.copytree(registers, broken)
    path = broken / "2022" / "ho_181_2022.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",Nông thôn,", ",Miền núi,", 1), encoding="utf-8")
    monkeypatch.setenv(KEY_ENV, "a-key-for-an-edited-sample-0123")  # an edited sample needs a real key
    with pytest.raises(RawDataError, match="Miền núi"):
        stage.build_tables(broken, temp_root=tmp_path)
    assert folders(tmp_path) == []


def test_a_killed_runs_folder_is_removed_by_the_next_run_and_a_live_ones_kept(tmp_path):
    dead = tmp_path / f"{engine.TEMP_PREFIX}{2**22 + 12345}-abandoned"  # above Linux's default pid_max
    alive = tmp_path / f"{engine.TEMP_PREFIX}{os.getpid()}-running"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "duckdb_temp_block.tmp").write_bytes(b"x")
    with engine.connection(temp_root=tmp_path):
        pass
    assert folders(tmp_path) == [alive]
