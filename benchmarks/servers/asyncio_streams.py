"""Echo server: asyncio streams (peer; uvloop_streams.py reuses it with uvloop)."""
import asyncio
import sys


async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def main(port):
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=4096)
    await server.serve_forever()


def run(use_uvloop=False):
    if use_uvloop:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))


if __name__ == "__main__":
    run()
