"""Echo server: trio (peer)."""
import sys
from functools import partial

import trio


async def echo(stream):
    async with stream:
        while True:
            data = await stream.receive_some(65536)
            if not data:
                return
            await stream.send_all(data)


trio.run(partial(trio.serve_tcp, echo, int(sys.argv[1]), host="127.0.0.1", backlog=4096))
