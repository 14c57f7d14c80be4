"""A real Celery worker with -P greensock.celery:TaskPool, against the real redis-server."""
import os
import subprocess
import sys
import time

import pytest

# Each test's worker uses a new redis-server: the task module is reloaded for its port.
pytestmark = pytest.mark.filterwarnings("ignore:Task name .* is already registered")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@pytest.fixture
def worker(redis_server):
    pytest.importorskip("celery", reason="Celery is not installed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(HERE, "celery_app"), ROOT]),
               REDIS_PORT=str(redis_server), CELERY_CUSTOM_WORKER_POOL="greensock.celery:TaskPool")
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "tasks", "worker", "-P", "custom",
                             "--concurrency", "20", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                             "--without-heartbeat"], cwd=os.path.join(HERE, "celery_app"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("ready." in line for line in lines):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    if not any("ready." in line for line in lines):
        proc.kill()
        proc.wait()
        pytest.fail("the worker did not start:\n" + "".join(lines))
    sys.path.insert(0, os.path.join(HERE, "celery_app"))
    os.environ["REDIS_PORT"] = str(redis_server)
    import importlib

    import tasks
    importlib.reload(tasks)
    yield tasks
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    sys.path.remove(os.path.join(HERE, "celery_app"))


def test_20_tasks_that_sleep_finish_in_about_one_sleep(worker):
    start = time.monotonic()
    results = [worker.nap.delay(0.3) for _ in range(20)]
    assert [r.get(timeout=30) for r in results] == ["rested"] * 20
    assert time.monotonic() - start < 20 * 0.3 / 3  # together, not one after another (6 s)


def test_soft_time_limit_raises_in_the_task(worker):
    assert worker.overslept.delay().get(timeout=30) == "stopped by the soft limit"
