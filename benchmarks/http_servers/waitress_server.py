"""waitress (one thread) serving hello world: python waitress_server.py PORT"""
import sys

import waitress
from hello import app

waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=1, _quiet=True, backlog=2048)
