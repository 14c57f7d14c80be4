"""Timeout: expiry, nesting, custom exceptions, cancellation, with_timeout."""
import time

import pytest

from greensock import Timeout, sleep, spawn, with_timeout


def test_timeout_raises_itself(poller):
    with pytest.raises(Timeout) as info:
        with Timeout(0.01) as t:
            sleep(1)
    assert info.value is t and "0.01 seconds" in str(t)


def test_timeout_is_base_exception_not_exception():
    assert not issubclass(Timeout, Exception) and issubclass(Timeout, BaseException)


def test_custom_exception_and_false(poller):
    with pytest.raises(ValueError):
        with Timeout(0.01, ValueError("custom")):
            sleep(1)
    with pytest.raises(KeyError):
        with Timeout(0.01, KeyError):
            sleep(1)
    start = time.monotonic()
    with Timeout(0.01, False):
        sleep(1)
    assert time.monotonic() - start < 0.5


def test_nested_timeouts_the_inner_fires_first(poller):
    with Timeout(1) as outer:
        with pytest.raises(Timeout) as info:
            with Timeout(0.01):
                sleep(0.5)
        assert info.value is not outer
    with pytest.raises(Timeout) as info:
        with Timeout(0.01) as outer:
            with Timeout(1):
                sleep(0.5)
    assert info.value is outer


def test_none_never_fires_and_cancelled_never_fires_later(poller):
    with Timeout(None):
        sleep(0.01)
    t = Timeout(0.01)
    t.start()
    assert t.pending
    t.cancel()
    assert not t.pending
    sleep(0.03)  # nothing is raised


def test_start_new_and_restart():
    t = Timeout.start_new(0.5)
    assert t.pending
    with pytest.raises(RuntimeError):
        t.start()
    t.cancel()
    assert Timeout.start_new(t) is t and t.pending
    t.cancel()


def test_timeout_in_other_greenlet_only_hits_that_greenlet():
    def slow():
        with Timeout(0.01):
            sleep(1)
    g = spawn(slow)
    g.join()
    assert isinstance(g.exception, Timeout)


def test_with_timeout():
    assert with_timeout(1, lambda x: x * 2, 21) == 42
    assert with_timeout(0.01, sleep, 1, timeout_value="late") == "late"
    with pytest.raises(Timeout):
        with_timeout(0.01, sleep, 1)


def test_bad_seconds():
    with pytest.raises(TypeError, match="seconds"):
        Timeout("soon")
