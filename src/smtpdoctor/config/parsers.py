"""Configuration dumps → typed settings: the shared types, decoding, sniffing, dispatch. Pure.

Every setting remembers where it came from (file, line number and the line
itself), because a finding that says "master.cf line 14, service
submission/inet: ``-o smtpd_tls_protocols=<=TLSv1.1``" is one a person can
act on.

This module holds what every reader shares: :class:`Setting`,
:class:`Section`, :class:`ConfigDump`, :class:`Kind`, :func:`decode`
(UTF-8, UTF-16 with or without BOM), :func:`sniff` (which needs to know
every kind at once) and :func:`parse`, which hands the text to the reader
registered for the kind. The readers are one module per source, each
registering itself on import (the package imports them all):
:mod:`.read_postfix` (``main.cf``, ``master.cf``, ``postconf -n/-M/-P``),
:mod:`.read_exim` (``exim -bP``, a configure file), :mod:`.read_sendmail`
(``.mc``/``.cf``), :mod:`.read_exchange` (connector ``Format-List``
exports, ``Get-ADPermission``), :mod:`.read_openssl` (``openssl.cnf``,
crypto-policies) and :mod:`.read_windows` (``reg export``, HealthChecker,
``Get-TlsCipherSuite``, ``Get-ExchangeCertificate``). The rules read only
the values these make, never the text.
"""

from __future__ import annotations

import codecs
import datetime as dt
import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = [
    "EXIM_BARE",
    "EXIM_LIST",
    "FL_LINE",
    "KV_LINE",
    "MASTER_LINE",
    "MAX_BYTES",
    "PARAM_LINE",
    "READERS",
    "RECEIVE_KEYS",
    "SEND_KEYS",
    "SM_CF_OPTION",
    "SNIFFERS",
    "Anonymous",
    "CertFacts",
    "ConfigDump",
    "ConfigError",
    "Kind",
    "Section",
    "Setting",
    "cap",
    "cert_facts",
    "decode",
    "parse",
    "register",
    "sniff",
]

MAX_BYTES = 16 * 1024 * 1024  # a configuration dump is kilobytes; more is not one
_SNIFF_BYTES = 64 * 1024


class ConfigError(ValueError):
    """The input is not a configuration dump we can read (one line for a person)."""


class Kind(StrEnum):
    """What a dump is; the values are the contract's ``kind`` strings."""

    POSTFIX = "postfix"
    EXIM = "exim"
    SENDMAIL = "sendmail"
    EXCHANGE_SEND = "exchange-send-connector"
    EXCHANGE_RECEIVE = "exchange-receive-connector"
    # additions (issue 18)
    OPENSSL = "openssl"  # openssl.cnf: the system_default TLS policy
    CRYPTO_POLICIES = "crypto-policies"  # RHEL/Fedora /etc/crypto-policies
    WINDOWS_REGISTRY = "windows-registry"  # reg export of SCHANNEL / .NET keys
    EXCHANGE_HEALTHCHECKER = "exchange-healthchecker"  # HealthChecker.ps1 TLS section
    WINDOWS_CIPHER_SUITES = "windows-tls-cipher-suites"  # Get-TlsCipherSuite | Format-List
    EXCHANGE_CERTIFICATE = "exchange-certificate"  # Get-ExchangeCertificate | Format-List
    EXCHANGE_TRANSPORT = "exchange-transport-service"  # Get-TransportService | Format-List
    LOCAL = "local"  # config --local: everything installed on this machine


@dataclass(frozen=True, slots=True)
class Setting:
    """One ``name = value`` as read, with where it was read."""

    name: str
    value: str
    line: int  # 1-based line of the first physical line
    text: str  # the logical line as written (continuations joined)
    file: str = ""  # the file it was read from, when a dump is several (main.cf, master.cf)
    service: str = ""  # the Postfix master.cf service whose -o override it is

    def evidence(self) -> dict[str, object]:
        ev: dict[str, object] = {
            "setting": self.name,
            "value": cap(self.value),
            "line": self.line,
            "text": cap(self.text),
        }
        if self.file:
            ev["file"] = self.file
        if self.service:
            ev["service"] = self.service
        return ev


_EVIDENCE_CAP = 2000  # characters of a value or line quoted as evidence


def cap(text: str) -> str:
    """``text``, cut to what evidence quotes."""
    return text if len(text) <= _EVIDENCE_CAP else text[: _EVIDENCE_CAP - 1] + "…"


@dataclass(slots=True)
class Section:
    """A named group of settings: Postfix/Exim main, an Exim transport, a connector.

    Names are looked up case-insensitively (Exchange property names, sendmail
    options); a name set twice keeps every definition, and :meth:`get`
    returns the last one, which is the one that counts in every MTA here.
    """

    name: str
    kind: str = "main"  # "main", "transport", "send", "receive", "service"
    command: str = ""  # a Postfix service's command (smtpd, smtp, lmtp...), when known
    line: int = 0  # where a Postfix service is defined
    file: str = ""
    _items: dict[str, list[Setting]] = field(default_factory=dict)

    def add(self, setting: Setting) -> None:
        self._items.setdefault(setting.name.lower(), []).append(setting)

    def get(self, name: str) -> Setting | None:
        found = self._items.get(name.lower())
        return found[-1] if found else None

    def value(self, name: str, default: str | None = None) -> str | None:
        found = self.get(name)
        return found.value if found is not None else default

    def all(self, name: str) -> list[Setting]:
        return list(self._items.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __len__(self) -> int:
        return sum(len(v) for v in self._items.values())

    def settings(self) -> list[Setting]:
        """Every setting that counts (the last of each name), in line order."""
        return sorted((v[-1] for v in self._items.values()), key=lambda s: (s.file, s.line))


@dataclass(frozen=True, slots=True)
class Anonymous:
    """An ``ms-Exch-SMTP-Accept-Any-Recipient`` right seen for anonymous users."""

    line: int
    text: str
    identity: str | None  # the connector it was granted on, when the export says


@dataclass(slots=True)
class ConfigDump:
    kind: Kind
    sections: list[Section]
    relay_rights: list[Anonymous] = field(default_factory=list)
    truncated_lists: list[Setting] = field(default_factory=list)  # "{a, b, c, d...}"
    # Other dumps read with this one that judge it: the system OpenSSL policy
    # a Postfix runs under (kind OPENSSL / CRYPTO_POLICIES).
    companions: list[ConfigDump] = field(default_factory=list)

    @property
    def main(self) -> Section:
        return self.sections[0]

    @property
    def settings_read(self) -> int:
        return sum(len(s) for s in self.sections)

    def of_kind(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]


# --- bytes → text -------------------------------------------------------------------


def decode(data: bytes, where: str = "the input") -> str:
    """Text from a dump's bytes: UTF-8, or UTF-16 with or without BOM.

    Raises :class:`ConfigError` for empty, binary or oversized input.
    """
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"{where} is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
            "that is not a configuration dump"
        )
    text: str
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = data.decode("utf-16", errors="replace")
    elif data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif _looks_utf16(data[:_SNIFF_BYTES]):
        # PowerShell 7 "Out-File -Encoding unicode" without a BOM, or a BOM
        # lost in a copy: every other byte of ASCII text is NUL.
        le = data[1::2].count(0) > data[0::2].count(0)
        text = data.decode("utf-16-le" if le else "utf-16-be", errors="replace")
    else:
        head = data[:_SNIFF_BYTES]
        if b"\x00" in head:
            raise ConfigError(f"{where} looks binary, not like a configuration dump")
        text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise ConfigError(f"{where} is empty: nothing to audit")
    head_text = text[:_SNIFF_BYTES]
    if "\x00" in head_text or _control_ratio(head_text) > 0.1:
        raise ConfigError(f"{where} looks binary, not like a configuration dump")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_utf16(head: bytes) -> bool:
    if len(head) < 8:
        return False
    evens, odds = head[0::2], head[1::2]
    nul_e, nul_o = evens.count(0), odds.count(0)
    return max(nul_e, nul_o) > 0.8 * len(odds) and min(nul_e, nul_o) < 0.1 * len(odds)


# C0 controls other than TAB, LF, FF, CR and ESC (colour codes in dumps).
_ODD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _control_ratio(text: str) -> float:
    # A regex, not a loop over characters: the sniffing window is 64 KiB.
    return len(_ODD_CONTROL.findall(text)) / max(1, len(text))


# --- kind detection -----------------------------------------------------------------

FL_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*: ?(.*)$")
SEND_KEYS = frozenset(
    {
        "addressspaces",
        "smarthosts",
        "dnsroutingenabled",
        "sourcetransportservers",
        "smarthostauthmechanism",
        "ignorestarttls",
        "forcehelo",
        "tlsauthlevel",
        "homemta",
    }
)
RECEIVE_KEYS = frozenset(
    {
        "remoteipranges",
        "bindings",
        "permissiongroups",
        "authmechanism",
        "tarpitinterval",
        "maxinboundconnectionpersource",
        "transportrole",
        "requireehlodomain",
    }
)
KV_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$")
_POSTFIX_MARKERS = re.compile(
    r"^(smtpd_|smtp_tls_|smtp_sasl_|smtp_helo_|smtp_connect_timeout|mydestination|myhostname|"
    r"mynetworks|mydomain|myorigin|inet_interfaces|inet_protocols|alias_maps|alias_database|"
    r"relayhost|compatibility_level|mail_owner|queue_directory|command_directory|"
    r"daemon_directory|data_directory|virtual_|postscreen_|milter_|non_smtpd_milters|"
    r"recipient_delimiter|append_dot_mydomain|biff|readme_directory|mailbox_size_limit|"
    r"home_mailbox|mailbox_command|transport_maps|relay_domains|tls_)"
)
_PF_TYPES = r"(inet|unix|unix-dgram|fifo|pass)"
# A master.cf / postconf -M service line, and a postconf -P override.
MASTER_LINE = re.compile(
    rf"^(\S+)\s+{_PF_TYPES}\s+([-yn])\s+([-yn])\s+([-yn])\s+(\S+)\s+(\S+)\s+(\S+)(.*)$"
)
PARAM_LINE = re.compile(rf"^([^/\s=]+)/{_PF_TYPES}/([A-Za-z0-9_]+)\s*=\s?(.*)$")
_EXIM_MARKERS = re.compile(
    r"^(primary_hostname|acl_smtp_|acl_not_smtp|tls_advertise_hosts|exim_|spool_directory|"
    r"qualify_domain|received_header_text|smtp_accept_|smtp_banner|log_selector|host_lookup|"
    r"rfc1413_|never_users|trusted_users|keep_environment|openssl_options|"
    r"gnutls_|tls_require_ciphers|tls_certificate|tls_privatekey|message_size_limit|"
    r"daemon_smtp_ports|local_interfaces|helo_|auth_advertise_hosts|timeout_frozen_after|"
    r"ignore_bounce_errors_after|freeze_tell|bounce_)"
)
EXIM_BARE = re.compile(r"^(no_)?[a-z][a-z0-9_]*$")
EXIM_LIST = re.compile(r"^(hostlist|domainlist|addresslist|localpartlist)\s+(\S+)\s*=\s?(.*)$")
_SM_MC = re.compile(
    r"^(define|FEATURE|DAEMON_OPTIONS|CLIENT_OPTIONS|MAILER|OSTYPE|DOMAIN|VERSIONID|"
    r"LOCAL_DOMAIN|EXPOSED_USER|MASQUERADE_AS|INPUT_MAIL_FILTER|divert|include|undefine|"
    r"TRUST_AUTH_MECH|LOCAL_CONFIG|MODIFY_MAILER_FLAGS)\s*\("
)
SM_CF_OPTION = re.compile(r"^O\s*([A-Za-z][A-Za-z0-9.]*)\s*=\s?(.*)$")
_SM_CF_OTHER = re.compile(r"^(V\d+/|D[A-Za-z{]|C[A-Za-z{]|F[A-Za-z{]|S\d+|R\S|K\S|M[a-z]|H[?A-Z])")


# The readers live in their own modules (read_postfix, read_exim,
# read_sendmail, read_exchange, read_openssl, read_windows), which import this
# one; they register here when the package loads, so this module never
# imports them.
Reader = Callable[[str, Kind], "ConfigDump"]
Sniffer = Callable[[list[str]], Kind | None]
READERS: dict[Kind, Reader] = {}
SNIFFERS: list[Sniffer] = []


def register(kinds: tuple[Kind, ...], reader: Reader, sniffer: Sniffer | None = None) -> None:
    for kind in kinds:
        READERS[kind] = reader
    if sniffer is not None and sniffer not in SNIFFERS:
        SNIFFERS.append(sniffer)


def _sniff_addition(text: str) -> Kind | None:
    """The kinds of issue 18 have sure signs: a header line, a section chain."""
    lines = [line.strip() for line in text.splitlines()[:2000]]
    for sniffer in SNIFFERS:
        found = sniffer(lines)
        if found is not None:
            return found
    return None


def sniff(text: str) -> Kind | None:
    """Guess the kind of a dump from its first few hundred lines, or None."""
    addition = _sniff_addition(text)
    if addition is not None:
        return addition
    votes: Counter[str] = Counter()
    for line in text.splitlines()[:2000]:
        if line.strip():
            _vote(line, votes)
    send, receive = votes["send"], votes["receive"]
    postfix, exim, sendmail = votes["postfix"], votes["exim"], votes["mc"] + votes["cf"]
    if send + receive >= 3:
        return Kind.EXCHANGE_SEND if send > receive else Kind.EXCHANGE_RECEIVE
    if sendmail >= 6 and sendmail > max(postfix, exim):
        return Kind.SENDMAIL
    if postfix >= 2 and postfix > exim:
        return Kind.POSTFIX
    if exim >= 2 and exim > postfix:
        return Kind.EXIM
    return None


def _vote(line: str, votes: Counter[str]) -> None:
    """What kind of dump one non-blank line looks like (several votes for a sure sign)."""
    stripped = line.strip()
    if stripped.startswith(("#", "dnl")):
        votes["mc"] += stripped.startswith("dnl")
        return
    if _SM_MC.match(stripped):
        votes["mc"] += 3
        return
    if SM_CF_OPTION.match(line):
        votes["cf"] += 3
        return
    if _SM_CF_OTHER.match(line):
        votes["cf"] += 1
    m = FL_LINE.match(line)
    if m and (" : " in line or line.rstrip().endswith(":")):
        key = m.group(1).lower()
        votes["send"] += key in SEND_KEYS
        votes["receive"] += key in RECEIVE_KEYS
        return
    if MASTER_LINE.match(stripped) or PARAM_LINE.match(stripped):
        votes["postfix"] += 2
        return
    if EXIM_LIST.match(stripped) or stripped.startswith("begin "):
        votes["exim"] += 3
        return
    kv = KV_LINE.match(line)
    if kv:
        name = kv.group(1)
        votes["postfix"] += bool(_POSTFIX_MARKERS.match(name)) and not name.startswith(
            ("tls_advertise", "tls_require", "tls_certificate", "tls_privatekey")
        )
        votes["exim"] += bool(_EXIM_MARKERS.match(name))
    elif EXIM_BARE.match(stripped) and "_" in stripped:
        votes["exim"] += 1


# --- dispatch -----------------------------------------------------------------------


def parse(text: str, kind: Kind) -> ConfigDump:
    """Read ``text`` as a dump of ``kind``; raises :class:`ConfigError` when nothing fits."""
    reader = READERS.get(kind)
    if reader is None:
        raise ConfigError("'local' is what config --local reads, not a kind of file")
    dump = reader(text, kind)
    if dump.settings_read == 0:
        raise ConfigError(f"no {kind.value} settings found")
    return dump


def split_list(value: str) -> list[str]:
    """A PowerShell list ``{a, b, c}`` (or ``a, b``) as its items."""
    inner = value.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    inner = inner.rstrip(".…")
    return [item.strip() for item in re.split(r",", inner) if item.strip()]


def ip_range_covers_all(item: str) -> bool:
    """Whether a RemoteIPRanges item (range, CIDR or address) is "the whole Internet"."""
    item = item.strip()
    try:
        if "-" in item and "/" not in item:
            lo, hi = (ipaddress.ip_address(p.strip()) for p in item.split("-", 1))
            if lo.version == 4:
                return int(lo) == 0 and int(hi) == 2**32 - 1
            return int(lo) == 0 and int(hi) == 2**128 - 1
        net = ipaddress.ip_network(item, strict=False)
        return net.prefixlen == 0
    except ValueError:
        return False


# --- certificates -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertFacts:
    """The parts of a server certificate the rules compare host names with."""

    subject: str
    names: tuple[str, ...]  # DNS and IP SANs; the CN only when there is no SAN
    not_after: dt.datetime
    source: str = ""


def cert_facts(data: bytes, source: str = "") -> CertFacts:
    """The first certificate in PEM (a chain or key+cert file) or DER ``data``."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            cert = x509.load_pem_x509_certificates(data[data.index(b"-----BEGIN CERTIFICATE") :])[0]
        else:
            cert = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"{source or 'the certificate'} is not a PEM or DER certificate") from exc
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += san.get_values_for_type(x509.DNSName)
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names += [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return CertFacts(cert.subject.rfc4514_string(), tuple(names), cert.not_valid_after_utc, source)
