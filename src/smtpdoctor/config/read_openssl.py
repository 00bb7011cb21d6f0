"""The system TLS policy: OpenSSL configuration and RHEL/Fedora crypto-policies. Pure.

OpenSSL applies a configuration's TLS settings to every ``SSL_CTX`` a program
makes when the file names them through a chain of sections: the default
section's ``openssl_conf = A``, ``[A] ssl_conf = B``, ``[B] system_default =
C``, and ``[C]`` holds ``MinProtocol``, ``MaxProtocol``, ``Protocol``,
``CipherString`` (with ``@SECLEVEL=n``), ``Ciphersuites`` ... (OpenSSL's
config(5) and SSL_CONF_cmd(3)). ``.include`` pulls another file in where it
stands; RHEL and Fedora include ``/etc/crypto-policies/back-ends/opensslcnf.config``
there, whose ``TLS.MinProtocol`` and ``CipherString = @SECLEVEL=2:...`` the
policy named in ``/etc/crypto-policies/config`` (``DEFAULT``, ``LEGACY``,
``FUTURE``, ``FIPS``, with ``:SUBPOLICY`` modifiers) generated.

The reader is pure: the caller hands in a function that returns an included
file's text (or None), so the same code reads a file given on the command
line, a machine's own ``/etc/ssl/openssl.cnf``, and test fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from smtpdoctor.config.parsers import ConfigDump, ConfigError, Kind, Section, Setting, register

__all__ = [
    "POLICY_LINE",
    "POLICY_TABLE",
    "parse_openssl",
    "parse_openssl_tree",
]

_HEADER = re.compile(r"^\[\s*([^\]\s]+)\s*\]")
_INCLUDE = re.compile(r"^\.include\s*(?:=\s*)?(\S.*?)\s*$")
_KV = re.compile(r"^([A-Za-z0-9_.$-]+)\s*=\s*(.*?)\s*$")
POLICY_LINE = re.compile(r"^(DEFAULT|LEGACY|FUTURE|FIPS|EMPTY|NEXT)((?::[A-Za-z0-9_-]+)*)\s*$")
_MAX_INCLUDES = 16

# What each base policy puts in opensslcnf.config (crypto-policies on RHEL 9 /
# Fedora 36+): (TLS floor, @SECLEVEL). RHEL 8's LEGACY still allowed TLS 1.0.
POLICY_TABLE: dict[str, tuple[str, int]] = {
    "DEFAULT": ("TLSv1.2", 2),
    "LEGACY": ("TLSv1.2", 1),
    "FUTURE": ("TLSv1.2", 3),
    "FIPS": ("TLSv1.2", 2),
    "NEXT": ("TLSv1.2", 2),
    "EMPTY": ("TLSv1.3", 2),
}

ReadInclude = Callable[[str], str | None]


# A line up to its "#" comment; a "#" inside quotes (closed or not) is text.
_BEFORE_COMMENT = re.compile(r"""(?:[^"'#]+|"[^"]*"?|'[^']*'?)*""")


def _strip_comment(line: str) -> str:
    # A regex, not a loop over characters (a hostile line may be megabytes long).
    if "#" not in line:
        return line.strip()
    m = _BEFORE_COMMENT.match(line)
    return (m.group(0) if m else line).strip()


class _Cnf:
    """All sections of an OpenSSL configuration, includes inlined."""

    def __init__(self, read: ReadInclude) -> None:
        self.read = read
        self.sections: dict[str, Section] = {"": Section("default", "cnf")}
        self.includes = 0

    def feed(self, text: str, file: str, current: str = "") -> str:
        for number, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw)
            if not line:
                continue
            head = _HEADER.match(line)
            if head:
                current = head.group(1)
                self.sections.setdefault(current, Section(current, "cnf"))
                continue
            inc = _INCLUDE.match(line)
            if inc:
                current = self._include(inc.group(1).strip("\"'"), current)
                continue
            kv = _KV.match(line)
            if kv:
                value = kv.group(2).strip().strip("\"'")
                self.sections[current].add(Setting(kv.group(1), value, number, line, file))
        return current

    def _include(self, path: str, current: str) -> str:
        self.includes += 1
        if self.includes > _MAX_INCLUDES:
            return current
        text = self.read(path)
        return current if text is None else self.feed(text, path, current)

    def section(self, name: str | None) -> Section | None:
        return self.sections.get(name.strip()) if name else None


def parse_openssl_tree(text: str, file: str = "", read: ReadInclude | None = None) -> ConfigDump:
    """An ``openssl.cnf`` (includes through ``read``) as one ``system_default`` section.

    The section holds the TLS settings OpenSSL applies to every program's
    context, plus ``openssl_conf`` / ``ssl_conf`` / ``system_default`` (the
    chain's links, for the evidence). It is empty when the chain is broken:
    then OpenSSL applies nothing.
    """
    cnf = _Cnf(read or (lambda _path: None))
    cnf.feed(text, file)
    default = cnf.sections[""]
    out = Section("system_default", "system_default")
    chain = default.get("openssl_conf")
    init = cnf.section(chain.value) if chain is not None else None
    ssl = init.get("ssl_conf") if init is not None else None
    ssl_section = cnf.section(ssl.value) if ssl is not None else None
    system = ssl_section.get("system_default") if ssl_section is not None else None
    target = cnf.section(system.value) if system is not None else None
    if target is not None and chain is not None and ssl is not None and system is not None:
        for link in (chain, ssl, system):
            out.add(link)
        for s in target.settings():
            out.add(s)
    settings = sum(len(s) for s in cnf.sections.values())
    if settings == 0:
        raise ConfigError("no OpenSSL configuration settings found")
    dump = ConfigDump(Kind.OPENSSL, [out])
    # A file with settings but no system_default chain still counts as read.
    dump.sections.append(Section("other", "cnf"))
    for s in default.settings():
        dump.sections[1].add(s)
    return dump


def _policy(text: str, file: str) -> Section:
    out = Section("crypto-policies", "policy")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        m = POLICY_LINE.match(line)
        if m:
            out.add(Setting("policy", line, number, line, file))
    return out


def parse_openssl(text: str, kind: Kind, file: str = "") -> ConfigDump:
    """One file's text as ``kind``: ``openssl.cnf`` or ``/etc/crypto-policies/config``
    (optionally followed by the ``opensslcnf.config`` back-end)."""
    if kind is Kind.OPENSSL:
        return parse_openssl_tree(text, file)
    policy = _policy(text, file)
    backend = Section("system_default", "system_default")
    for number, raw in enumerate(text.splitlines(), 1):
        kv = _KV.match(_strip_comment(raw))
        if kv:
            backend.add(Setting(kv.group(1), kv.group(2), number, raw.strip(), file))
    if not len(policy) and not len(backend):
        raise ConfigError("no crypto-policies setting found (a policy name such as DEFAULT)")
    return ConfigDump(Kind.CRYPTO_POLICIES, [backend, policy])


def _sniff(lines: list[str]) -> Kind | None:
    # /etc/crypto-policies/config: comments and one policy keyword
    first = [line for line in lines if line and not line.startswith("#")][:3]
    if len(first) == 1 and POLICY_LINE.match(first[0]):
        return Kind.CRYPTO_POLICIES
    if any(line.startswith("TLS.MinProtocol") for line in lines):
        return Kind.CRYPTO_POLICIES
    headers = sum(1 for line in lines if _HEADER.match(line))
    marks = sum(1 for line in lines if _MARK.match(line))
    return Kind.OPENSSL if headers and marks >= 2 else None


_MARK = re.compile(r"^(openssl_conf|ssl_conf|system_default|MinProtocol|CipherString)\s*=")
register((Kind.OPENSSL, Kind.CRYPTO_POLICIES), parse_openssl, _sniff)
