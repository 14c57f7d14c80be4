"""Record filters for TCPClient/TCPServer: ``LineFilter`` (POE::Filter::Line) and ``StreamFilter``."""
from __future__ import annotations

import re
from typing import Any


class RecordTooLong(ValueError):
    """A record went past ``max_length``; ``records`` holds the good ones of the same chunk."""

    def __init__(self, message: str, records: list) -> None:
        super().__init__(message)
        self.records = records


class LineFilter:
    """Lines in, lines out.

    Input lines end at CR, LF, CRLF or LFCR unless ``literal``/``input_literal``/``input_regexp``
    says otherwise; a CR and LF split across two chunks count as one terminator. Output
    records get ``output_literal`` (CRLF by default) appended. Records are ``str`` decoded
    with ``encoding``, or ``bytes`` when ``encoding`` is None. A record longer than
    ``max_length`` bytes makes ``get()`` raise ``ValueError`` and is discarded.
    """

    def __init__(self, literal: str | bytes | None = None, input_literal: str | bytes | None = None,
                 input_regexp: str | bytes | None = None, output_literal: str | bytes = "\r\n",
                 encoding: str | None = "utf-8", max_length: int = 1_048_576) -> None:
        if literal is not None and (input_literal is not None or input_regexp is not None):
            raise ValueError("literal cannot be combined with input_literal or input_regexp")
        if input_literal is not None and input_regexp is not None:
            raise ValueError("input_literal and input_regexp are mutually exclusive")
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise ValueError(f"max_length must be an int >= 1, not {max_length!r}")
        if encoding is not None:
            "".encode(encoding)  # LookupError for an unknown codec, at construction
        self._args: dict[str, Any] = dict(literal=literal, input_literal=input_literal, input_regexp=input_regexp,
                          output_literal=output_literal, encoding=encoding, max_length=max_length)
        self.encoding = encoding
        self.max_length = max_length
        if literal is not None:
            input_literal = output_literal = literal
        self._output = self._to_bytes(output_literal, "output_literal")
        if input_regexp is not None:
            pattern = self._to_bytes(input_regexp, "input_regexp")
            try:
                self._regexp = re.compile(pattern)
            except re.error as e:
                raise ValueError(f"input_regexp is not a regular expression: {e}") from e

            self._split_pair = None
        elif input_literal is not None:
            self._regexp = re.compile(re.escape(self._to_bytes(input_literal, "input_literal")))
            self._split_pair = None
        else:
            self._regexp = re.compile(rb"\r\n?|\n\r?")
            self._split_pair = {b"\r": b"\n", b"\n": b"\r"}  # a terminator may continue in the next chunk
        self._buffer = bytearray()
        self._skip = b""  # the second half of a terminator that ended the previous chunk
        self._discarding = False

    def _to_bytes(self, value, name: str) -> bytes:
        if isinstance(value, str):
            if not value:
                raise ValueError(f"{name} must not be empty")
            return value.encode(self.encoding or "utf-8")
        if isinstance(value, (bytes, bytearray)):
            if not value:
                raise ValueError(f"{name} must not be empty")
            return bytes(value)
        raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")

    def clone(self) -> LineFilter:
        """A new filter with the same settings and an empty buffer."""
        return LineFilter(**self._args)

    def get(self, chunk: bytes) -> list:
        """Feed bytes; return the complete records they finish."""
        buf = self._buffer
        if self._skip and chunk:
            if chunk[:1] == self._skip:
                chunk = chunk[1:]
            self._skip = b""
        buf += chunk
        records = []
        start = 0
        too_long = False
        for match in self._regexp.finditer(buf):
            end, after = match.start(), match.end()
            if self._discarding:
                self._discarding = False
            elif end - start > self.max_length:
                too_long = True
            else:
                records.append(self._record(buf[start:end]))
            start = after
            if self._split_pair and after == len(buf) and after - end == 1:
                self._skip = self._split_pair[bytes(buf[end:after])]
        del buf[:start]
        if len(buf) > self.max_length:
            buf.clear()
            self._discarding = True
            too_long = True
        if too_long:
            raise RecordTooLong(f"a record is longer than max_length ({self.max_length} bytes)", records)
        return records

    def _record(self, raw: bytearray):
        return bytes(raw) if self.encoding is None else raw.decode(self.encoding, errors="replace")

    def get_pending(self) -> bytes:
        """The partial record waiting for its terminator."""
        return bytes(self._buffer)

    def put(self, records: list) -> bytes:
        """Serialise records, each followed by the output literal."""
        out = bytearray()
        for record in records:
            if isinstance(record, str):
                record = record.encode(self.encoding or "utf-8")
            elif not isinstance(record, (bytes, bytearray, memoryview)):
                raise TypeError(f"a record must be str or bytes, not {type(record).__name__}")
            out += record
            out += self._output
        return bytes(out)


class StreamFilter:
    """Bytes pass through unchanged: each chunk is one record."""

    def clone(self) -> StreamFilter:
        return StreamFilter()

    def get(self, chunk: bytes) -> list:
        return [bytes(chunk)] if chunk else []

    def put(self, records: list) -> bytes:
        out = bytearray()
        for record in records:
            if not isinstance(record, (bytes, bytearray, memoryview)):
                raise TypeError(f"a record must be bytes, not {type(record).__name__}")
            out += record
        return bytes(out)
