"""Run every echo server and microbenchmark side by side; print ratios, write JSON and a chart.

    python benchmarks/run.py [--quick] [--rounds N] [--seconds S] [--only NAME ...]

greensock runs compiled where its optional build compiled it; the entries marked "(pure
Python)" run the same servers with GREENSOCK_PURE_PYTHON=1.
Servers run pinned to CPU 0 and the C load generator to CPU 1 (when there are two).
Servers are interleaved in rounds (A B C ... A B C ...) and each figure is the median
over rounds. Results go to benchmarks/results/latest.json and latest.png.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = HERE / "bin"
RESULTS = HERE / "results"

# name: (how to start it, python module it needs or None)
SERVERS = {
    "greensock StreamServer": ("greensock_streamserver.py", None),
    "greensock StreamServer +monitor": ("greensock_monitored.py", None),
    "greensock accept+spawn": ("greensock_spawn.py", None),
    "greensock callback Stream": ("greensock_callback.py", None),
    "greensock EventSocket": ("greensock_eventsocket.py", None),
    "greensock StreamServer (pure Python)": ("greensock_streamserver.py", None),
    "greensock callback Stream (pure Python)": ("greensock_callback.py", None),
    "greensock EventSocket (pure Python)": ("greensock_eventsocket.py", None),
    "gevent StreamServer": ("gevent_streamserver.py", "gevent"),
    "eventlet": ("eventlet_server.py", "eventlet"),
    "asyncio protocol": ("asyncio_protocol.py", None),
    "asyncio protocol on the greensock hub": ("asyncio_on_hub.py", None),
    "asyncio streams": ("asyncio_streams.py", None),
    "uvloop protocol": ("uvloop_protocol.py", "uvloop"),
    "uvloop streams": ("uvloop_streams.py", "uvloop"),
    "trio": ("trio_server.py", "trio"),
    "C epoll": ("c_epoll", None),
}
MICRO_LIBS = ["greensock", "greensock (pure Python)", "gevent", "eventlet", "asyncio", "uvloop", "trio"]
PURE = " (pure Python)"


def environment(name: str) -> dict:
    """The environment a server or microbenchmark runs in: "(pure Python)" ones without the compiled modules."""
    return {**os.environ, "GREENSOCK_PURE_PYTHON": "1"} if name.endswith(PURE) else dict(os.environ)
MICRO_OPS = ["switch", "spawn", "timers", "queue"]


def cpus() -> tuple[list[str], list[str]]:
    """taskset prefixes for the server and the load generator."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", "0"], ["taskset", "-c", "1"]
    return [], []


def compile_c() -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise SystemExit("a C compiler (cc) is needed for the load generator")
    BIN.mkdir(exist_ok=True)
    for src, out in ((HERE / "loadgen.c", BIN / "loadgen"), (HERE / "servers" / "c_epoll.c", BIN / "c_epoll")):
        subprocess.run([cc, "-O2", "-o", str(out), str(src)], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module) is not None


def start_server(name: str, pin: list[str]) -> tuple[subprocess.Popen, int]:
    script, _ = SERVERS[name]
    port = free_port()
    if script == "c_epoll":
        cmd = [str(BIN / "c_epoll"), str(port)]
    else:
        cmd = [sys.executable, str(HERE / "servers" / script), str(port)]
    proc = subprocess.Popen(pin + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment(name))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {proc.stderr.read().decode()[-500:]}")
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{name} did not start listening")


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def loadgen(pin, mode, port, n, size, seconds, warmup) -> dict:
    cmd = pin + [str(BIN / "loadgen"), mode, "127.0.0.1", str(port), str(n), str(size), str(seconds), str(warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + warmup + 30)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_rss(name: str, pin_server, pin_load, conns: int) -> float | None:
    """Server memory per idle connection, holding ``conns`` connections open."""
    proc, port = start_server(name, pin_server)
    try:
        time.sleep(0.3)
        before = rss_kib(proc.pid)
        hold = subprocess.Popen(pin_load + [str(BIN / "loadgen"), "hold", "127.0.0.1", str(port), str(conns), "0",
                                            "30", "0"], stdout=subprocess.PIPE, text=True)
        try:
            line = hold.stdout.readline()
            if not line.startswith("held"):
                return None
            time.sleep(1.0)
            after = rss_kib(proc.pid)
        finally:
            hold.kill()
            hold.wait()
        return (after - before) * 1024 / conns
    finally:
        stop(proc)


SCENARIOS = {
    "100 conns, 64 B": ("pingpong", 100, 64),
    "1000 conns, 64 B": ("pingpong", 1000, 64),
    "10 conns, 16 KiB": ("pingpong", 10, 16384),
    "connect rate (50 in flight)": ("connrate", 50, 64),
}


def run_echo(servers, rounds, seconds, warmup, pin_server, pin_load) -> dict:
    results: dict = {s: {n: [] for n in servers} for s in SCENARIOS}
    latency: dict = {s: {n: [] for n in servers} for s in SCENARIOS}
    for r in range(rounds):
        for scenario, (mode, n, size) in SCENARIOS.items():
            for name in servers:
                try:
                    proc, port = start_server(name, pin_server)
                except RuntimeError as e:
                    print(f"  ! {name}: {e}", file=sys.stderr)
                    continue
                try:
                    res = loadgen(pin_load, mode, port, n, size, seconds, warmup)
                except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
                    print(f"  ! {name} / {scenario}: the load generator failed: {e}", file=sys.stderr)
                    continue
                finally:
                    stop(proc)
                if res.get("errors"):
                    print(f"  ! {name} / {scenario}: {res['errors']} errors", file=sys.stderr)
                results[scenario][name].append(res["per_s"])
                latency[scenario][name].append((res["p50_us"], res["p99_us"]))
                print(f"  round {r + 1} {scenario:28} {name:28} {res['per_s']:>10,.0f}/s", flush=True)
    return {s: {n: {"per_s": statistics.median(v) if v else None,
                    "p50_us": statistics.median(x[0] for x in latency[s][n]) if latency[s][n] else None,
                    "p99_us": statistics.median(x[1] for x in latency[s][n]) if latency[s][n] else None}
                for n, v in per.items()} for s, per in results.items()}


def run_micro(libs, rounds, pin) -> dict:
    out: dict = {op: {lib: [] for lib in libs} for op in MICRO_OPS}
    for _ in range(rounds):
        for op in MICRO_OPS:
            for lib in libs:
                res = subprocess.run(pin + [sys.executable, str(HERE / "micro.py"), lib.removesuffix(PURE), op],
                                     capture_output=True, text=True, timeout=300, env=environment(lib))
                value = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else "null"
                if value != "null":
                    out[op][lib].append(float(value))
    return {op: {lib: (statistics.median(v) if v else None) for lib, v in per.items()} for op, per in out.items()}


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def table(echo: dict, micro: dict, rss: dict) -> str:
    lines = []
    for scenario, per in echo.items():
        base, c = per.get("gevent StreamServer", {}).get("per_s"), per.get("C epoll", {}).get("per_s")
        lines += [f"\n### {scenario} (per second, median)\n",
                  "| server | per s | vs gevent | vs C | p50 us | p99 us |", "|---|---:|---:|---:|---:|---:|"]
        for name, r in sorted(per.items(), key=lambda kv: -(kv[1]["per_s"] or 0)):
            lines.append(f"| {name} | {r['per_s'] or 0:,.0f} | {ratio(r['per_s'], base)} | {ratio(r['per_s'], c)} "
                         f"| {r['p50_us']} | {r['p99_us']} |")
    if micro:
        lines += ["\n### Microbenchmarks (operations per second, median)\n",
                  "| operation | " + " | ".join(micro[MICRO_OPS[0]]) + " | greensock vs gevent | pure vs gevent |",
                  "|---|" + "---:|" * (len(micro[MICRO_OPS[0]]) + 2)]
        for op, per in micro.items():
            cells = " | ".join(f"{v:,.0f}" if v else "-" for v in per.values())
            lines.append(f"| {op} | {cells} | {ratio(per.get('greensock'), per.get('gevent'))} "
                         f"| {ratio(per.get('greensock' + PURE), per.get('gevent'))} |")
    if rss:
        lines += ["\n### Server memory per idle connection (bytes)\n", "| server | bytes |", "|---|---:|"]
        for name, v in sorted(rss.items(), key=lambda kv: kv[1] or 1e18):
            lines.append(f"| {name} | {v:,.0f} |" if v is not None else f"| {name} | - |")
    return "\n".join(lines)


def chart(echo: dict, path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    scenarios = list(echo)
    fig, axes = plt.subplots(len(scenarios), 1, figsize=(9, 3.2 * len(scenarios)))
    for ax, scenario in zip(axes, scenarios, strict=True):
        per = sorted(((n, r["per_s"] or 0) for n, r in echo[scenario].items()), key=lambda x: x[1])
        colors = ["#2a9d8f" if n.startswith("greensock") else "#999999" for n, _ in per]
        ax.barh([n for n, _ in per], [v for _, v in per], color=colors)
        ax.set_title(scenario)
        ax.set_xlabel("per second")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about two minutes: 1 round, short runs")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--only", nargs="*", help="run only these servers (names as in the table)")
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--rss-conns", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (0.8 if args.quick else 4.0)
    warmup = 0.2 if args.quick else 1.0
    rss_conns = args.rss_conns or (1000 if args.quick else 10000)
    compile_c()
    pin_server, pin_load = cpus()
    servers = [n for n, (_, mod) in SERVERS.items() if available(mod) and (not args.only or n in args.only)]
    skipped = [n for n, (_, mod) in SERVERS.items() if not available(mod)]
    for name in skipped:
        print(f"skipping {name}: its package is not installed (pip install -e '.[bench]')")
    started = time.monotonic()
    echo = run_echo(servers, rounds, seconds, warmup, pin_server, pin_load)
    micro = {}
    if not args.no_micro:
        libs = [lib for lib in MICRO_LIBS if available(None if lib.startswith(("greensock", "asyncio")) else lib)]
        micro = run_micro(libs, rounds, pin_server)
    rss = {}
    for name in servers:
        try:
            rss[name] = measure_rss(name, pin_server, pin_load, rss_conns)
        except (RuntimeError, OSError) as e:
            print(f"  ! rss {name}: {e}", file=sys.stderr)
    report = table(echo, micro, rss)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "kernel": platform.release(), "rounds": rounds, "seconds": seconds, "rss_conns": rss_conns,
            "elapsed_s": round(time.monotonic() - started, 1), "skipped": skipped}
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "echo": echo, "micro": micro, "rss": rss},
                                                    indent=2))
    (RESULTS / "latest.md").write_text(report + "\n")
    if chart(echo, RESULTS / "latest.png"):
        print(f"\nchart: {RESULTS / 'latest.png'}")
    print(f"results: {RESULTS / 'latest.json'} ({meta['elapsed_s']} s)")


if __name__ == "__main__":
    main()
