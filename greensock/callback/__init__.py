"""The callback layer: the APIs of IO::Async, POE and Danga::Socket, on greensock's hub.

    from greensock.callback import Loop, Stream, SocketFactory, TCPClient, TCPServer, \\
        EventSocket, LineFilter, StreamFilter
"""
from .connector import ConnectHandle
from .listener import Listener
from .loop import Loop
from .stream import Stream

__all__ = ["Loop", "Stream", "Listener", "ConnectHandle"]
