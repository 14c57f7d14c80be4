"""The IO::Async::Listener synopsis in greensock: an echo server built from callbacks.

    python examples/callback_echo_server.py [PORT]   # serve until Ctrl-C (try: nc 127.0.0.1 PORT)
"""
import sys

from greensock.callback import Loop, Stream

loop = Loop()


def on_accept(client) -> None:
    def on_read(stream, buffer, eof):
        stream.write(bytes(buffer))
        del buffer[:]
        return False

    loop.add(Stream(handle=client, on_read=on_read))


def main() -> None:
    port = sys.argv[1] if len(sys.argv) > 1 else "0"
    listener = loop.listen(
        host="127.0.0.1",
        service=port,
        socktype="stream",
        on_accept=on_accept,
        on_listen=lambda sock: print(f"echo server on 127.0.0.1:{sock.getsockname()[1]}", flush=True),
        on_resolve_error=lambda message: print(f"Cannot resolve - {message}", file=sys.stderr),
        on_listen_error=lambda: print("Cannot listen", file=sys.stderr),
    )
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        listener.close()
        print("bye")


if __name__ == "__main__":
    main()
