"""The HTTP benchmark: wrk against a hello-world application on each server, side by side.

    python benchmarks/run_http.py [--quick] [--rounds N] [--seconds S] [--only NAME ...]

Each server runs pinned to CPU 0 and wrk (one thread, 100 keep-alive connections) to
CPU 1. Servers are interleaved in rounds and each figure is the median over rounds. The
headline figure is requests per server CPU-second: requests answered divided by the CPU
time (user + system) of every process of the server (a gunicorn master and its worker
included), so a server that idles waiting on itself is not flattered. Results go to
benchmarks/results/http.json and http.png.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import cpus, environment, free_port  # noqa: E402 - the echo benchmark's helpers, beside this file

SERVERS_DIR = HERE / "http_servers"
RESULTS = HERE / "results"
CONNECTIONS = 100
PY = sys.executable

# name: (command with {port}, python module it needs)
SERVERS = {
    "greensock WSGIServer": ([PY, "greensock_wsgi.py", "{port}"], "httptools"),
    "greensock WSGIServer (pure Python)": ([PY, "greensock_wsgi.py", "{port}"], "httptools"),
    "gevent pywsgi": ([PY, "gevent_pywsgi.py", "{port}"], "gevent"),
    "gevent pywsgi +NODELAY": ([PY, "gevent_pywsgi.py", "{port}", "--nodelay"], "gevent"),
    "gunicorn gevent worker": ([PY, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", "127.0.0.1:{port}",
                                "--backlog", "2048", "hello:app"], "gunicorn"),
    "gunicorn greensock Worker": ([PY, "-m", "gunicorn", "-k", "greensock.gunicorn.Worker", "-w", "1", "-b",
                                   "127.0.0.1:{port}", "--backlog", "2048", "hello:app"], "gunicorn"),
    "gunicorn greensock WSGIWorker": ([PY, "-m", "gunicorn", "-k", "greensock.gunicorn.WSGIWorker", "-w", "1",
                                       "-b", "127.0.0.1:{port}", "--backlog", "2048", "hello:app"], "gunicorn"),
    "uvicorn (asyncio)": ([PY, "-m", "uvicorn", "--http", "httptools", "--loop", "asyncio", "--no-access-log",
                           "--log-level", "warning", "--port", "{port}", "--backlog", "2048", "hello:asgi_app"],
                          "uvicorn"),
    "uvicorn (uvloop)": ([PY, "-m", "uvicorn", "--http", "httptools", "--loop", "uvloop", "--no-access-log",
                          "--log-level", "warning", "--port", "{port}", "--backlog", "2048", "hello:asgi_app"],
                         "uvloop"),
    "waitress (1 thread)": ([PY, "waitress_server.py", "{port}"], "waitress"),
}
BASELINES = ("gevent pywsgi +NODELAY", "uvicorn (asyncio)")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and all its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def wait_listening(port: int, proc: subprocess.Popen, log, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer in time")


def parse_wrk(text: str) -> dict:
    def latency(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        scale = {"us": 1.0, "ms": 1000.0, "s": 1e6}[m.group(2)]
        return float(m.group(1)) * scale
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    timeouts = re.search(r"timeout (\d+)", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"requests": requests, "p50_us": latency("50"), "p99_us": latency("99"),
            "timeouts": int(timeouts.group(1)) if timeouts else 0, "non2xx": int(errors.group(1)) if errors else 0}


def run_one(name: str, seconds: int, server_pin: list[str], client_pin: list[str]) -> dict:
    command, _ = SERVERS[name]
    port = free_port()
    log = tempfile.TemporaryFile()  # not a pipe: a server that logs must never block on it
    proc = subprocess.Popen(server_pin + [c.format(port=port) for c in command], cwd=SERVERS_DIR,
                            stdout=subprocess.DEVNULL, stderr=log,
                            env=dict(environment(name), PYTHONPATH=f"{SERVERS_DIR}{os.pathsep}{HERE.parent}"))
    try:
        wait_listening(port, proc, log)
        url = f"http://127.0.0.1:{port}/"
        subprocess.run(client_pin + ["wrk", "-t1", f"-c{CONNECTIONS}", "-d1s", url], capture_output=True,
                       timeout=30)  # warm up
        cpu_before = tree_cpu(proc.pid)
        out = subprocess.run(client_pin + ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
                             capture_output=True, text=True, timeout=seconds + 30)
        cpu = tree_cpu(proc.pid) - cpu_before
        result = parse_wrk(out.stdout)
        result["cpu_s"] = round(cpu, 3)
        result["per_s"] = result["requests"] / seconds
        result["per_cpu_s"] = result["requests"] / cpu if cpu > 0 else float("nan")
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def table(results: dict) -> str:
    rows = ["| server | per server CPU-s | vs pywsgi +NODELAY | vs uvicorn asyncio | per s | server CPU | "
            "p50 us | p99 us | timeouts |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = {b: results[b]["per_cpu_s"] for b in BASELINES if b in results}
    for name, r in sorted(results.items(), key=lambda item: -item[1]["per_cpu_s"]):
        ratios = [f"{r['per_cpu_s'] / base[b]:.2f}x" if b in base else "-" for b in BASELINES]
        rows.append(f"| {name} | {r['per_cpu_s']:,.0f} | {ratios[0]} | {ratios[1]} | {r['per_s']:,.0f} | "
                    f"{r['cpu_s'] / r['seconds']:.2f} | {r['p50_us']:,.0f} | {r['p99_us']:,.0f} | {r['timeouts']} |")
    return "\n".join(rows)


def chart(results: dict, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    names = sorted(results, key=lambda n: results[n]["per_cpu_s"])
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1))
    ax.barh(names, [results[n]["per_cpu_s"] for n in names],
            color=["#2a7" if n.startswith(("greensock", "gunicorn greensock")) else "#889" for n in names])
    ax.set_xlabel("hello-world requests per server CPU-second (wrk, 100 keep-alive connections)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--only", nargs="*", help="server names (substrings) to run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    rounds, seconds = (1, 2) if args.quick else (args.rounds, args.seconds)
    wanted = [n for n in SERVERS if not args.only or any(o in n for o in args.only)]
    names = [n for n in wanted if importlib.util.find_spec(SERVERS[n][1]) is not None]
    skipped = [n for n in wanted if n not in names]
    server_pin, client_pin = cpus()
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for i in range(rounds):
        for name in names:
            r = run_one(name, seconds, server_pin, client_pin)
            runs[name].append(r)
            print(f"  round {i + 1} {name:32s} {r['per_cpu_s']:>9,.0f} req/CPU-s  {r['per_s']:>9,.0f} req/s  "
                  f"p99 {r['p99_us']:,.0f} us", flush=True)
    results = {}
    for name, rs in runs.items():
        results[name] = {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        results[name]["seconds"] = seconds
    print()
    print(table(results))
    if skipped:
        print(f"\nnot run (not installed): {', '.join(skipped)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "http.json").write_text(json.dumps({"rounds": rounds, "seconds": seconds, "results": results,
                                                   "python": sys.version.split()[0]}, indent=1))
    chart(results, RESULTS / "http.png")


if __name__ == "__main__":
    main()
