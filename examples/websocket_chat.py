"""A WebSocket chat room: every message a client sends goes to every client.

    python examples/websocket_chat.py [PORT]   # serve until Ctrl-C
    python examples/websocket_chat.py --demo   # serve, connect three clients, chat, exit

Try it with websocket-client (pip install websocket-client) in two terminals:
    python -m websocket ws://127.0.0.1:8000/chat
"""
import sys

import greensock
from greensock.wsgi import WSGIServer

members = set()


def chat(environ, start_response):
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"connect with a WebSocket client to /chat\n"]
    members.add(ws)
    try:
        for other in members:
            other.send(f"* someone joined ({len(members)} here)")
        while (message := ws.receive()) is not None:
            for other in list(members):
                if not other.closed:
                    other.send(message)
    finally:
        members.discard(ws)
    return []


def demo() -> None:
    from websocket import create_connection  # websocket-client, from the test extra

    server = WSGIServer(("127.0.0.1", 0), chat, log=None)
    server.start()
    url = f"ws://127.0.0.1:{server.server_port}/chat"

    def client(name: str, says: str) -> list:
        # websocket-client uses the standard socket: run it in a thread of its own.
        def talk():
            ws = create_connection(url, timeout=10)
            while ws.recv() != "* someone joined (3 here)":
                pass  # wait until everyone is in
            ws.send(f"{name}: {says}")
            heard = []
            while len(heard) < 3:
                message = ws.recv()
                if not message.startswith("*"):
                    heard.append(message)
            ws.close()
            return heard
        return greensock.get_hub().threadpool.apply(talk)

    talkers = [greensock.spawn(client, name, f"hello from {name}") for name in ("ann", "bob", "cid")]
    greensock.joinall(talkers, raise_error=True)
    for t, name in zip(talkers, ("ann", "bob", "cid"), strict=True):
        print(f"{name} heard: {sorted(t.value)}")
    server.stop()


def main() -> None:
    if sys.argv[1:] == ["--demo"]:
        demo()
        return
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = WSGIServer(("127.0.0.1", port), chat)
    print(f"chat on ws://127.0.0.1:{server.server_port}/chat (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
