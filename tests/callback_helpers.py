"""Helpers for the callback-layer tests: run the hub until something has happened."""
import time

import greensock


def wait_for(predicate, timeout: float = 5.0) -> None:
    """Let the hub run until ``predicate()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        greensock.sleep(0.002)


class Recorder:
    """Callables that record their calls in one ordered list."""

    def __init__(self) -> None:
        self.events: list = []

    def __call__(self, name: str):
        def record(*args):
            self.events.append((name, *args))
        return record

    def names(self) -> list:
        return [e[0] for e in self.events]

    def of(self, name: str) -> list:
        return [e[1:] for e in self.events if e[0] == name]
