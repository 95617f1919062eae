"""The register stage's per-file cache (pipeline.registers.stage.RegisterCache) on a small generated province.

A cached run gives the same tables as a run without the cache; changing one register re-parses that file
only; a different pseudonym key or code re-parses every file; an entry whose file is gone is deleted; a
damaged entry is parsed again, never trusted; a file that now fails keeps no entry; repairs made when a
file was parsed are reported again when it is reused. Parse counts come from the cache's `parsed` and
`reused` lists, not from timing.
"""
from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from pipeline import __main__ as cli
from pipeline import manifest, paths, runlog, schema, stamp
from pipeline.registers import stage as register
from pipeline.tools import synthetic_registers as sr
from pipeline.errors import RawDataError
from tests.test_register import KEY_ENV, replace_cell

SCALE = 0.02
SEED = 11
EDITED = "registers/2022/ho_181_2022.csv"


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    """Edited registers are no longer the synthetic sample, so they need a key of their own."""
    monkeypatch.setenv(KEY_ENV, "test-key-for-the-register-cache-0123")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cache_sample") / "registers"
    sr.generate(out, seed=SEED, scale=SCALE)
    return out


@pytest.fixture
def registers(sample, tmp_path) -> Path:
    """A copy of the sample this test may edit."""
    return Path(shutil.copytree(sample, tmp_path / "raw" / "registers"))


@pytest.fixture
def cache(tmp_path) -> register.RegisterCache:
    return register.RegisterCache(tmp_path / "processed" / register.CACHE_SUBDIR)


def names(directory: Path) -> list[str]:
    return [f.name for f in register.find_register_files(directory)]


def edit_file(directory: Path, edit) -> None:
    path = directory.parent / EDITED
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def same_tables(built: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(built) == list(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(built[name], frame, check_exact=True, obj=name)


def written_bytes(tables: dict[str, pd.DataFrame], out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True)
    register.write_tables(tables, out)
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))}


# ---------------------------------------------------------------- cold, warm, one file changed

def test_cold_and_warm_runs_give_the_tables_and_bytes_of_an_uncached_run(registers, cache, tmp_path):
    uncached = register.build_tables(registers)
    cold = register.build_tables(registers, cache=cache)
    assert cache.parsed == names(registers) and cache.reused == []
    warm = register.build_tables(registers, cache=cache)
    assert cache.parsed == [] and cache.reused == names(registers)
    same_tables(cold, uncached)
    same_tables(warm, uncached)
    expected = written_bytes(uncached, tmp_path / "uncached")
    assert written_bytes(cold, tmp_path / "cold") == expected
    assert written_bytes(warm, tmp_path / "warm") == expected


def test_changing_one_register_reparses_that_file_only(registers, cache):
    register.build_tables(registers, cache=cache)
    edit_file(registers, replace_cell(5, "Số nhân khẩu", "31"))
    built = register.build_tables(registers, cache=cache)
    assert cache.parsed == [EDITED]
    assert cache.reused == [n for n in names(registers) if n != EDITED]
    same_tables(built, register.build_tables(registers))
    impossible = built["register_audit"].query("rule == 'impossible_value' and source_file == @EDITED")
    assert 5 in impossible["source_row"].tolist()  # the edit is in the tables, not an old copy


def test_a_new_pseudonym_key_reparses_every_file(registers, cache, monkeypatch):
    first = register.build_tables(registers, cache=cache)
    monkeypatch.setenv(KEY_ENV, "another-key-for-the-register-cache-4567")
    second = register.build_tables(registers, cache=cache)
    assert cache.parsed == names(registers) and cache.reused == []
    assert not set(first["register_households"]["household_key"]) & set(second["register_households"]["household_key"])
    same_tables(second, register.build_tables(registers))


def test_the_key_is_never_stored_in_an_entry(registers, cache):
    register.build_tables(registers, cache=cache)
    key = b"test-key-for-the-register-cache-0123"
    entries = sorted(cache.directory.glob("*/*.parquet"))
    assert len(entries) == len(names(registers))
    assert not [p for p in entries if key in p.read_bytes()]


def test_a_code_change_reparses_every_file(registers, cache, monkeypatch):
    register.build_tables(registers, cache=cache)
    monkeypatch.setattr(register, "code_fingerprint", lambda: "0" * 64)
    register.build_tables(registers, cache=cache)
    assert cache.parsed == names(registers) and cache.reused == []


# ---------------------------------------------------------------- entries that must not be used

def test_the_entry_of_a_removed_file_is_deleted(registers, cache):
    register.build_tables(registers, cache=cache)
    (registers.parent / EDITED).unlink()
    entry = cache.directory / "2022" / "ho_181_2022.parquet"
    assert entry.is_file()
    register.build_tables(registers, cache=cache)
    assert not entry.exists()
    assert len(list(cache.directory.glob("*/*.parquet"))) == len(names(registers)) == len(cache.reused)


def test_a_truncated_entry_is_parsed_again_not_trusted(registers, cache):
    expected = register.build_tables(registers, cache=cache)
    entry = cache.directory / "2022" / "ho_181_2022.parquet"
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    built = register.build_tables(registers, cache=cache)
    assert cache.parsed == [EDITED]
    same_tables(built, expected)
    assert entry.read_bytes() == data  # rewritten whole


def test_a_damaged_data_page_is_parsed_again_not_trusted(registers, cache):
    """The footer (and the stamp in it) is intact, a byte of the column data is not: page checksums catch it."""
    expected = register.build_tables(registers, cache=cache)
    entry = cache.directory / "2022" / "ho_181_2022.parquet"
    data = bytearray(entry.read_bytes())
    data[100] ^= 0xFF
    entry.write_bytes(bytes(data))
    built = register.build_tables(registers, cache=cache)
    assert cache.parsed == [EDITED]
    same_tables(built, expected)


def test_a_file_that_turns_bad_fails_as_without_cache_and_keeps_no_entry(registers, cache):
    register.build_tables(registers, cache=cache)
    edit_file(registers, replace_cell(3, "Số nhân khẩu", "ba"))
    with pytest.raises(RawDataError) as uncached:
        register.build_tables(registers)
    for _ in range(2):  # the second run must fail the same way: nothing was cached for the bad bytes
        with pytest.raises(RawDataError) as cached:
            register.build_tables(registers, cache=cache)
        assert str(cached.value) == str(uncached.value)
        assert not (cache.directory / "2022" / "ho_181_2022.parquet").exists()


# ---------------------------------------------------------------- repairs are reported on every run

def test_repairs_are_reported_again_when_the_file_is_reused(registers, cache, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(runlog, "warn", seen.append)
    edit_file(registers, lambda text: "\ufeff" + unicodedata.normalize("NFD", replace_cell(2, "Mã xã", " 98101 ")(text)))
    uncached = register.build_tables(registers)
    expected, seen[:] = list(seen), []
    assert [w for w in expected if w.startswith(f"{EDITED}: đã sửa khi đọc")]
    cold = register.build_tables(registers, cache=cache)
    assert seen == expected
    seen.clear()
    warm = register.build_tables(registers, cache=cache)
    assert cache.reused == names(registers)
    assert seen == expected  # once per run, in the same order
    same_tables(cold, uncached)
    same_tables(warm, uncached)


# ---------------------------------------------------------------- the CLI: summary, run log, what sees the cache

def test_cli_reports_parsed_and_reused_and_keeps_the_cache_out_of_stamps_and_manifest(sample, tmp_path, monkeypatch,
                                                                                       capsys):
    root = tmp_path / "project"
    shutil.copytree(sample, root / "data" / "raw" / "registers")
    monkeypatch.delenv(KEY_ENV)
    for name, value in (("ROOT", root), ("RAW", root / "data" / "raw"), ("PROCESSED", root / "data" / "processed"),
                        ("REPORTS", root / "reports")):
        monkeypatch.setattr(paths, name, value)
    paths.PROCESSED.mkdir(parents=True)
    total = len(names(root / "data" / "raw" / "registers"))
    for parsed, reused in ((total, 0), (0, total)):
        assert cli.main(["registers"]) == 0
        assert f"đọc lại {parsed} / dùng lại {reused} file (parsed {parsed}, reused {reused})" in capsys.readouterr().out
    record = json.loads((root / "reports" / runlog.LOG_NAME).read_text(encoding="utf-8").splitlines()[-1])
    assert record["register_files"] == {"parsed": [], "reused": names(root / "data" / "raw" / "registers")}
    assert len(list((root / "data" / "processed" / register.CACHE_SUBDIR).glob("*/*.parquet"))) == total
    _, patterns, excluded = stamp.GROUPS["processed"]
    stamped = stamp.listing(patterns, excluded, root)
    assert "data/processed/register_households.parquet" in stamped and "data/processed/registers/" not in stamped
    listed = [p.relative_to(root).as_posix() for p in manifest.project_files(manifest.OUTPUT_PATTERNS, root)]
    assert sorted(listed) == sorted(f"data/processed/{n}.parquet" for n in schema.REGISTER_TABLES)
