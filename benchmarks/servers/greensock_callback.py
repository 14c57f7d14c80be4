"""Echo server: greensock callback layer, Loop.listen plus Stream (IO::Async style)."""
import sys

from greensock.callback import Loop, Stream

loop = Loop()


def on_read(stream, buffer, eof):
    if buffer:
        stream.write(bytes(buffer))
        del buffer[:]
    return False


def on_accept(client):
    loop.add(Stream(handle=client, on_read=on_read, autoflush=True, read_len=65536))


loop.listen(host="127.0.0.1", service=int(sys.argv[1]), queuesize=4096, on_accept=on_accept)
loop.run_forever()
