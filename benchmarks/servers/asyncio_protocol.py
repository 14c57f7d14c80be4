"""Echo server: asyncio Protocol (peer; uvloop_protocol.py reuses it with uvloop)."""
import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(port):
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", port, backlog=4096)
    await server.serve_forever()


def run(use_uvloop=False):
    if use_uvloop:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))


if __name__ == "__main__":
    run()
