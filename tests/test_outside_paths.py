"""Nothing in the project, and nothing it writes, points at a path outside the project.

A reader has the project and nothing else: a reference to the developers' shared folder (the sibling folder
named "shared", its reference notes), to the machine's work area, to a home or temporary folder, names no
file the reader can open, and an absolute path in an output also tells where it was built. The fast test
scans every git-tracked text file; the end-to-end test scans everything the built project wrote (reports,
processed tables and their string columns, run records, manifests, stamps, the synthetic-register manifest)
and looks for the built project's own folder too. The patterns are written so that this file does not
match them itself.
"""
from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipeline import paths

# A path segment that only stands for "some user" or "some run": generic examples are not leaks.
_GENERIC = r"(?:user|username|you|me|name|example|\.\.\.|…|<[^<>/]*>|\$\{?\w+\}?)(?![\w.-])"
# An absolute path starts the text, follows a quote, space, "=", "(" …, or a file:// URL; not a URL's path
# ("https://host/…") or a relative one ("xl/worksheets/…").
_ABSOLUTE = r"(?:(?<=file://)|(?<![\w.:/~\\-]))"
NOTE = "a reference note outside the project"
OUTSIDE = {
    "the shared folder beside the project": re.compile(r"\.\./+shared\b|\bshared/+(?:reference|sources)\b"),
    "the machine's work area": re.compile(_ABSOLUTE + r"/(?:work)/"),
    "a home folder": re.compile(_ABSOLUTE + r"(?:/(?:home|Users)/(?!" + _GENERIC + r")[\w.-]+|/(?:root)/)"
                                r"|\b[A-Za-z]:\\+(?:Users|home)\\+(?!" + _GENERIC + r")[\w.-]+"),
    "a temporary folder": re.compile(_ABSOLUTE + r"/(?:tmp|var/tmp|var/folders|private/var)/(?!" + _GENERIC + r")[\w.-]+"),
    NOTE: re.compile(r"(?<![\w.-])(?:domain|style|pitfalls|stack)\.md\b"),
}
# Text none of the patterns can match lacks all of these (a quick look first: register tables are large).
_MARKERS = ("shared", "/" + "work/", "/home/", "/Users/", "/" + "root/", "/tmp/", "/var/", "/private/", ":\\", ".md")
# Base64 payloads (images in HTML and notebooks) are not text: a run of their letters can look like a path.
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=\s\\n]+")


def tracked_files(root: Path) -> list[Path]:
    """The project's files as git knows them."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return [root / name for name in listing.decode("utf-8").split("\0") if name]


def leaks(text: str, label: str, own_files: frozenset[str] = frozenset(), also: tuple[str, ...] = ()) -> list[str]:
    """'label:line: what «match» — the line' for every reference outside the project in text, in text order.

    own_files: names of the project's own files (a note named like one of them is the project's); also: exact
    strings that must not appear either (the built project's own folder).
    """
    patterns = OUTSIDE.items() if any(marker in text for marker in _MARKERS) else ()
    hits = [(m.start(), what, m.group(0)) for what, pattern in patterns for m in pattern.finditer(text)
            if not (what == NOTE and m.group(0) in own_files)]
    hits += [(m.start(), "the built project's own folder", s) for s in also for m in re.finditer(re.escape(s), text)]
    found = []
    for start, what, match in sorted(hits):
        end, number = text.find("\n", start), text.count("\n", 0, start) + 1
        line = text[text.rfind("\n", 0, start) + 1:end if end != -1 else None]
        found.append(f"{label}:{number}: {what} «{match}» — {line.strip()[:200]}")
    return found


def text_of(path: Path) -> str | None:
    """What a reader can see in a file, as text: XLSX cells, notebook and HTML text without base64 images,
    parquet string values and metadata; None for a binary file (fonts, images)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_text(path)
    if suffix in (".xlsx", ".zip"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if suffix == ".ipynb":
        text = json.dumps(_without_images(json.loads(text)), ensure_ascii=False, indent=1)
    return _DATA_URI.sub("data:…", text)


def _without_images(node):
    """A notebook's JSON with every image/* output emptied."""
    if isinstance(node, dict):
        return {k: ("" if k.startswith("image/") else _without_images(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_images(v) for v in node]
    return node


def _parquet_text(path: Path) -> str:
    """Schema metadata and the distinct values of every string column, one per line."""
    parquet = pq.ParquetFile(path)
    metadata = parquet.schema_arrow.metadata or {}
    lines = [f"{k.decode('utf-8', 'replace')}: {v.decode('utf-8', 'replace')}" for k, v in metadata.items()]
    for name in parquet.schema_arrow.names:
        column = parquet.read(columns=[name]).column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = pc.unique(column).drop_null().to_pylist()
            lines += [f"{name}: {v}" for v in values]
    return "\n".join(lines)


def scan(files: list[Path], root: Path, own_files: frozenset[str] = frozenset(), also: tuple[str, ...] = ()) -> list[str]:
    """Every reference outside the project in files, labelled by their path relative to root."""
    found = []
    for path in files:
        text = text_of(path)
        if text is not None:
            found += leaks(text, path.relative_to(root).as_posix(), own_files, also)
    return found


def _own_files(root: Path) -> frozenset[str]:
    return frozenset(p.name for p in tracked_files(root))


# ---------------------------------------------------------------- fast tier

def test_no_tracked_file_refers_to_a_path_outside_the_project():
    try:
        files = tracked_files(paths.ROOT)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"not a git checkout: {error}")
    found = scan(files, paths.ROOT, frozenset(p.name for p in files))
    assert not found, "references outside the project:\n" + "\n".join(found)


LEAKS = [
    "see " + "/".join(["..", "shared", "reference", "domain" + ".md"]) + " §7",
    "copied from " + "shared" + "/sources/000.txt",
    "built in " + "/" + "work" + "/main/data",
    'cache = "' + "/" + "home" + '/alice/.cache"',
    "TMPDIR=" + "/" + "tmp" + "/pytest-of-root/pytest-3/built0/project",
    "url file://" + "/" + "tmp" + "/tmpab12cd/report.html",
    "see " + "pitfalls" + ".md §5",
    r"C:\\" + "Users" + r"\\bob\\project",
]


def test_the_scanner_reports_each_leak_with_its_file_and_line(tmp_path):
    leaky = tmp_path / "notes.md"
    leaky.write_text("a clean first line\n" + "\n".join(LEAKS) + "\n", encoding="utf-8")
    found = scan([leaky], tmp_path)
    assert {tuple(f.split(":")[:2]) for f in found} == {("notes.md", str(n)) for n in range(2, 2 + len(LEAKS))}, found


def test_the_scanner_ignores_generic_examples_urls_and_relative_paths(tmp_path):
    clean = tmp_path / "clean.md"
    clean.write_text("\n".join([
        "the copy is data/raw/ke_hoach.txt; the gate page at ../gate/index.html",
        "https://example.com/work/item and https://host/tmp/file are web pages",
        "xl/worksheets/sheet1.xml, /workbook.xml, /worksheets/sheet2.xml",
        "a home such as /home/user/project or /Users/<you>/project; a run in /tmp/<run>/ or /tmp/...",
        "TMPDIR=/tmp (the system default), ~/.cache/uv",
        "a module named stack_md.py, docs/scaling.md, the shared_state folder, ../shared_state",
    ]), encoding="utf-8")
    assert scan([clean], tmp_path) == []


def test_a_note_named_like_one_of_the_projects_own_files_is_not_a_leak():
    line = "see " + "style" + ".md"
    assert leaks(line, "x") and not leaks(line, "x", own_files=frozenset({"style" + ".md"}))


def test_outputs_are_read_as_a_reader_sees_them(tmp_path):
    """Workbook cells, notebook text and parquet strings are scanned; base64 images are not text."""
    leak = "/" + "tmp" + "/tmpq1w2e3/x.csv"
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active["A1"] = f"Tệp: {leak}"
    book.save(tmp_path / "t.xlsx")
    notebook = {"cells": [{"cell_type": "code", "source": [], "outputs": [
        {"data": {"image/png": "AAAA+/" + "tmp" + "/abc/BBBB", "text/plain": [f"path {leak}"]}}]}]}
    (tmp_path / "n.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "r.html").write_text('<img src="data:image/png;base64,QUJD+/' + "tmp" + '/xyz/REVG=">ok', encoding="utf-8")
    pq.write_table(pa.table({"file": ["a.csv", leak], "n": [1, 2]}), tmp_path / "p.parquet")
    found = scan(sorted(tmp_path.iterdir()), tmp_path)
    assert sorted(f.split(":")[0] for f in found) == ["n.ipynb", "p.parquet", "t.xlsx"], found


# ---------------------------------------------------------------- end-to-end tier

def built_outputs(root: Path) -> list[Path]:
    """Everything the build wrote: reports, processed tables and stamps, input stamps, the register manifest."""
    folders = [root / "reports", root / "data" / "processed", root / ".stamps"]
    files = sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
    return files + [root / "data" / "raw" / "registers" / "SYNTHETIC.json"]


@pytest.mark.e2e
def test_no_output_of_the_built_project_refers_outside_it_or_to_its_own_folder(built_project):
    root = built_project.root
    files = built_outputs(root)
    kinds = {p.suffix for p in files}
    assert {".html", ".xlsx", ".ipynb", ".parquet", ".json", ".jsonl", ".sha256"} <= kinds, kinds
    own = (str(root), str(root.resolve()), str(root.parent), str(root.resolve().parent))
    found = scan(files, root, _own_files(paths.ROOT), also=tuple(dict.fromkeys(own)))
    assert not found, "references outside the project in its outputs:\n" + "\n".join(found)
