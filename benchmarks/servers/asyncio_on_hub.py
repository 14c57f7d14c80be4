"""Echo server: the asyncio Protocol server (asyncio_protocol.py) run by asyncio.run() in a
greenlet, on greensock's hub (patch_all: the loop waits through greensock's selector)."""
from greensock import monkey

monkey.patch_all()

from asyncio_protocol import run  # noqa: E402

import greensock  # noqa: E402 - after patching, as patch_all wants

greensock.spawn(run).get()
