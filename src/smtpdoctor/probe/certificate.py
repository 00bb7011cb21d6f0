"""The server certificate as a live check sees it: the facts, judged against the system store.

The facts and the judging are :func:`smtpdoctor.evidence.certificate.analyze_chain`;
this module reads the trust anchors (the system bundle and ``--tls-ca`` files).
:func:`settles` checks a chain on the DER route as soon as the handshake has
it (a diagnosis runs it in a thread while its walk goes on), and
:func:`warm_up_full` imports the x509 layer every other chain needs, once
:func:`settles` says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import ssl
import stat
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from smtpdoctor import sidefile
from smtpdoctor.evidence.certificate import (
    Anchors,
    CertificateInfo,
    analyze_chain,
    load_pem_bundle,
)
from smtpdoctor.evidence.der import looks_like_certificate, pem_blocks

if TYPE_CHECKING:
    from cryptography import x509

    from smtpdoctor.evidence import certfast

__all__ = [
    "MAX_CA_FILE",
    "StrPath",
    "analyze_certificate",
    "check_ca_file",
    "read_ca_file",
    "read_system_roots",
    "roots_read",
    "settles",
    "shown",
    "warm_up_full",
]

# A file named as typed or as a Path: the CLI keeps --tls-ca as typed, so a
# diagnosis does not import pathlib (~2.5 ms).
StrPath = str | os.PathLike[str]

# A --tls-ca file is read up to this much, never whole: /dev/zero or a
# runaway file must not fill memory. The largest system bundles are ~250 KiB.
MAX_CA_FILE = 4 * 1024 * 1024

_SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


@functools.cache
def _system_bundle() -> bytes:
    paths = [ssl.get_default_verify_paths().cafile, *_SYSTEM_BUNDLES]
    for path in paths:
        if path and os.path.isfile(path):
            with open(path, "rb") as fh:
                return fh.read()
    return b""


# Held while the bundles are first read: a domain's hosts check their chains in
# threads started at the same moment (their handshakes end together), and a
# cache alone lets each read and split the same ~150 roots (~3 ms of CPU each).
_READING = threading.Lock()


def _system_anchors() -> Anchors:
    """The system's roots, indexed once per process and parsed on demand."""
    with _READING:
        return _system_anchors_once()


@functools.cache
def _system_anchors_once() -> Anchors:
    key = _bundle_key()
    kept = _kept_roots(key)
    if kept is not None:
        return Anchors(split=kept)
    anchors = Anchors(_system_bundle())
    _keep_roots(key, anchors)
    return anchors


# The system's roots split into PEM blocks, their DER and the index by subject,
# kept between runs beside this module's bytecode (as Python keeps bytecode:
# never under PYTHONDONTWRITEBYTECODE), for the bundle file of the same path,
# inode, size and modification time: its base64 decoded and its ~150 subjects
# read are ~9M instructions (~2.5 ms of CPU) of a one-host diagnosis.
_ROOTS_STAMP = 1


def _bundle_key() -> tuple[str, int, int, int, int] | None:
    """The system bundle :func:`_system_bundle` reads, as a cache key; None for none."""
    paths = [ssl.get_default_verify_paths().cafile, *_SYSTEM_BUNDLES]
    for path in paths:
        if path and os.path.isfile(path):
            try:
                st = os.stat(path)
            except OSError:
                return None
            return path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns
    return None


def _roots_file() -> str | None:
    return sidefile.beside(globals().get("__cached__"), "roots.{tag}.marshal")


def _kept_roots(
    key: tuple[str, int, int, int, int] | None,
) -> tuple[list[tuple[bytes, bytes | None]], dict[bytes, list[int]]] | None:
    if key is None:
        return None
    data = sidefile.read(_roots_file(), (_ROOTS_STAMP, key))
    if data is None or len(data) != 2:
        return None
    blocks, index = data
    if not (isinstance(blocks, list) and isinstance(index, dict)):
        return None
    return blocks, index


def _keep_roots(key: tuple[str, int, int, int, int] | None, anchors: Anchors) -> None:
    path = _roots_file()
    if key is None or path is None or sys.dont_write_bytecode:
        return
    blocks, index = anchors.split()
    if _bundle_key() != key:
        return  # (changed while it was read: kept by a later run)
    sidefile.write(path, (_ROOTS_STAMP, key), blocks, index)


def read_system_roots() -> None:
    """Read and split the system's roots now (~8M instructions, ~2-3 ms of CPU): a
    name's warm-up does it while the DNS round trip runs, so the chain's check at
    the walk's handshake, when the event loop is busiest, finds them read."""
    _system_anchors()


def roots_read() -> bool:
    """Whether the system's roots are read and split already (:func:`read_system_roots`)."""
    return _system_anchors_once.cache_info().currsize > 0


def _anchors(ca_files: Sequence[StrPath]) -> Anchors:
    """The system's roots and the ``--tls-ca`` files'."""
    return _system_anchors().with_certs(_load_extra(ca_files))


def warm_up_full() -> None:
    """Import ``cryptography``'s x509 layer, which every other chain needs (~35 ms),
    and index the system's roots by subject (~7 ms), ahead of time."""
    from cryptography import x509  # noqa: F401  (imported for its time, not its name)
    from cryptography.x509 import verification  # noqa: F401

    _system_anchors().with_certs(())  # builds the index every copy shares


def settles(chain_der: Sequence[bytes], ca_files: Sequence[StrPath] = ()) -> bool:
    """Whether the check of this chain can do without ``cryptography``'s x509 layer."""
    files = tuple(_file_key(p) for p in ca_files)
    return bool(chain_der) and _settled(tuple(chain_der), files) is not None


def shown(path: StrPath) -> str:
    """A file's name as messages show it: as a ``Path`` prints it (``./a//b.pem`` is
    ``a/b.pem``). pathlib is imported here, for a message, not on every start-up."""
    from pathlib import PurePath

    return str(PurePath(path))


def _read_capped(path: StrPath) -> bytes:
    if os.path.isdir(path):
        raise ValueError(f"{shown(path)} is a directory, not a PEM file")
    with contextlib.suppress(OSError):  # (what open says below)
        if stat.S_ISFIFO(os.stat(path).st_mode):
            # (the file is read when checked and again by each connection: a
            # pipe's second read waited for a writer for ever)
            raise ValueError(f"{shown(path)} is a pipe, not a PEM file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CA_FILE + 1)
    except OSError as exc:
        raise ValueError(f"cannot read {shown(path)}: {exc.strerror or exc}") from None
    if len(data) > MAX_CA_FILE:
        raise ValueError(f"{shown(path)} is larger than {MAX_CA_FILE // (1024 * 1024)} MiB")
    return data


def check_ca_file(path: StrPath) -> None:
    """Refuse what :func:`read_ca_file` refuses, in its words, before a diagnosis.

    A file whose every block has a certificate's DER outline passes without
    loading ``cryptography`` (the warm-up thread parses it during the walk);
    anything else gets the full parse, and its verdict.
    """
    blocks = pem_blocks(_read_capped(path))
    if blocks and all(der is not None and looks_like_certificate(der) for _, der in blocks):
        return
    read_ca_file(path)


def read_ca_file(path: StrPath) -> list[x509.Certificate]:
    """The certificates of a PEM file, read with a cap; ValueError says what is wrong."""
    data = _read_capped(path)
    certs = load_pem_bundle(data)
    if not certs:
        raise ValueError(f"{shown(path)} holds no PEM certificate that parses")
    return certs


def _load_extra(ca_files: Sequence[StrPath]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in ca_files:
        try:
            certs.extend(read_ca_file(path))
        except ValueError:
            continue  # the CLI refuses such a file before the probe starts
    return certs


def analyze_certificate(
    chain_der: Sequence[bytes],
    names: Sequence[str],
    ca_files: Sequence[StrPath] = (),
    now: datetime | None = None,
) -> CertificateInfo | None:
    """Facts about the leaf and its chain; None if the server sent no certificate."""
    if not chain_der:
        return None
    files = tuple(_file_key(p) for p in ca_files)
    judged = _judged(tuple(chain_der), tuple(names), files)
    # The judging is cached (a monitor sees the same chain every few minutes, and
    # building the trust store was a third of a probe's CPU); the dates are not.
    now = now or datetime.now(UTC)
    return dataclasses.replace(
        judged,
        san=list(judged.san),
        names_checked=list(judged.names_checked),
        chain_subjects=list(judged.chain_subjects),
        days_left=(judged.not_after - now) // timedelta(days=1),
        expired=now > judged.not_after,
        not_yet_valid=now < judged.not_before,
    )


def _file_key(path: StrPath) -> tuple[str, int, int]:
    """A --tls-ca file as a cache key: a file changed on disk is read again."""
    try:
        st = os.stat(path)
    except OSError:
        return os.fspath(path), -1, -1
    return os.fspath(path), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=2048)
def _judged(
    chain_der: tuple[bytes, ...], names: tuple[str, ...], files: tuple[tuple[str, int, int], ...]
) -> CertificateInfo:
    from smtpdoctor.evidence import certfast

    settled = _settled(chain_der, files)
    if settled is not None:
        return certfast.info(settled, names)
    # Not a chain the DER route settles: cryptography's answer.
    info = analyze_chain(chain_der, names, _anchors([f[0] for f in files]))
    assert info is not None  # chain_der is not empty
    return info


@functools.lru_cache(maxsize=256)
def _settled(
    chain_der: tuple[bytes, ...], files: tuple[tuple[str, int, int], ...]
) -> certfast.Settled | None:
    from smtpdoctor.evidence import certfast

    anchors = certfast.in_order(_given_anchors(files).ders, _system_ders)
    return certfast.settle(chain_der, anchors)


def _system_ders(subject: bytes) -> list[bytes | None]:
    return _system_anchors().ders(subject)  # the bundle is read at first need


def _given_anchors(files: tuple[tuple[str, int, int], ...]) -> Anchors:
    """The ``--tls-ca`` files' PEM blocks, none parsed (read once, as the system's)."""
    with _READING:
        return _given_anchors_once(files)


@functools.lru_cache(maxsize=64)
def _given_anchors_once(files: tuple[tuple[str, int, int], ...]) -> Anchors:
    pem = []
    for path, _, _ in files:
        try:
            pem.append(_read_capped(path))
        except ValueError:
            continue  # as _load_extra: the CLI refuses such a file first
    return Anchors(b"\n".join(pem))
