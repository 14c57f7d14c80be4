"""``FileWrapper``: ``wsgi.file_wrapper``; the server sends a real file with ``sendfile``."""
from __future__ import annotations


class FileWrapper:
    """Iterates a file in blocks; the server sends it with ``sendfile`` when it can."""

    def __init__(self, filelike, blksize: int = 8192) -> None:
        if not hasattr(filelike, "read"):
            raise TypeError(f"filelike must have read(), not {type(filelike).__name__}")
        if not isinstance(blksize, int) or isinstance(blksize, bool) or blksize < 1:
            raise ValueError(f"blksize must be an int >= 1, not {blksize!r}")
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        read = self.filelike.read
        while True:
            block = read(self.blksize)
            if not block:
                return
            yield block

    def close(self) -> None:
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()
