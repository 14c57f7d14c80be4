"""A Flask application (with a flask-sock WebSocket route), served unchanged."""
import time

from flask import Flask, request
from flask_sock import Sock

app = Flask(__name__)
sock = Sock(app)


@app.route("/")
def index():
    return "flask says hi"


@app.route("/echo", methods=["POST"])
def echo():
    return request.get_data()


@app.route("/slow")
def slow():
    time.sleep(0.5)  # cooperative under patch_all
    return "slept"


@sock.route("/ws")
def ws_echo(ws):
    while True:
        message = ws.receive()
        if message == "bye":
            break
        ws.send(message)
