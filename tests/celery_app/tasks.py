"""A Celery application for the pool tests (broker and results in the redis the test starts)."""
import os
import time

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

url = f"redis://127.0.0.1:{os.environ.get('REDIS_PORT', '6379')}/0"
app = Celery("tasks", broker=url, backend=url)
app.conf.update(worker_prefetch_multiplier=1, task_acks_late=False, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)


@app.task
def nap(seconds: float) -> str:
    time.sleep(seconds)  # patched by the pool: only this task's greenlet waits
    return "rested"


@app.task(soft_time_limit=0.2)
def overslept() -> str:
    try:
        time.sleep(5)
    except SoftTimeLimitExceeded:
        return "stopped by the soft limit"
    return "slept on"
