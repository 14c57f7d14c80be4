"""Every test runs on a fresh hub; ``poller`` tests run once per poller backend."""
import signal

import pytest

import greensock
from greensock._core.poller import available

# Started as a background job, this process may have inherited SIGINT ignored, and so would
# every child it starts. The tests that press Ctrl-C need it delivered: give it a handler
# (reset to the default in children at exec, unlike an ignored signal).
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def fresh_hub():
    """Give each test its own hub and destroy it afterwards."""
    yield
    hub = greensock.current_hub()
    if hub is not None:
        hub.destroy()


@pytest.fixture(params=available())
def poller(request):
    """Install a hub using each available poller backend in turn."""
    greensock.set_hub(greensock.Hub(poller=request.param))
    return request.param
