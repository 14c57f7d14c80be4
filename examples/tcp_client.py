"""The POE::Component::Client::TCP synopsis in greensock, against a local HTTP server.

The synopsis sends "HEAD /" to a web server and prints what comes back; here the server
is a small one started in the same process, so the example runs without a network.

    python examples/tcp_client.py
"""
from greensock.callback import Loop, TCPClient, TCPServer


def main() -> None:
    loop = Loop()

    def answer(session, line):
        if line == "HEAD /":
            session.put("HTTP/1.0 200 OK")
            session.put("Server: greensock example")
            session.put("")
            session.shutdown()

    server = TCPServer(address="127.0.0.1", port=0, client_input=answer)

    TCPClient(
        remote_address="127.0.0.1",
        remote_port=server.port,
        connected=lambda client, sock, address, port: client.put("HEAD /"),
        server_input=lambda client, line: print(f"from server: {line}"),
        disconnected=lambda client: loop.stop(),
    )
    loop.run_forever()
    server.shutdown()


if __name__ == "__main__":
    main()
