"""The hub's internals: the loop, fd readiness, the poller backends, timers, wake-up, parking.

Nothing outside ``greensock`` should import from here; the public surface is
``greensock.hub`` (see ``docs/hub.rst``, and ``docs/internals.rst`` for how it works).
"""
