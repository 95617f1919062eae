"""Two makes in one checkout queue: the second waits for the first, saying so (the Makefile's run lock).

In throw-away copies of the project. A helper process holding .make.lock stands in for a first make where
a real one would be slow; the last test starts two real makes at once.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline import paths
from tests.e2e import copy_with_sample_registers

pytestmark = pytest.mark.e2e

MARKER = "LANGSON_MAKE_LOCKED"
WAITING = "another make is running in this checkout; waiting for it to finish"
HOLD = ("import fcntl, sys, time; lock = open(sys.argv[1], 'a'); fcntl.flock(lock, fcntl.LOCK_EX); "
        "print('held', flush=True); time.sleep(120)")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_with_sample_registers(tmp_path_factory.mktemp("locked"))


def start(root, *goals, marker=None):
    """`make goals` in `root`, in its own process group; the lock marker of the make running the tests removed."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGSON_PROJECT_ROOT", MARKER)}
    env["SOURCE_DATE_EPOCH"] = "1640995200"
    env.update({MARKER: marker} if marker else {})
    return subprocess.Popen(["make", "--no-print-directory", *goals], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(run, timeout=30):
    """(stdout, stderr) of a started make; one still waiting after `timeout` seconds is killed and fails the test."""
    try:
        return run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        raise


def hold(root):
    """A process that holds the checkout's lock as a running make does, until it is killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root / ".make.lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_make_waits_hashing_nothing_and_goes_on_when_the_holder_is_killed(project):
    stamp = project / ".stamps" / "code.sha256"  # rewritten by the input hashing at the start of a run
    stamp.unlink()
    holder = hold(project)
    try:
        # The marker names another checkout, as under `make test`: this copy still takes its own lock.
        waiter = start(project, "setup", marker=str(paths.ROOT))
        said = waiter.stderr.readline()
        assert WAITING in said and said.startswith("Một lệnh make khác đang chạy"), said
        time.sleep(1)
        assert waiter.poll() is None and not stamp.exists()
    finally:
        holder.kill()  # SIGKILL: the OS releases the lock with the process
    out, err = finish(waiter)
    assert waiter.returncode == 0, out + err
    assert stamp.exists() and WAITING not in err, err  # said once


def test_a_run_killed_midway_leaves_no_lock_behind(project):
    first = start(project, "data")
    assert first.stdout.readline().startswith(">>> data"), first.communicate()
    os.killpg(first.pid, signal.SIGKILL)  # make, the locked make under it and the stage it runs
    first.wait()
    second = start(project, "clean")
    out, err = finish(second)  # a lock left behind would keep it waiting
    assert second.returncode == 0, out + err


def test_a_recursive_make_does_not_wait_for_its_own_lock(project):
    makefile = project / "Makefile"
    text = makefile.read_text(encoding="utf-8")
    assert text.endswith("endif\n")  # the locked make's part of the Makefile ends there
    makefile.write_text(text[:-len("endif\n")] + "again:\n\t$(MAKE) --no-print-directory setup\nendif\n",
                        encoding="utf-8")
    try:
        run = start(project, "again")
        out, err = finish(run)
    finally:
        makefile.write_text(text, encoding="utf-8")
    assert run.returncode == 0 and "setup" in out, out + err
    assert WAITING not in err


def test_two_makes_started_at_once_both_succeed_one_after_the_other(tmp_path):
    root = copy_with_sample_registers(tmp_path / "project")
    runs = [start(root, "data"), start(root, "data")]
    outputs = [finish(run, timeout=120) for run in runs]
    everything = "".join(out + err for out, err in outputs)
    assert [run.returncode for run in runs] == [0, 0], everything
    assert sum(WAITING in err for _, err in outputs) == 1, everything
    assert everything.count(">>> data: build") == 1, everything  # the second found the work done
    assert "Traceback" not in everything and "*** " not in everything
    assert (root / "data" / "processed" / ".stamps" / "processed.sha256").exists()
