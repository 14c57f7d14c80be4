"""The callback layer: the APIs of IO::Async, POE and Danga::Socket, on greensock's hub.

    from greensock.callback import Loop, Stream, SocketFactory, TCPClient, TCPServer, \\
        EventSocket, LineFilter, StreamFilter
"""
from .connector import ConnectHandle
from .eventsocket import EventSocket
from .filters import LineFilter, RecordTooLong, StreamFilter
from .listener import Listener
from .loop import Loop
from .socketfactory import SocketFactory
from .stream import Stream
from .tcpclient import TCPClient
from .tcpserver import Session, TCPServer

__all__ = ["Loop", "Stream", "Listener", "ConnectHandle", "SocketFactory", "LineFilter", "StreamFilter",
           "RecordTooLong",            "TCPClient", "TCPServer", "Session", "EventSocket"]
