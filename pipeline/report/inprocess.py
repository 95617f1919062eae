"""A papermill engine that runs the notebook's cells in this Python process instead of a Jupyter kernel.

Why: a kernel per report costs a process start, the imports of pandas, matplotlib and the pipeline, and
ZMQ round trips for every output: three times the CPU of the cells themselves. In-process, a render
worker imports once and runs report after report. Each report still gets a fresh IPython shell
namespace (only the parameters papermill injected), the same display formatters and the same inline
figure settings as the kernel, so the executed notebook has the outputs a kernel would give.

Registered with papermill as the engine "inprocess" (papermill.execute_notebook(..., engine_name=...)).
"""
from __future__ import annotations

import contextlib
import io
import sys
import traceback

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from matplotlib_inline.backend_inline import InlineBackend
from nbformat import NotebookNode
from papermill.engines import Engine, papermill_engines
from traitlets.config import Config

ENGINE_NAME = "inprocess"
# What an IPython kernel reports about itself, written into the executed notebook's metadata as it would.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": f"ipython{sys.version_info[0]}",
    "version": sys.version.split()[0],
}


class InProcessEngine(Engine):
    """Execute each code cell with IPython's run_cell in this process; stop at the first error."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        shell = _fresh_shell()
        count = 0
        for index, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, index)
            if cell.cell_type == "code":
                count += 1
                cell.execution_count = count
                cell.outputs, failed = _run(shell, cell.source, count)
                if failed:
                    nb_man.cell_exception(cell, index)
                    nb_man.cell_complete(cell, index)
                    break
            nb_man.cell_complete(cell, index)
        nb_man.nb.metadata["language_info"] = LANGUAGE_INFO
        return nb_man.nb


def user_namespace() -> dict:
    """The variables of the notebook this process ran last (render.py writes the workbook from its tables)."""
    return _Shell.instance().user_ns


def _fresh_shell():
    """The process's IPython shell with an empty user namespace and output capture installed."""
    shell = _Shell.instance(config=Config({"HistoryManager": {"enabled": False}}))  # no history database
    shell.reset(new_session=True, aggressive=False)
    if not isinstance(shell.display_pub, _Publisher):
        shell.display_pub = _Publisher(shell=shell)
        shell.displayhook = _DisplayHook(shell=shell)
        shell.configurables.append(InlineBackend.instance(parent=shell))
    return shell


def _run(shell, source: str, count: int) -> tuple[list, bool]:
    """Outputs of one cell as nbformat outputs (stdout and stderr streams, displays, result, error)."""
    shell.display_pub.outputs = []
    shell.displayhook.outputs = shell.display_pub.outputs
    shell.displayhook.count = count
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        result = shell.run_cell(source, store_history=False, silent=False)
    streams = [_output("stream", name=name, text=text.getvalue())
               for name, text in (("stdout", stdout), ("stderr", stderr)) if text.getvalue()]
    outputs = streams + shell.display_pub.outputs
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        outputs.append(_output("error", ename=type(error).__name__, evalue=str(error),
                               traceback=traceback.format_exception(error)))
    return outputs, error is not None


def _output(output_type: str, **fields) -> NotebookNode:
    """An nbformat output, not validated one by one: nbformat checks the whole notebook when render.py writes it."""
    return NotebookNode(output_type=output_type, **fields)


class _Shell(InteractiveShell):
    """A shell without an event loop: the inline backend needs none (the kernel's shell does the same)."""

    def enable_gui(self, gui=None):
        pass


class _Publisher(DisplayPublisher):
    """Keeps display() outputs as nbformat display_data outputs, like the kernel sends them."""

    outputs: list = []

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        self.outputs.append(_output("display_data", data=data, metadata=metadata or {}))

    def clear_output(self, wait=False):
        self.outputs.clear()


class _DisplayHook(DisplayHook):
    """Keeps a cell's last expression value as an execute_result output."""

    outputs: list = []
    count = 0

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self.outputs.append(_output("execute_result", data=format_dict, metadata=md_dict or {},
                                    execution_count=self.count))

    def finish_displayhook(self):
        pass

    def update_user_ns(self, result):
        pass


papermill_engines.register(ENGINE_NAME, InProcessEngine)
