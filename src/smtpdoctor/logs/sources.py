"""Inputs: files, globs, ``-`` for stdin, gzip, bzip2 or xz, read in large blocks of whole lines.

A block is ``block_size`` bytes read at once and cut after its last newline
(the rest is carried into the next block), so the parsers see whole lines
and Python never loops over lines it does not need. A line longer than
:data:`MAX_LINE_BYTES` is dropped and counted as unparsed, so one endless
line cannot fill memory.

A plain file can be read as byte ranges (``start``/``end``) for parallel
workers: a range starts after the first newline at or after ``start`` and
ends with the line that contains ``end - 1``, so every line belongs to
exactly one range. Compressed files (gzip, and the bzip2 and xz that
logrotate's ``compresscmd`` may make) and stdin are read whole by one worker.

A truncated or corrupt compressed file gives what it could decompress, and the
error is reported for that input; the run goes on.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.logs import native

if TYPE_CHECKING:
    from typing import Any, BinaryIO, Protocol

__all__ = [
    "BLOCK_SIZE",
    "MAX_LINE_BYTES",
    "BlockReader",
    "InputError",
    "Source",
    "expand_inputs",
    "handshake_cut",
]

BLOCK_SIZE = 8 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_DECODE_STEP = 64 * 1024  # bytes per read of a compressed or UTF-16 stream
# A compressed file by its first bytes (RFC 1952; bzip2's "BZh" and its block size
# digit; the xz format's stream header magic): what logrotate's compresscmd makes.
_PACKED_MAGIC = ((_GZIP_MAGIC, "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))
_MAGIC_BYTES = 6
# A UTF-16 byte order mark (Windows PowerShell's "> file", Out-File and
# Export-Csv -Encoding Unicode write UTF-16 with one): the text is read as UTF-8.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


if TYPE_CHECKING:  # (for mypy: typing is not imported on a logs run)

    class _Stream(Protocol):
        """What the block reader needs of a file, compressed stream or stdin."""

        def read(self, n: int, /) -> bytes: ...
        def readline(self, limit: int, /) -> bytes: ...
        def seek(self, offset: int, /) -> object: ...
        def close(self) -> None: ...


class InputError(Exception):
    """An input that cannot be read at all (missing, a directory, unreadable)."""


@dataclass(frozen=True)
class Source:
    """One input: a path, or stdin (path None)."""

    name: str
    path: str | None
    packed: str = ""  # its compression ("gzip", "bzip2", "xz"), or "" for plain text
    size: int = 0  # bytes on disk (0 for stdin)
    mtime: float | None = None
    utf16: bool = False  # UTF-16 text (a byte order mark first), read as UTF-8

    @property
    def gzip(self) -> bool:
        return self.packed == "gzip"

    @property
    def splittable(self) -> bool:
        return self.path is not None and not self.packed and not self.utf16


def _glob() -> Any:
    """The glob module, imported when an argument is no file (start-up: ~0.4 ms)."""
    import glob  # noqa: PLC0415 - see above

    return glob


def expand_inputs(args: list[str]) -> tuple[list[Source], list[str]]:
    """Sources for the command-line arguments, and one error per bad argument."""
    sources: list[Source] = []
    errors: list[str] = []
    seen: set[str] = set()
    for arg in args:
        if arg == "-":
            if "-" not in seen:
                sources.append(Source("-", None))
                seen.add("-")
            continue
        paths = [arg]
        if not os.path.exists(arg) and _glob().has_magic(arg):
            paths = sorted(_glob().glob(arg))
            if not paths:
                errors.append(f"no file matches {arg}")
                continue
        for path in paths:
            if path in seen:
                continue
            seen.add(path)
            try:
                sources.append(_source(path))
            except InputError as exc:
                errors.append(str(exc))
    return sources, errors


def _source(path: str) -> Source:
    # (os, not pathlib: pathlib and the urllib.parse it imports are ~3 ms of the
    # logs command's start-up, which nothing else on its path imports)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot read {path}: it is a directory")
    if stat.S_ISFIFO(st.st_mode):
        # (a file is opened more than once: its magic, the format's sniff, the
        # read; a pipe gives each open what the one before left, or waits for a
        # writer: `logs <(zcat f)` read nothing and said "0 lines")
        raise InputError(
            f"cannot read {path}: it is a pipe, which logs would read more than once; "
            f"give it as standard input: smtpdoctor logs - < {path}"
        )
    if not stat.S_ISREG(st.st_mode):  # /dev/zero: a device never ends
        raise InputError(f"cannot read {path}: it is a device or socket, not a file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(_MAGIC_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Source(
        path, path, _packed(magic), st.st_size, st.st_mtime, utf16=magic[:2] in _UTF16_BOMS
    )


def _packed(head: bytes) -> str:
    """The compression a file's first bytes name, or "" for none."""
    return next((kind for magic, kind in _PACKED_MAGIC if head.startswith(magic)), "")


class BlockReader:
    """Iterates whole-line blocks of one source (or one byte range of it)."""

    def __init__(
        self,
        source: Source,
        *,
        block_size: int = BLOCK_SIZE,
        start: int = 0,
        end: int | None = None,
        stdin: BinaryIO | None = None,
    ) -> None:
        self.source = source
        self.block_size = block_size
        self.start = start
        self.end = end
        self._stdin = stdin
        self.error: str | None = None
        self.bytes_read = 0  # raw bytes consumed (compressed bytes for compressed files)
        self.long_lines = 0  # lines dropped for exceeding MAX_LINE_BYTES
        self.long_samples: list[bytes] = []
        self._first = 0  # (where the range's first line starts, once read)

    def _open(self) -> _Stream:
        if self.source.path is None:
            raw_in: BinaryIO = self._stdin or sys.stdin.buffer
            stream: _Stream = raw_in
            if hasattr(raw_in, "peek"):
                head = raw_in.peek(_MAGIC_BYTES)[:_MAGIC_BYTES]
            else:
                head = raw_in.read(_MAGIC_BYTES)
                stream = _Prefixed(head, raw_in)
            packed = _packed(head)
            if packed:
                return _Unpacked(stream, packed)
            if head[:2] in _UTF16_BOMS:
                return _Utf16Stream(stream)
            return stream
        raw = open(self.source.path, "rb")  # noqa: SIM115 - closed by the caller
        if self.source.packed:
            return _Unpacked(raw, self.source.packed)
        if self.source.utf16:
            return _Utf16Stream(raw)
        return raw

    def __iter__(self) -> Iterator[bytes]:
        try:
            fh = self._open()
        except OSError as exc:
            self.error = f"cannot read: {exc.strerror or exc}"
            return
        fast = native.read_block
        try:
            plain = not (self.source.packed or self.source.utf16)
            if fast is not None and plain and self.source.path is not None:
                yield from self._plain_blocks(fh, fast)
            else:
                yield from self._blocks(fh)
        finally:
            if self.source.path is not None:
                fh.close()

    def _blocks(self, fh: _Stream) -> Iterator[bytes]:
        carry = b""
        pos = self._skip_first_line(fh) if self.start > 0 else self.start
        end = self.end
        while True:
            want = self.block_size
            if end is not None:
                if pos >= end:
                    break
                want = min(want, end - pos)
            try:
                data = self._read(fh, want)
            except _ReadFailed as failed:
                self.error = failed.message
                data = failed.partial
                if data:
                    self.bytes_read += len(data)
                    carry += data
                if carry:
                    yield carry
                return
            if not data:
                break
            pos += len(data)
            self.bytes_read += len(data)
            nl = data.rfind(b"\n")
            if nl < 0:
                carry += data
                if len(carry) > MAX_LINE_BYTES:
                    carry = self._drop_long(carry)
                continue
            # (one copy of the block, not two: a slice and then the concatenation)
            block = b"".join((carry, memoryview(data)[: nl + 1])) if carry else data[: nl + 1]
            carry = data[nl + 1 :]
            block, carry = _recut(block, carry)
            if len(block) > MAX_LINE_BYTES and block.find(b"\n") > MAX_LINE_BYTES:
                block = self._drop_long(block)
            yield block
        if end is not None and carry:
            carry = self._finish_last_line(fh, carry)
        if carry:
            yield carry

    def _plain_blocks(self, fh: _Stream, fast: native.ReadBlock) -> Iterator[bytes]:
        """What _blocks yields, for a plain file read with native.read_block: each
        block read into its own bytes object (no second copy behind the carry), the
        last one's memory again when the caller let go of it (``spares``: its pages
        are faulted in once, not at every block)."""
        carry = b""
        spares: list[object] = []  # (read_block's: the block given back, see there)
        pos = self._skip_first_line(fh) if self.start > 0 else self.start
        end = self.end
        while True:
            want = self.block_size
            if end is not None:
                if pos >= end:
                    break
                want = min(want, end - pos)
            try:
                # (cut at handshake_cut's line too, in place: no copy)
                got, block, carry = fast(fh, carry, want, spares, HANDSHAKE_LOOKAHEAD)
            except OSError as exc:
                self.error = f"read error: {exc}"
                if carry:
                    yield carry
                return
            if not got:
                break
            pos += got
            self.bytes_read += got
            if block is None:
                if len(carry) > MAX_LINE_BYTES:
                    carry = self._drop_long(carry)
                continue
            read = block
            if len(block) > MAX_LINE_BYTES and block.find(b"\n") > MAX_LINE_BYTES:
                block = self._drop_long(block)
            yield block
            # The caller asks for the next block: the one read last goes back to
            # read_block, which reads into it if nothing else holds it now (the
            # caller's loop holds no block while it asks: engine._read_blocks).
            if block is read and len(spares) == 2:
                spares.insert(0, block)
            block = None
            del read
        if end is not None and carry:
            carry = self._finish_last_line(fh, carry)
        if carry:
            yield carry

    def _skip_first_line(self, fh: _Stream) -> int:
        """Skips the line that began before our range (its owner reads it);
        the position of the first line of ours."""
        pos = self.start
        fh.seek(self.start - 1)
        first = fh.read(1)
        if first != b"\n":
            rest = fh.readline(MAX_LINE_BYTES)
            pos = self.start + len(rest)
        self.bytes_read = pos - self.start
        self._first = pos
        return pos

    def text_before(self, size: int) -> bytes:
        """Up to ``size`` bytes before the range's first line (none when the range
        starts the input): the lines a repeat line at its start may stand for."""
        first = self._first
        if first <= 0 or self.source.path is None:
            return b""
        try:
            with open(self.source.path, "rb") as fh:
                fh.seek(max(0, first - size))
                return fh.read(min(size, first))
        except OSError:
            return b""

    def _finish_last_line(self, fh: _Stream, carry: bytes) -> bytes:
        """The line that straddles the end of our range, read to its end."""
        try:
            carry += fh.readline(MAX_LINE_BYTES)
        except OSError as exc:  # (an _Unpacked stream's errors are OSErrors too)
            self.error = _read_error(exc)
        return carry

    def _read(self, fh: _Stream, want: int) -> bytes:
        """Up to ``want`` bytes. Compressed data is decompressed in small steps, so a
        truncated or corrupt file still gives everything before the damage."""
        if not (self.source.packed or self.source.utf16 or self.source.path is None):
            try:
                return fh.read(want)
            except OSError as exc:
                raise _ReadFailed(f"read error: {exc}", b"") from None
        parts: list[bytes] = []
        got = 0
        while got < want:
            try:
                piece = fh.read(min(_DECODE_STEP, want - got))
            except OSError as exc:  # (an _Unpacked stream's errors are OSErrors too)
                raise _ReadFailed(_read_error(exc), b"".join(parts)) from None
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)

    def _drop_long(self, data: bytes) -> bytes:
        """Drop a line longer than MAX_LINE_BYTES (up to its newline, if any)."""
        self.long_lines += 1
        if len(self.long_samples) < 3:
            self.long_samples.append(data[:200])
        nl = data.find(b"\n")
        return b"" if nl < 0 else data[nl + 1 :]


class _Prefixed:
    """A stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, n: int, /) -> bytes:
        head = self._head
        if n <= len(head):
            self._head = head[n:]
            return head[:n]
        self._head = b""
        return head + self._stream.read(n - len(head))

    def readline(self, limit: int, /) -> bytes:
        head, self._head = self._head, b""
        return head + self._stream.readline(limit)

    def seek(self, offset: int, /) -> object:  # pragma: no cover - stdin is never split
        raise OSError("cannot seek in standard input")

    def close(self) -> None:
        self._stream.close()


class _Decoded:
    """A stream of the bytes made from another's (decompressed, transcoded), handed
    out from a buffer that :meth:`read` fills."""

    _what = "a decoded stream"

    def __init__(self, raw: _Stream) -> None:
        self._raw = raw
        self._buf = bytearray()
        self._done = False

    def read(self, n: int, /) -> bytes:  # pragma: no cover - each kind's own
        raise NotImplementedError

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def seek(self, offset: int, /) -> object:  # pragma: no cover - never split
        raise OSError(f"cannot seek in {self._what}")

    def readline(self, limit: int, /) -> bytes:
        data = self.read(limit if limit > 0 else MAX_LINE_BYTES)
        nl = data.find(b"\n")
        if nl >= 0:
            self._buf[:0] = data[nl + 1 :]
            return data[: nl + 1]
        return data

    def close(self) -> None:
        self._raw.close()


class _UnpackError(OSError):
    """What went wrong in a compressed stream, said for the report."""


def _decompressor(packed: str) -> tuple[Any, tuple[type[Exception], ...]]:
    """A fresh decompressor of one stream of ``packed`` data and the errors it raises
    on bad data (bz2 and lzma imported only when such a file is read: start-up)."""
    if packed == "gzip":
        return zlib.decompressobj(wbits=31), (zlib.error,)
    if packed == "bzip2":
        import bz2  # noqa: PLC0415 - see above

        return bz2.BZ2Decompressor(), (OSError, EOFError)
    import lzma  # noqa: PLC0415 - see above

    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ), (lzma.LZMAError, EOFError)


class _Unpacked(_Decoded):
    """Decompression (gzip, bzip2, xz) that hands out every byte before damage.

    ``gzip.GzipFile.read`` raises on a truncated file and loses what the same
    call had decompressed; this reads the compressed stream in steps with the
    format's decompressor (streams concatenated one after the other, as gzip's
    members and pbzip2's streams are, are read in turn) and raises only once
    everything before the damage has been returned.
    """

    def __init__(self, raw: _Stream, packed: str) -> None:
        super().__init__(raw)
        self._packed = packed
        self._what = f"a {packed} stream"
        self._z, self._bad_data = _decompressor(packed)
        self._error: _UnpackError | None = None

    def read(self, n: int, /) -> bytes:
        while len(self._buf) < n and not self._done and self._error is None:
            chunk = self._raw.read(_DECODE_STEP)
            if not chunk:
                if not self._z.eof:
                    self._error = _UnpackError(
                        f"truncated {self._packed} file: "
                        "the data ends before the end-of-stream marker"
                    )
                self._done = True
                break
            try:
                while chunk:
                    self._buf += self._z.decompress(chunk)
                    if not self._z.eof:
                        break
                    chunk = self._z.unused_data
                    if chunk:
                        self._z, _ = _decompressor(self._packed)
            except self._bad_data as exc:
                self._error = _UnpackError(f"corrupt {self._packed} data: {exc}")
        if not self._buf and self._error is not None:
            raise self._error
        return self._take(n)


class _Utf16Stream(_Decoded):
    """UTF-16 text handed out as UTF-8 bytes (its byte order mark read and dropped;
    a lone surrogate or an odd last byte becomes U+FFFD, as bad UTF-8 would)."""

    _what = "a UTF-16 stream"

    def __init__(self, raw: _Stream) -> None:
        super().__init__(raw)
        self._decoder = codecs.getincrementaldecoder("utf-16")("replace")

    def read(self, n: int, /) -> bytes:
        while len(self._buf) < n and not self._done:
            chunk = self._raw.read(_DECODE_STEP)
            self._done = not chunk
            self._buf += self._decoder.decode(chunk, final=self._done).encode("utf-8")
        return self._take(n)


class _ReadFailed(Exception):
    def __init__(self, message: str, partial: bytes) -> None:
        super().__init__(message)
        self.message = message
        self.partial = partial


# How far after a TLS handshake failure line the Postfix reader looks for the same
# process's "TLS library problem" line (postfix_tls reads it from here; the C engine's
# LOOKAHEAD in _scan_rare.c is the same).
HANDSHAKE_LOOKAHEAD = 4096
_HANDSHAKE_MARKERS = (b"SSL_accept error", b"SSL_connect error")


def handshake_cut(block: bytes) -> int:
    """Where to end ``block`` instead (0: where it ends): before the first TLS
    handshake failure line whose look-ahead for its OpenSSL reason would reach past
    the block's end. That line and the rest go to the next block, where the
    look-ahead sees the lines that follow it, as in one block: the report does not
    depend on where the blocks end (for blocks over HANDSHAKE_LOOKAHEAD + a line)."""
    n = len(block)
    if n <= HANDSHAKE_LOOKAHEAD:
        return 0
    start = block.rfind(b"\n", 0, n - HANDSHAKE_LOOKAHEAD) + 1
    hits = [p for p in (block.find(m, start) for m in _HANDSHAKE_MARKERS) if p >= 0]
    if not hits:
        return 0
    return block.rfind(b"\n", 0, min(hits)) + 1


def _recut(block: bytes, carry: bytes) -> tuple[bytes, bytes]:
    """The block and the carry, the block cut at :func:`handshake_cut`."""
    cut = handshake_cut(block)
    if not cut:
        return block, carry
    return block[:cut], block[cut:] + carry


def _read_error(exc: OSError) -> str:
    if isinstance(exc, _UnpackError):
        return str(exc)
    return f"read error: {exc}"
