"""The render's yardstick: the report notebook's code cells run with `exec`, every report in one process.

    python -m pipeline.tools.plain_cells --year 2022

What the reports of a year cost without kernels, papermill, nbconvert or workbooks: for the province and
each district (pipeline.report.report_data.district_codes_for), a fresh namespace gets the parameters after the
parameters cell (as papermill injects them), `display` collects what the cells show, computing each
object's rich repr once as the kernel's formatter does, and figures become PNG bytes with the kwargs the
notebook's own `%config InlineBackend.print_figure_kwargs = …` line gives the inline backend. Data is read
through pipeline.paths (LANGSON_PROJECT_ROOT), as the kernel reads it.
"""
from __future__ import annotations

import argparse
import ast
import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from matplotlib.figure import Figure

PRINT_FIGURE_KWARGS = "%config InlineBackend.print_figure_kwargs ="
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Shown:
    """What the cells displayed: how many objects, and every figure as the PNG the report embeds."""
    savefig_kwargs: dict
    objects: int = 0
    pngs: list[bytes] = field(default_factory=list)
    savefig_cpu_s: float = 0.0  # the share of the cells' CPU that drawing and encoding the PNGs takes

    def display(self, *objects, metadata=None, **_) -> None:
        for obj in objects:
            self.objects += 1
            repr(obj)  # text/plain, which the kernel always sends
            if isinstance(obj, Figure):
                started, buffer = time.process_time(), io.BytesIO()
                obj.savefig(buffer, format="png", **self.savefig_kwargs)
                self.pngs.append(buffer.getvalue())
                self.savefig_cpu_s += time.process_time() - started
            for rich in ("_repr_html_", "_repr_markdown_"):
                if hasattr(obj, rich):
                    getattr(obj, rich)()


def code_cells(notebook: Path) -> tuple[list[str], dict, int]:
    """(code of each cell, magics removed; the savefig kwargs; index of the parameters cell)."""
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    kwargs, sources = {}, []
    for cell in cells:
        lines = "".join(cell["source"]).splitlines()
        for line in lines:
            if line.startswith(PRINT_FIGURE_KWARGS):
                kwargs = ast.literal_eval(line.removeprefix(PRINT_FIGURE_KWARGS).strip())
            elif line.startswith("%") and not line.startswith("%matplotlib inline"):
                raise ValueError(f"plain_cells does not know the magic {line!r}")
        sources.append("\n".join("" if line.startswith("%") else line for line in lines))
    parameters = next(n for n, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    return sources, kwargs, parameters


def run(root: Path, year: int, districts: list[str | None], code_commit: str = "unknown") -> Shown:
    """Execute the code cells once per report (district None = the province report)."""
    import matplotlib.pyplot as plt

    sources, kwargs, parameters = code_cells(root / "notebooks" / "annual_report.ipynb")
    compiled = [compile(source, f"<cell {n}>", "exec") for n, source in enumerate(sources)]
    shown = Shown(kwargs)
    # The notebook imports display from IPython.display, so the module's name is what must collect.
    with mock.patch("IPython.display.display", shown.display):
        for district in districts:
            namespace = {"__name__": "__main__"}
            for n, code in enumerate(compiled):
                exec(code, namespace)
                if n == parameters:
                    namespace.update(year=year, district=district, code_commit=code_commit)
            plt.close("all")
    return shown


def main(argv: list[str] | None = None) -> int:
    from pipeline import paths
    from pipeline.report import report_data

    parser = argparse.ArgumentParser(prog="python -m pipeline.tools.plain_cells", description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, required=True)
    args = parser.parse_args(argv)
    districts = [None, *report_data.district_codes_for(args.year)]
    shown = run(paths.ROOT, args.year, districts)
    print(f"plain cells {args.year}: {len(districts)} reports, {shown.objects} objects displayed, "
          f"{len(shown.pngs)} figures ({sum(map(len, shown.pngs)):,} bytes of PNG, savefig {shown.savefig_cpu_s:.2f} s CPU); "
          f"{time.process_time():.2f} s CPU in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
