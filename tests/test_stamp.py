"""Content stamps (pipeline/stamp.py) on a temporary root: rewritten only when content changes."""
import os

from pipeline import stamp


def test_a_stamp_is_rewritten_only_when_a_file_changes(tmp_path):
    (tmp_path / "expectations").mkdir()
    suite = tmp_path / "expectations" / "districts.json"
    suite.write_text("{}", encoding="utf-8")
    assert stamp.refresh("suites", tmp_path) is True
    written = (tmp_path / stamp.GROUPS["suites"][0]).stat().st_mtime_ns
    os.utime(suite)  # touch: same content
    assert stamp.refresh("suites", tmp_path) is False
    assert (tmp_path / stamp.GROUPS["suites"][0]).stat().st_mtime_ns == written
    suite.write_text('{"x": 1}', encoding="utf-8")
    assert stamp.refresh("suites", tmp_path) is True


def test_the_pseudonym_key_stamp_changes_with_the_key_and_never_holds_it(tmp_path, monkeypatch):
    key = "a-province-secret-key-0123456789"
    monkeypatch.delenv(stamp.PSEUDONYM_KEY_ENV, raising=False)
    assert stamp.refresh("pseudonym_key", tmp_path) is True
    monkeypatch.setenv(stamp.PSEUDONYM_KEY_ENV, key)
    assert stamp.refresh("pseudonym_key", tmp_path) is True  # a new key: the register stage must run again
    assert stamp.refresh("pseudonym_key", tmp_path) is False
    text = (tmp_path / stamp.PSEUDONYM_KEY_STAMP).read_text(encoding="utf-8")
    assert key not in text and key.encode().hex() not in text
    monkeypatch.setenv(stamp.PSEUDONYM_KEY_ENV, key + "x")
    assert stamp.refresh("pseudonym_key", tmp_path) is True


def test_the_register_stage_depends_on_the_key_stamp():
    """Make reruns the register stage when the key changes (a stale key would join households wrongly)."""
    makefile = (stamp.ROOT / "Makefile").read_text(encoding="utf-8")
    rule = next(line for line in makefile.splitlines() if line.startswith("$(OUT)/registers.done:"))
    assert f"$(IN)/{stamp.PSEUDONYM_KEY_STAMP.name}" in rule
