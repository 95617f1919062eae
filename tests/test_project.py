"""Project files that must agree with each other: lock vs environment.yml, dictionary vs schema, notebooks clean."""
import json
import re

from pipeline import dictionary, paths

ROOT = paths.ROOT


def pins(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^[\s-]*([A-Za-z0-9_.\-]+)==([^\s#]+)", text, re.M)}


def test_environment_yml_pins_equal_the_locks():
    locked = pins((ROOT / "requirements.lock").read_text()) | pins((ROOT / "requirements-lab.lock").read_text())
    wanted = pins((ROOT / "environment.yml").read_text())
    assert wanted, "environment.yml pins nothing"
    assert {name: locked.get(name) for name in wanted} == wanted
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_direct_requirements_are_in_environment_yml_and_lock():
    direct = pins((ROOT / "requirements.in").read_text())
    assert direct.items() <= pins((ROOT / "environment.yml").read_text()).items()
    assert direct.items() <= pins((ROOT / "requirements.lock").read_text()).items()


def test_jupyter_metapackage_stays_out_of_the_pipeline_lock():
    locked = pins((ROOT / "requirements.lock").read_text())
    assert "jupyter" not in locked and "jupyterlab" not in locked


def test_data_dictionary_is_generated_from_schema():
    assert (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8") == dictionary.render(), \
        "run `.venv/bin/python -m pipeline dictionary`"


def test_notebooks_are_committed_clean_with_a_parameters_cell():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{path.name} has outputs"
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), f"{path.name}: no parameters cell"
        assert "data/raw" not in path.read_text(encoding="utf-8"), f"{path.name} reads raw data"


def test_data_register_lists_every_raw_file_with_its_current_sha256():
    import hashlib
    register = (paths.RAW / "README.md").read_text(encoding="utf-8")
    for path in sorted(p for p in paths.RAW.iterdir() if p.is_file() and p.name != "README.md"):
        assert f"`{path.name}`" in register, f"{path.name} missing from data/raw/README.md"
        assert hashlib.sha256(path.read_bytes()).hexdigest() in register, f"stale sha256 for {path.name}"


def test_no_swallowed_exceptions_in_code():
    for path in sorted((ROOT / "pipeline").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"except\s*:", text), f"bare except in {path.name}"
        assert not re.search(r"except[^\n]*:\s*\n\s*pass\b", text), f"except: pass in {path.name}"
