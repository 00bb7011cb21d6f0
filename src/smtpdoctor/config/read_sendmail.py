"""sendmail: ``sendmail.mc`` and/or ``sendmail.cf``. Pure.

``.mc`` ``define(...)``, ``FEATURE(...)``, ``DAEMON_OPTIONS(...)``;
``.cf`` ``O Name=value`` and ``Dj...``; ``.mc`` names are mapped to the
``.cf`` option they produce, so one rule reads both.
"""

from __future__ import annotations

import re

from smtpdoctor.config.parsers import SM_CF_OPTION, ConfigDump, Kind, Section, Setting, register

__all__ = ["SENDMAIL_MC_TO_CF", "parse_sendmail"]


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


def parse_sendmail(text: str) -> Section:
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
        opt = SM_CF_OPTION.match(line)
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


register((Kind.SENDMAIL,), lambda text, kind: ConfigDump(kind, [parse_sendmail(text)]))
