"""Tutorial step 3: make an existing blocking program concurrent, unchanged.

``patch_all()`` (first thing, before other imports) makes the standard library cooperate:
here ``http.server`` and ``urllib.request`` code, written for threads, runs 20 slow requests
at once in one OS thread. ``python -m greensock.monkey app.py`` does the same from outside.
"""
from greensock import monkey

monkey.patch_all()

import threading  # noqa: E402 - after patching
import time  # noqa: E402
import urllib.request  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)  # patched: only this request waits
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"done")

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default of 5 would drop a burst of connections


server = Server(("127.0.0.1", 0), Slow)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/"
results = []
start = time.monotonic()
threads = [threading.Thread(target=lambda: results.append(urllib.request.urlopen(url).read())) for _ in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{len(results)} requests of 0.3 s in {time.monotonic() - start:.2f}s")
server.shutdown()
