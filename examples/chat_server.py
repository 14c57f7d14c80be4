"""A multi-user line chat. Try it with several terminals running ``nc 127.0.0.1 PORT``.

    python examples/chat_server.py [PORT]

Each line a user types goes to everyone else. Commands: ``/nick NAME``, ``/who``, ``/quit``.
"""
import sys

import greensock
from greensock.queue import Queue
from greensock.server import StreamServer

MAX_BACKLOG = 100  # lines queued for a slow reader before it is disconnected


class ChatRoom:
    def __init__(self) -> None:
        self.members: dict[str, Queue] = {}
        self._next_guest = 1

    def join(self) -> tuple[str, Queue]:
        name = f"guest{self._next_guest}"
        self._next_guest += 1
        outbox: Queue = Queue(MAX_BACKLOG)
        self.members[name] = outbox
        self.broadcast(f"* {name} joined", exclude=name)
        return name, outbox

    def leave(self, name: str) -> None:
        if self.members.pop(name, None) is not None:
            self.broadcast(f"* {name} left")

    def rename(self, old: str, new: str) -> str:
        if not new.isidentifier() or new in self.members:
            return old
        self.members[new] = self.members.pop(old)
        self.broadcast(f"* {old} is now {new}", exclude=new)
        return new

    def broadcast(self, line: str, exclude: str | None = None) -> None:
        for name, outbox in list(self.members.items()):
            if name != exclude:
                if outbox.full():
                    self.members.pop(name)  # too slow: its writer sees the sentinel and hangs up
                    outbox.queue.clear()
                    outbox.put(None)
                else:
                    outbox.put(line)


room = ChatRoom()


def handle(sock, address) -> None:
    name, outbox = room.join()
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    writer = greensock.spawn(_write_lines, sock, outbox)
    try:
        sock.sendall(f"welcome, {name}! /nick NAME, /who, /quit\n".encode())
        for line in reader:
            line = line.rstrip("\r\n")
            if line == "/quit":
                break
            if line.startswith("/nick "):
                name = room.rename(name, line[6:].strip())
                outbox.put(f"* you are {name}")
            elif line == "/who":
                outbox.put("* here: " + ", ".join(sorted(room.members)))
            elif line and name in room.members:
                room.broadcast(f"<{name}> {line}", exclude=name)
    finally:
        room.leave(name)
        outbox.put(None)
        writer.join(timeout=1)
        writer.kill()


def _write_lines(sock, outbox: Queue) -> None:
    for line in iter(outbox.get, None):
        sock.sendall(line.encode() + b"\n")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = StreamServer(("127.0.0.1", port), handle)
    server.init_socket()
    print(f"chat server on 127.0.0.1:{server.server_port} (try: nc 127.0.0.1 {server.server_port})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
