"""``Body``: ``wsgi.input``, the request body read from the connection as the application asks."""
from __future__ import annotations


class Body:
    """A file-like reader of one request's body (length-delimited or chunked).

    Nothing is read from the socket until the application reads; the first read answers
    ``Expect: 100-continue``. Reading past the end returns ``b""``
    (``wsgi.input_terminated`` is true).
    """

    def __init__(self, fill, request) -> None:
        self._fill = fill  # fill(request): receive more of the body, or raise
        self._request = request
        self._buffer = bytearray()

    def _more(self) -> bool:
        """Move the next received chunk into the buffer; False at the body's end."""
        request = self._request
        while not request.chunks:
            if request.complete:
                return False
            self._fill(request)
        self._buffer += request.chunks.popleft()
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is None or negative)."""
        if size is not None and not isinstance(size, int):
            raise TypeError(f"size must be an int or None, not {type(size).__name__}")
        buffer = self._buffer
        if size is None or size < 0:
            while self._more():
                pass
            data = bytes(buffer)
            buffer.clear()
            return data
        while len(buffer) < size and self._more():
            pass
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """One line (with its ``\\n``), at most ``size`` bytes."""
        buffer = self._buffer
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end >= 0:
                end += 1
                break
            if size is not None and 0 <= size <= len(buffer):
                end = size
                break
            start = len(buffer)
            if not self._more():
                end = len(buffer)
                break
        if size is not None and 0 <= size < end:
            end = size
        data = bytes(buffer[:end])
        del buffer[:end]
        return data

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line
