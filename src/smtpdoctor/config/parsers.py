"""Configuration dumps → typed settings. Pure: bytes or text in, values out.

One reader per kind, each keeping where every setting came from (line number
and the line itself), because a finding that says "line 14:
``smtpd_tls_protocols = <=TLSv1.1``" is one a person can act on.

* ``postfix``: ``postconf -n`` output or a plain ``main.cf`` (comments,
  continuation lines that start with white space; the last definition wins).
* ``exim``: ``exim -bP`` output (``name = value``, bare ``name`` /
  ``no_name`` booleans, ``hostlist NAME = ...`` from ``exim -bP +NAME``, and
  the options of ``exim -bP transport NAME`` appended), or a plain
  ``configure`` file (main section and ``begin transports``).
* ``sendmail``: ``sendmail.mc`` (``define(...)``, ``FEATURE(...)``,
  ``DAEMON_OPTIONS(...)``) and/or ``sendmail.cf`` (``O Name=value``,
  ``Dj...``); ``.mc`` names are mapped to the ``.cf`` option they produce,
  so one rule reads both.
* ``exchange-send-connector`` / ``exchange-receive-connector``:
  ``Get-SendConnector | Format-List`` / ``Get-ReceiveConnector | Format-List``
  exports: ``Name : value`` blocks (several per file), ``{a, b}`` lists,
  values wrapped onto indented lines, UTF-16 LE with BOM as Windows
  PowerShell's ``>`` and ``Out-File`` write by default; plus
  ``Get-ADPermission`` output (list or table) for relay rights.

The readers stay together, apart from the per-MTA rules: they share the
line machinery (logical lines, ``name = value``, evidence capping), the
sniffer has to know every kind at once, and the rules read only the
:class:`Section` / :class:`Setting` values this module makes, never the text.
"""

from __future__ import annotations

import codecs
import datetime as dt
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = [
    "MASTER_LINE",
    "MAX_BYTES",
    "PARAM_LINE",
    "READERS",
    "SNIFFERS",
    "Anonymous",
    "CertFacts",
    "ConfigDump",
    "ConfigError",
    "Kind",
    "Section",
    "Setting",
    "cert_facts",
    "decode",
    "fl_blocks",
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
            "value": _cap(self.value),
            "line": self.line,
            "text": _cap(self.text),
        }
        if self.file:
            ev["file"] = self.file
        if self.service:
            ev["service"] = self.service
        return ev


_EVIDENCE_CAP = 2000  # characters of a value or line quoted as evidence


def _cap(text: str) -> str:
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


def _control_ratio(text: str) -> float:
    odd = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\x1b")
    return odd / max(1, len(text))


# --- kind detection -----------------------------------------------------------------

_FL_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*: ?(.*)$")
_SEND_KEYS = frozenset(
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
_RECEIVE_KEYS = frozenset(
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
_PF_KV = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$")
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
_EXIM_BARE = re.compile(r"^(no_)?[a-z][a-z0-9_]*$")
_EXIM_LIST = re.compile(r"^(hostlist|domainlist|addresslist|localpartlist)\s+(\S+)\s*=\s?(.*)$")
_SM_MC = re.compile(
    r"^(define|FEATURE|DAEMON_OPTIONS|CLIENT_OPTIONS|MAILER|OSTYPE|DOMAIN|VERSIONID|"
    r"LOCAL_DOMAIN|EXPOSED_USER|MASQUERADE_AS|INPUT_MAIL_FILTER|divert|include|undefine|"
    r"TRUST_AUTH_MECH|LOCAL_CONFIG|MODIFY_MAILER_FLAGS)\s*\("
)
_SM_CF_OPTION = re.compile(r"^O\s*([A-Za-z][A-Za-z0-9.]*)\s*=\s?(.*)$")
_SM_CF_OTHER = re.compile(r"^(V\d+/|D[A-Za-z{]|C[A-Za-z{]|F[A-Za-z{]|S\d+|R\S|K\S|M[a-z]|H[?A-Z])")


# The readers of issue 18's kinds live in their own modules (read_postfix,
# read_openssl, read_windows), which import this one; they register here when
# the package loads, so this module never imports them.
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
    if _SM_CF_OPTION.match(line):
        votes["cf"] += 3
        return
    if _SM_CF_OTHER.match(line):
        votes["cf"] += 1
    m = _FL_LINE.match(line)
    if m and (" : " in line or line.rstrip().endswith(":")):
        key = m.group(1).lower()
        votes["send"] += key in _SEND_KEYS
        votes["receive"] += key in _RECEIVE_KEYS
        return
    if MASTER_LINE.match(stripped) or PARAM_LINE.match(stripped):
        votes["postfix"] += 2
        return
    if _EXIM_LIST.match(stripped) or stripped.startswith("begin "):
        votes["exim"] += 3
        return
    kv = _PF_KV.match(line)
    if kv:
        name = kv.group(1)
        votes["postfix"] += bool(_POSTFIX_MARKERS.match(name)) and not name.startswith(
            ("tls_advertise", "tls_require", "tls_certificate", "tls_privatekey")
        )
        votes["exim"] += bool(_EXIM_MARKERS.match(name))
    elif _EXIM_BARE.match(stripped) and "_" in stripped:
        votes["exim"] += 1


# --- dispatch -----------------------------------------------------------------------


def parse(text: str, kind: Kind) -> ConfigDump:
    """Read ``text`` as a dump of ``kind``; raises :class:`ConfigError` when nothing fits."""
    if kind in READERS:
        dump = READERS[kind](text, kind)
    elif kind is Kind.EXIM:
        dump = ConfigDump(kind, _parse_exim(text))
    elif kind is Kind.SENDMAIL:
        dump = ConfigDump(kind, [_parse_sendmail(text)])
    elif kind in {Kind.EXCHANGE_SEND, Kind.EXCHANGE_RECEIVE}:
        dump = _parse_exchange(text, kind)
    else:
        raise ConfigError("'local' is what config --local reads, not a kind of file")
    if dump.settings_read == 0:
        raise ConfigError(f"no {kind.value} settings found")
    return dump


def _logical_lines(text: str, comment: str = "#") -> Iterator[tuple[int, str]]:
    """Logical lines: a line that starts with white space continues the one before
    (Postfix main.cf and Exim configure both work this way); comments dropped."""
    start, buf = 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith(comment):
            if buf and not raw.strip():
                yield start, buf
                buf = ""
            continue
        if raw[0] in " \t" and buf:
            buf += " " + raw.strip()
            continue
        if buf:
            yield start, buf
        start, buf = number, raw.rstrip()
    if buf:
        yield start, buf


# --- Postfix ------------------------------------------------------------------------


# --- Exim ---------------------------------------------------------------------------

# The first option "exim -bP transport NAME" prints (generic options, sorted).
_EXIM_TRANSPORT_FIRST = "body_only"  # printed as "no_body_only" or "body_only"
_EXIM_DRIVER = re.compile(r"^driver\s*=\s*(\S+)")
_EXIM_TRANSPORT_HEAD = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*:\s*$")
_EXIM_COMMENT_TRANSPORT = re.compile(r"^#.*\btransport\s+([A-Za-z0-9_.-]+)", re.I)


def _parse_exim(text: str) -> list[Section]:
    reader = _EximReader()
    for number, raw in enumerate(text.splitlines(), 1):
        reader.feed(number, raw)
    return reader.finish()


class _EximReader:
    """``exim -bP`` output (transports appended) or a ``configure`` file, line by line."""

    def __init__(self) -> None:
        self.main = Section("main")
        self.sections = [self.main]
        self.current = self.main
        self.in_begin: str | None = None  # a configure file's "begin X" section
        self.pending: list[Setting] = []  # lines since the last "body_only" (may be a transport's)

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        hdr = _EXIM_COMMENT_TRANSPORT.match(line)
        if hdr and self.in_begin is None:
            self._open(hdr.group(1))
            self.pending = []
            return
        if line.startswith("#"):
            return
        if line.startswith("begin "):
            self.in_begin = line.split(None, 1)[1].strip().lower()
            self.current = self.main if self.in_begin != "transports" else self.current
            return
        if self.in_begin is not None and not self._transport_option(raw):
            return
        setting = _exim_setting(number, line)
        if setting is None:
            return
        if self.in_begin is None and self._held(setting):
            return
        self.current.add(setting)

    def finish(self) -> list[Section]:
        self._flush()
        return self.sections

    def _open(self, name: str) -> None:
        self.current = Section(name, "transport")
        self.sections.append(self.current)

    def _transport_option(self, raw: str) -> bool:
        """In a configure file: whether ``raw`` is a transport's option (a header opens one)."""
        if self.in_begin != "transports":
            return False
        head = _EXIM_TRANSPORT_HEAD.match(raw)
        if head and not raw[:1].isspace():
            self._open(head.group(1))
            return False
        return self.current is not self.main

    def _held(self, setting: Setting) -> bool:
        """Whether ``setting`` waits for the driver that names its transport.

        "exim -bP" then "exim -bP transport remote_smtp" in one file: the
        transport block starts at its first generic option and names its
        driver a few lines later.
        """
        if setting.name == _EXIM_TRANSPORT_FIRST:
            self.pending = [setting]
            return True
        if not self.pending:
            return False
        self.pending.append(setting)
        if setting.name == "driver":
            self._open(f"{setting.value}-driver")
            self._flush()
        elif len(self.pending) > 12:  # not a transport after all
            self._flush()
        return True

    def _flush(self) -> None:
        for s in self.pending:
            self.current.add(s)
        self.pending = []


def _exim_setting(number: int, line: str) -> Setting | None:
    lst = _EXIM_LIST.match(line)
    if lst:
        return Setting(f"{lst.group(1)} {lst.group(2)}", lst.group(3).strip(), number, line)
    m = _PF_KV.match(line)
    if m:
        name = m.group(1)
        if name[:1].isupper():  # a configure file's macro definition
            return None
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        return Setting(name, value, number, line)
    if _EXIM_BARE.match(line):
        if line.startswith("no_"):
            return Setting(line[3:], "false", number, line)
        return Setting(line, "true", number, line)
    return None


# --- sendmail -----------------------------------------------------------------------

# .mc define → the .cf option (or macro) it becomes, for the ones the rules read.
SENDMAIL_MC_TO_CF: dict[str, str] = {
    "confCIPHER_LIST": "CipherList",
    "confSERVER_SSL_OPTIONS": "ServerSSLOptions",
    "confCLIENT_SSL_OPTIONS": "ClientSSLOptions",
    "confSERVER_CERT": "ServerCertFile",
    "confSERVER_KEY": "ServerKeyFile",
    "confCLIENT_CERT": "ClientCertFile",
    "confCACERT": "CACertFile",
    "confCACERT_PATH": "CACertPath",
    "confTLS_SRV_OPTIONS": "TLSSrvOptions",
    "confDOMAIN_NAME": "$j",
    "confTO_CONNECT": "Timeout.connect",
    "confTO_ICONNECT": "Timeout.iconnect",
    "confTO_INITIAL": "Timeout.initial",
    "confTO_HELO": "Timeout.helo",
    "confTO_MAIL": "Timeout.mail",
    "confTO_RCPT": "Timeout.rcpt",
    "confTO_DATAINIT": "Timeout.datainit",
    "confTO_DATABLOCK": "Timeout.datablock",
    "confTO_DATAFINAL": "Timeout.datafinal",
    "confTO_COMMAND": "Timeout.command",
    "confTO_STARTTLS": "Timeout.starttls",
    "confMAX_DAEMON_CHILDREN": "MaxDaemonChildren",
    "confCONNECTION_RATE_THROTTLE": "ConnectionRateThrottle",
    "confREFUSE_LA": "RefuseLA",
    "confQUEUE_LA": "QueueLA",
    "confMAX_MESSAGE_SIZE": "MaxMessageSize",
    "confAUTH_OPTIONS": "AuthOptions",
    "SMART_HOST": "$S",
}
_MC_CALL = re.compile(r"^([A-Za-z_]+)\s*\((.*)\)\s*(?:dnl\b.*)?$")
_CF_MACRO = re.compile(r"^D([A-Za-z])(.*)$")
_CF_FEATURE_TRACE = re.compile(
    r"^#+\s+\$Id: (promiscuous_relay|relay_entire_domain|relay_based_on_MX|"
    r"accept_unresolvable_domains|loose_relay_check)\.m4,"
)


def _mc_args(inner: str) -> list[str]:
    """The arguments of an m4 call: ``\\`a', \\`b'`` or bare words, nesting flattened."""
    args: list[str] = []
    depth, cur = 0, ""
    for ch in inner:
        if ch == "`":
            depth += 1
            if depth == 1:
                continue
        elif ch == "'" and depth:
            depth -= 1
            if depth == 0:
                continue
        elif ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        cur += ch
    args.append(cur.strip())
    return [x.strip("`'") for x in args]


def _parse_sendmail(text: str) -> Section:
    section = Section("sendmail")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        trace = _CF_FEATURE_TRACE.match(line)
        if trace:
            # A built sendmail.cf keeps only a comment from each FEATURE's m4 file.
            section.add(Setting(f"FEATURE:{trace.group(1)}", "", number, line))
            continue
        if not line or line.startswith(("#", "dnl")):
            continue
        opt = _SM_CF_OPTION.match(line)
        if opt:
            section.add(Setting(opt.group(1), opt.group(2).strip(), number, line))
            continue
        call = _MC_CALL.match(line)
        if not call:
            macro = _CF_MACRO.match(raw.rstrip())
            if macro:
                section.add(Setting(f"${macro.group(1)}", macro.group(2).strip(), number, line))
            continue
        func, args = call.group(1), _mc_args(call.group(2))
        if func == "define" and args:
            name = args[0]
            value = args[1] if len(args) > 1 else ""
            section.add(Setting(SENDMAIL_MC_TO_CF.get(name, name), value, number, line))
        elif func == "undefine" and args:
            section.add(Setting(SENDMAIL_MC_TO_CF.get(args[0], args[0]), "", number, line))
        elif func == "FEATURE" and args:
            section.add(Setting(f"FEATURE:{args[0]}", ",".join(args[1:]), number, line))
        elif func in {"DAEMON_OPTIONS", "CLIENT_OPTIONS"} and args:
            name = "DaemonPortOptions" if func == "DAEMON_OPTIONS" else "ClientPortOptions"
            section.add(Setting(name, ",".join(args), number, line))
        elif func == "MAILER" and args:
            section.add(Setting(f"MAILER:{args[0]}", "", number, line))
    return section


# --- Exchange -----------------------------------------------------------------------

_ANON_RIGHT = re.compile(r"ANONYMOUS\s+LOGON.*Accept-Any-Recipient", re.I)
_GET_ADPERM = re.compile(r"Get-ADPermission\s+(?:-Identity\s+)?(?:\"([^\"]+)\"|'([^']+)')", re.I)
_PERM_KEYS = frozenset({"user", "extendedrights", "accessrights", "isinherited", "deny"})


def fl_blocks(text: str) -> Iterator[list[tuple[int, str, str, str]]]:
    """Format-List records: blocks of ``Key : value`` lines (value wrapped onto
    indented lines), separated by blank lines or by a key seen twice."""
    block: list[tuple[int, str, str, str]] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            if block:
                yield block
                block, seen = [], set()
            continue
        if line[0] in " \t":
            if block:  # continuation of a wrapped value
                n, key, value, whole = block[-1]
                block[-1] = (n, key, value + line.strip(), whole + " " + line.strip())
            continue
        m = _FL_LINE.match(line)
        if m is None or (" :" not in line and ": " not in line and not line.endswith(":")):
            continue
        key = m.group(1)
        if key.lower() in seen:
            yield block
            block, seen = [], set()
        seen.add(key.lower())
        block.append((number, key, m.group(2).strip(), line))
    if block:
        yield block


def _parse_exchange(text: str, kind: Kind) -> ConfigDump:
    default_kind = "send" if kind is Kind.EXCHANGE_SEND else "receive"
    dump = ConfigDump(kind, [])
    for block in fl_blocks(text):
        keys = {k.lower() for _, k, _, _ in block}
        if keys & _PERM_KEYS and "user" in keys and not keys & (_SEND_KEYS | _RECEIVE_KEYS):
            _permission_block(block, dump)
            continue
        send, receive = len(keys & _SEND_KEYS), len(keys & _RECEIVE_KEYS)
        if send or receive:
            role = "send" if send > receive else "receive"
        elif len(block) >= 2 and keys & {"identity", "name", "fqdn", "enabled"}:
            role = default_kind
        else:
            continue
        name = next((v for _, k, v, _ in block if k.lower() == "identity" and v), None) or next(
            (v for _, k, v, _ in block if k.lower() == "name" and v),
            f"connector {len(dump.sections) + 1}",
        )
        section = Section(_cap(name)[:200], role)
        for number, key, value, whole in block:
            setting = Setting(key, value, number, whole)
            section.add(setting)
            if value.startswith("{") and (value.endswith("...}") or value.endswith("…}")):
                dump.truncated_lists.append(setting)
        dump.sections.append(section)
    # Get-ADPermission as a table: "NT AUTHORITY\ANONYMOUS LOGON {ms-Exch-SMTP-Accept-Any-...}"
    # The connector is a column of the table, or else the argument of the
    # Get-ADPermission command echoed above it in a console copy.
    asked: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        cmd = _GET_ADPERM.search(raw)
        if cmd:
            asked = cmd.group(1) or cmd.group(2)
            continue
        if _ANON_RIGHT.search(raw) and not _FL_LINE.match(raw):
            ident = raw.split("NT AUTHORITY", 1)[0].strip() or asked
            dump.relay_rights.append(Anonymous(number, raw.strip(), ident))
    return dump


def _permission_block(block: list[tuple[int, str, str, str]], dump: ConfigDump) -> None:
    fields = {k.lower(): (n, v, w) for n, k, v, w in block}
    user = fields.get("user", (0, "", ""))[1]
    rights = fields.get("extendedrights", (0, "", ""))[1]
    deny = fields.get("deny", (0, "False", ""))[1]
    if "anonymous logon" in user.lower() and "accept-any-recipient" in rights.lower():
        if deny.lower() == "true":
            return
        number = fields["extendedrights"][0]
        ident = fields.get("identity", (0, "", ""))[1] or None
        dump.relay_rights.append(Anonymous(number, f"{user}: {rights}", ident))


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
