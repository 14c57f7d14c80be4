"""Echo server: uvloop with an asyncio Protocol (peer)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asyncio_protocol  # noqa: E402

asyncio_protocol.run(use_uvloop=True)
