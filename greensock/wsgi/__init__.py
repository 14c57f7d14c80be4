"""A WSGI (PEP 3333) server on greensock: HTTP/1.0 and 1.1 parsed by httptools (llhttp).

    from greensock.wsgi import WSGIServer
    WSGIServer(("127.0.0.1", 8000), app).serve_forever()

or from the command line: ``python -m greensock.wsgi module:app --bind 127.0.0.1:8000``.
"""
try:
    import httptools  # noqa: F401 - checked here so the error names the extra
except ImportError as e:  # pragma: no cover - depends on what is installed
    raise ImportError("greensock.wsgi needs the 'http' extra: pip install 'greensock[http]' "
                      "(httptools and wsproto)") from e

from .server import WSGIServer

__all__ = ["WSGIServer"]
