"""Echo server: uvloop with asyncio streams (peer)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asyncio_streams  # noqa: E402

asyncio_streams.run(use_uvloop=True)
