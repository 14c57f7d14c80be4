"""greensock.wsgi.WSGIServer serving hello world: python greensock_wsgi.py PORT"""
import sys

from hello import app

from greensock.wsgi import WSGIServer

WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, backlog=2048).serve_forever()
