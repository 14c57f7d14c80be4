"""Run CPython's own test modules under ``greensock.monkey.patch_all()``.

    python -m greensock.testing.stdlib                  # the default module list
    python -m greensock.testing.stdlib test_socket -j 2 --json out.json
    python -m greensock.testing.stdlib --unpatched      # the same runner, nothing patched

Each module runs in a child process that patches everything, then runs the module's
tests one by one, writing a line per test to a progress file. The parent watches that
file: a test that makes no progress for ``--hang-after`` seconds is a hang; the child is
killed and restarted after it, so one hang costs one test, not the module. A child that
dies in a test is restarted the same way (the test counts as errored).

Per module the table shows tests run, passed, failed, errored, skipped and hung, how
many failures were not in the expected list, and how many tests were not started
because they cannot end under cooperative threads (both lists: ``expected_failures.py``).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from .expected_failures import EXPECTED_FAILURES, NOT_RUN

DEFAULT_MODULES = (
    "test_socket", "test_selectors", "test_select", "test_poll", "test_epoll", "test_ssl", "test_socketserver",
    "test_httplib", "test_httpservers", "test_urllib2_localnet", "test_ftplib", "test_smtplib", "test_telnetlib",
    "test_timeout", "test_wsgiref", "test_xmlrpc", "test_threading", "test_thread", "test_queue",
    "test_subprocess", "test_signal",
)
STATUSES = ("passed", "failed", "errored", "skipped", "hung")
_MAX_RESTARTS = 50


# -- the child: one module, one process -------------------------------------------------------------

class _ProgressResult(unittest.TestResult):
    """Writes ``start``/outcome lines to the progress file as each test runs."""

    def __init__(self, out) -> None:
        super().__init__()
        self._out = out
        self._outcome: dict[str, str] = {}

    def _line(self, kind: str, test_id: str) -> None:
        self._out.write(f"{kind}\t{test_id}\n")
        self._out.flush()

    def startTest(self, test) -> None:
        super().startTest(test)
        self._outcome[test.id()] = "passed"
        self._line("start", test.id())

    def stopTest(self, test) -> None:
        super().stopTest(test)
        self._line(self._outcome.pop(test.id(), "passed"), test.id())

    def _mark(self, test, status: str) -> None:
        test_id = test.id()
        if test_id in self._outcome:
            if STATUSES.index(status) < STATUSES.index(self._outcome[test_id]) or self._outcome[test_id] == "passed":
                self._outcome[test_id] = status
        else:  # a class or module fixture failed: no test of it will start
            self._line(status, test_id)

    def addError(self, test, err) -> None:
        super().addError(test, err)
        self._mark(test, "errored")

    def addFailure(self, test, err) -> None:
        super().addFailure(test, err)
        self._mark(test, "failed")

    def addSkip(self, test, reason) -> None:
        super().addSkip(test, reason)
        self._mark(test, "skipped")

    def addUnexpectedSuccess(self, test) -> None:
        super().addUnexpectedSuccess(test)
        self._mark(test, "failed")

    def addSubTest(self, test, subtest, err) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._mark(test, "failed" if issubclass(err[0], test.failureException) else "errored")


def _iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _iter_tests(item)
        else:
            yield item


def run_child(module: str, progress_path: str, skip_path: str | None, patched: bool) -> None:
    """In the child process: patch, load ``test.<module>`` and run what is not skipped."""
    # A background job inherits SIGINT ignored; the tests expect Python's usual handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if patched:
        from greensock import monkey
        monkey.patch_all()
    skip = set()
    if skip_path:
        with open(skip_path) as f:
            skip = {line.rstrip("\n") for line in f if line.strip()}
    suite = unittest.defaultTestLoader.loadTestsFromName(f"test.{module}")
    everything = list(_iter_tests(suite))
    tests = unittest.TestSuite(t for t in everything if t.id() not in skip)
    with open(progress_path, "a") as out:
        for t in everything:
            if t.id() in NOT_RUN:  # this Python has it, and it is left out on purpose
                out.write(f"notrun\t{t.id()}\n")
        tests.run(_ProgressResult(out))
        out.write("done\t\n")


# -- the parent: watch the children ------------------------------------------------------------------

def _read_progress(path: str) -> tuple[dict[str, str], str | None, bool]:
    """Outcomes so far (``notrun`` for the tests left out on purpose), the test running
    now (if any), and whether the child finished."""
    outcomes: dict[str, str] = {}
    running = None
    done = False
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break
            kind, _, test_id = line.rstrip("\n").partition("\t")
            if kind == "done":
                done = True
            elif kind == "notrun":
                outcomes[test_id] = kind
            elif kind == "start":
                running = test_id
            else:
                outcomes[test_id] = kind
                if running == test_id:
                    running = None
    return outcomes, running, done


def run_module(module: str, hang_after: float = 60.0, patched: bool = True) -> dict:
    """Run one module in child processes; return its counts, hung tests and failures.

    A module this Python does not have (``test_telnetlib`` went in 3.13) is reported as
    absent, with the reason, and counts as nothing.
    """
    if importlib.util.find_spec(f"test.{module}") is None:
        return {"module": module, "run": 0, **dict.fromkeys(STATUSES, 0), "not_run": [], "seconds": 0.0,
                "failures": [], "unexpected": [], "log": None,
                "absent": f"test.{module} is not part of Python {sys.version.split()[0]}"}
    workdir = tempfile.mkdtemp(prefix=f"greensock-{module}-")
    progress = os.path.join(workdir, "progress")
    skip_file = os.path.join(workdir, "skip")
    open(progress, "w").close()
    with open(skip_file, "w") as f:
        if patched:
            f.write("".join(t + "\n" for t in NOT_RUN))
    hung: list[str] = []
    crashed: list[str] = []
    started = time.monotonic()
    for _ in range(_MAX_RESTARTS):
        log = open(os.path.join(workdir, "log"), "ab")
        child = subprocess.Popen(
            [sys.executable, "-m", "greensock.testing.stdlib", "--child", module, progress, skip_file]
            + ([] if patched else ["--unpatched"]),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=workdir)
        last_size, last_change = -1, time.monotonic()
        while child.poll() is None:
            time.sleep(0.2)
            size = os.path.getsize(progress)
            if size != last_size:
                last_size, last_change = size, time.monotonic()
            elif time.monotonic() - last_change > hang_after:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                break
        log.close()
        _kill_group(child.pid)
        outcomes, running, done = _read_progress(progress)
        if done:
            break
        if running is None:  # died outside any test: nothing to skip past
            if not outcomes:
                with open(progress, "a") as f:
                    f.write(f"errored\t{module} (the module did not load; see {workdir}/log)\n")
            break
        if child.returncode == -signal.SIGKILL:
            hung.append(running)
            print(f"{module}: {running} hung (no progress for {hang_after:g} s); going on after it",
                  file=sys.stderr, flush=True)
        else:
            crashed.append(running)
        with open(skip_file, "w") as f:
            f.write("".join(t + "\n" for t in [*outcomes, *hung, *crashed, *(NOT_RUN if patched else ())]))
        with open(progress, "a") as f:
            f.write(f"{'hung' if running in hung else 'errored'}\t{running}\n")
    outcomes, _, _ = _read_progress(progress)
    not_run = sorted(t for t, s in outcomes.items() if s == "notrun")
    outcomes = {t: s for t, s in outcomes.items() if s != "notrun"}
    counts = dict.fromkeys(STATUSES, 0)
    for status in outcomes.values():
        counts[status] += 1
    failures = sorted(t for t, s in outcomes.items() if s in ("failed", "errored", "hung"))
    return {
        "module": module, "run": len(outcomes), **counts, "not_run": not_run,
        "seconds": round(time.monotonic() - started, 1),
        "failures": failures, "unexpected": [t for t in failures if t not in EXPECTED_FAILURES],
        "log": os.path.join(workdir, "log"),
    }


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # anything the tests left running
    except (ProcessLookupError, PermissionError):
        pass


def format_table(results: list[dict]) -> str:
    """A Markdown table: one row per module and a total."""
    head = "| module | run | passed | failed | errored | skipped | hung | unexpected | not run | seconds |"
    rows = [head, "|" + "---|" * 10]
    total = dict.fromkeys(("run", *STATUSES, "unexpected", "not run", "seconds"), 0)
    for r in results:
        cells = [r["run"], *(r[s] for s in STATUSES), len(r["unexpected"]), len(r["not_run"]), r["seconds"]]
        if "absent" in r:
            rows.append(f"| {r['module']} | absent: {r['absent']} |" + " |" * 8)
            continue
        rows.append(f"| {r['module']} | " + " | ".join(str(c) for c in cells) + " |")
        for key, value in zip(total, cells, strict=True):
            total[key] += value
    total["seconds"] = round(total["seconds"], 1)
    rows.append("| **total** | " + " | ".join(str(v) for v in total.values()) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m greensock.testing.stdlib", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="test modules (default: the standard list)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="modules run at once")
    parser.add_argument("--hang-after", type=float, default=60.0, help="seconds without progress that make a hang")
    parser.add_argument("--unpatched", action="store_true", help="run without patching (the baseline)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--show-failures", action="store_true", help="list every failing test")
    parser.add_argument("--child", nargs=3, metavar=("MODULE", "PROGRESS", "SKIP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.child:
        module, progress_path, skip_path = args.child
        run_child(module, progress_path, skip_path, patched=not args.unpatched)
        return 0
    modules = [m if m.startswith("test_") else f"test_{m}" for m in (args.modules or DEFAULT_MODULES)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda m: run_module(m, args.hang_after, not args.unpatched), modules))
    print(f"Python {sys.version.split()[0]}, {'unpatched' if args.unpatched else 'greensock.monkey.patch_all()'}")
    print(format_table(results))
    for r in results:
        shown = r["failures"] if args.show_failures else r["unexpected"]
        for test_id in shown:
            note = EXPECTED_FAILURES.get(test_id, "UNEXPECTED")
            print(f"  {r['module']}: {test_id}: {note}")
        for test_id in r["not_run"]:
            print(f"  {r['module']}: {test_id}: not run: {NOT_RUN[test_id]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": sys.version.split()[0], "patched": not args.unpatched, "results": results}, f,
                      indent=1)
    unexpected = sum(len(r["unexpected"]) for r in results)
    return 1 if unexpected and not args.unpatched else 0


if __name__ == "__main__":
    sys.exit(main())
