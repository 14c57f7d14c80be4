"""Three greenlets share one thread: each sleeps, a queue hands results to the main one."""
import time

import greensock
from greensock.queue import Queue


def worker(name: str, delay: float, results: Queue) -> None:
    for step in range(3):
        greensock.sleep(delay)
        results.put(f"{name} step {step}")


def main() -> None:
    results: Queue = Queue()
    start = time.monotonic()
    workers = [greensock.spawn(worker, name, delay, results) for name, delay in
               (("fast", 0.01), ("medium", 0.02), ("slow", 0.03))]
    for _ in range(9):
        print(results.get())
    greensock.joinall(workers)
    print(f"9 steps in {time.monotonic() - start:.2f}s (0.18s if run one after another)")


if __name__ == "__main__":
    main()
