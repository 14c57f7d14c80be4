"""psycopg 3, psycopg2 and psycopg_pool under patch_all(), against a real PostgreSQL server
that the test starts on a free loopback port (CI installs it with apt-get)."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bindir() -> str | None:
    for path in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(path, "postgres")):
            return path
    found = shutil.which("postgres")
    return os.path.dirname(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL cluster; yields its DSN."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    workdir = tempfile.mkdtemp(prefix="greensock-pg-")
    prefix = []
    if os.geteuid() == 0:  # postgres refuses to run as root: run it as the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
        os.chown(workdir, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(workdir, "data")
    subprocess.run(prefix + [os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(prefix + [os.path.join(bindir, "postgres"), "-D", data, "-p", str(port), "-k", workdir,
                                        "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
                                        "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    deadline = time.monotonic() + 60
    while True:
        ready = subprocess.run([os.path.join(bindir, "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                               capture_output=True)
        if ready.returncode == 0:
            break
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"PostgreSQL did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)
    yield dsn
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    shutil.rmtree(workdir, ignore_errors=True)


def run_patched(dsn: str, *parts: str) -> str:
    """Run ``parts`` under patch_all() in a fresh interpreter (DSN as ``DSN``); its stdout."""
    script = "from greensock import monkey\nmonkey.patch_all()\nDSN = " + repr(dsn) + "\n"
    script += "".join(textwrap.dedent(part) for part in parts)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


CONCURRENT_SLEEPS = """
    import time, greensock
    ticks = []
    def ticker():
        while True:
            greensock.sleep(0.05)
            ticks.append(time.monotonic())
    t = greensock.spawn(ticker)
    start = time.monotonic()
    results = greensock.joinall([greensock.spawn(query) for _ in range(50)], raise_error=True)
    elapsed = time.monotonic() - start
    t.kill()
    assert all(r.value == 1 for r in results), [r.value for r in results]
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print(f"{elapsed:.2f} {len(ticks)} {max(gaps):.2f}")
"""


def check_concurrent(output: str) -> None:
    elapsed, ticks, gap = output.split()
    # 50 queries of 0.3 s each: 15 s one after another; together about one sleep.
    assert float(elapsed) < 5.0, output
    assert int(ticks) >= 5 and float(gap) < 1.0, output  # the hub kept turning meanwhile


def test_psycopg3_queries_run_concurrently(postgres):
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    check_concurrent(run_patched(postgres, """
        import psycopg
        def query():
            with psycopg.connect(DSN) as conn:
                return conn.execute("SELECT 1 FROM pg_sleep(0.3)").fetchone()[0]
    """, CONCURRENT_SLEEPS))


def test_psycopg3_pool_runs_concurrently(postgres):
    pytest.importorskip("psycopg_pool", reason="psycopg_pool is not installed")
    check_concurrent(run_patched(postgres, """
        from psycopg_pool import ConnectionPool
        pool = ConnectionPool(DSN, min_size=50, max_size=50, open=True)
        pool.wait(timeout=30)
        def query():
            with pool.connection() as conn:
                return conn.execute("SELECT 1 FROM pg_sleep(0.3)").fetchone()[0]
    """, CONCURRENT_SLEEPS))


def test_psycopg2_queries_run_concurrently(postgres):
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    check_concurrent(run_patched(postgres, """
        import psycopg2
        def query():
            conn = psycopg2.connect(DSN)
            try:
                cur = conn.cursor()
                cur.execute("SELECT 1 FROM pg_sleep(0.3)")
                return cur.fetchone()[0]
            finally:
                conn.close()
    """, CONCURRENT_SLEEPS))


def test_psycopg2_pool_runs_concurrently(postgres):
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    check_concurrent(run_patched(postgres, """
        from psycopg2.pool import ThreadedConnectionPool
        pool = ThreadedConnectionPool(1, 50, DSN)
        def query():
            conn = pool.getconn()
            try:
                cur = conn.cursor()
                cur.execute("SELECT 1 FROM pg_sleep(0.3)")
                return cur.fetchone()[0]
            finally:
                pool.putconn(conn)
    """, CONCURRENT_SLEEPS))


def test_driver_imported_before_patching_is_patched_too(postgres):
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    code = """
        import psycopg, psycopg.waiting, psycopg2.extensions
        from greensock import monkey
        monkey.patch_all()
        print(psycopg.waiting.wait.__name__, psycopg2.extensions.get_wait_callback().__name__)
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.stdout.split() == ["wait_poll", "psycopg2_wait"], out.stderr
