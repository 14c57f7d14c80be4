"""``ReadWrite``: a Stream plus a filter — records in and out, flush and watermark events.

The shared engine of TCPClient and TCPServer sessions (POE::Wheel::ReadWrite's role).
"""
from __future__ import annotations

import errno

from .addresses import errnum_errstr
from .stream import Stream


class ReadWrite:
    """Feeds input through ``filter`` to ``on_input(record)``; ``put(record)`` queues output.

    ``on_error(operation, errnum, errstr)`` reports failures (EOF is ``("read", 0, "")``);
    ``on_flushed()`` fires when the output queue drains; ``on_high()``/``on_low()`` when the
    queued octets cross ``high_mark`` upwards / fall to ``low_mark``.
    """

    def __init__(self, loop, sock, filter, *, on_input, on_error, on_flushed=None, high_mark=None,
                 low_mark=None, on_high=None, on_low=None) -> None:
        self.filter = filter
        self._on_input = on_input
        self._on_error = on_error
        self._on_flushed = on_flushed
        self._high_mark = high_mark
        self._low_mark = low_mark
        self._on_high = on_high
        self._on_low = on_low
        self._high = False
        self.input_enabled = True
        self.stream = Stream(handle=sock, on_read=self._read, on_read_eof=self._eof, on_read_error=self._read_error,
                             on_write_error=self._write_error, close_on_read_eof=False, read_len=65536,
                             write_len=1 << 20)
        self._loop = loop
        loop.add(self.stream)

    # -- input ---------------------------------------------------------------------------
    def _read(self, stream, buffer, eof) -> bool:
        if not buffer:
            return False
        chunk = bytes(buffer)
        del buffer[:]
        try:
            records = self.filter.get(chunk)
        except ValueError as e:
            for record in getattr(e, "records", []):
                self._deliver(record)
            self.input_enabled = False
            self._on_error("read", errno.EMSGSIZE, str(e))
            return False
        for record in records:
            self._deliver(record)
        return False

    def _deliver(self, record) -> None:
        if self.input_enabled and not self.stream.closed:
            self._on_input(record)

    def _eof(self, stream) -> None:
        self._on_error("read", 0, "")

    def _read_error(self, stream, err: OSError) -> None:
        self._on_error("read", *errnum_errstr(err))

    def _write_error(self, stream, err: OSError) -> None:
        self._on_error("write", *errnum_errstr(err))

    # -- output --------------------------------------------------------------------------
    def put(self, record) -> bool:
        """Queue one record; True while the queued output is at or above the high mark."""
        data = self.filter.put([record])
        if self._high_mark is not None and not self._high and \
                self.stream.write_pending + len(data) >= self._high_mark:
            self._high = True
            self._loop.call_soon(self._on_high)  # queued before the flush that may bring "low"
        self.stream.write(data, on_write=self._wrote if self._low_mark is not None else None,
                          on_flush=self._flushed)
        return self._high

    def _wrote(self, stream, n: int) -> None:
        if self._high and stream.write_pending <= self._low_mark:
            self._high = False
            self._on_low()

    def _flushed(self, stream) -> None:
        if not stream.write_pending and self._on_flushed is not None:
            self._on_flushed()

    @property
    def pending_octets(self) -> int:
        return self.stream.write_pending

    # -- closing -------------------------------------------------------------------------
    def close_when_flushed(self, on_closed) -> None:
        """Close after the queued output is written, then call ``on_closed()``."""
        self.input_enabled = False
        self.stream.on_closed = lambda stream: on_closed()
        self.stream.close()

    def close_now(self) -> None:
        """Drop everything and close at once (no callback)."""
        self.input_enabled = False
        self.stream.on_closed = None
        self.stream.close_now()
