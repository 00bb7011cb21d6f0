"""Reading configuration where it lives: directories, included files, ``config --local``.

The one module of :mod:`smtpdoctor.config` that touches the file system and
runs programs, and only to read: the MTAs' own read-only dump commands
(``postconf -n``, ``postconf -M``, ``postconf -P``, ``exim -bP``), never a
command that changes anything. Everything read goes through the pure readers
and :func:`smtpdoctor.config.rules.audit`.

* A Postfix configuration directory (``main.cf`` + ``master.cf``).
* An Exim configuration: one file, or Debian's split ``conf.d`` layout
  (``conf.d/{main,acl,router,transport,retry,rewrite,auth}/*`` in that
  order, as ``update-exim4.conf`` joins them), with ``.include`` and
  ``.include_if_exists`` followed and macros (``NAME = value``, ``.ifdef``
  / ``.ifndef`` / ``.else`` / ``.endif``) applied, as Exim reads it.
* The system TLS policy: ``OPENSSL_CONF`` or ``/etc/ssl/openssl.cnf``
  (``/etc/pki/tls/openssl.cnf`` on RHEL) with its includes, and
  ``/etc/crypto-policies``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.config.parsers import MAX_BYTES, ConfigDump, ConfigError, Kind, decode, parse
from smtpdoctor.config.read_openssl import parse_openssl, parse_openssl_tree
from smtpdoctor.config.read_postfix import parse_postfix_files

__all__ = [
    "Part",
    "exim_file",
    "local_parts",
    "openssl_file",
    "postfix_dir",
    "postfix_running",
    "preprocess_exim",
    "read_dir",
]

_TIMEOUT = 20.0  # seconds for one dump command
_EXIM_SPLIT = ("main", "acl", "router", "transport", "retry", "rewrite", "auth")
OPENSSL_DEFAULTS = ("/etc/ssl/openssl.cnf", "/etc/pki/tls/openssl.cnf")


@dataclass(slots=True)
class Part:
    """One configuration read: what it is, where from, the parsed dump."""

    kind: Kind
    source: str
    dump: ConfigDump
    notes: list[str] = field(default_factory=list)


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return decode(fh.read(MAX_BYTES + 1), str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _maybe(path: str) -> str | None:
    try:
        return _read(Path(path))
    except ConfigError:
        return None


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=_TIMEOUT, check=False, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"cannot run {' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"{' '.join(argv)} failed: {said}")
    return proc.stdout


# --- OpenSSL ------------------------------------------------------------------------


def openssl_file(path: str) -> Part:
    """An ``openssl.cnf`` with its ``.include`` files, or crypto-policies' ``config``."""
    text = _read(Path(path))
    base = Path(path).parent

    def include(name: str) -> str | None:
        target = Path(name) if os.path.isabs(name) else base / name
        if target.is_dir():  # .include DIR: every *.cnf / *.conf in it
            texts = [
                _maybe(str(p)) for p in sorted(target.iterdir()) if p.suffix in {".cnf", ".conf"}
            ]
            return "\n".join(t for t in texts if t)
        return _maybe(str(target))

    try:
        dump = parse_openssl_tree(text, path, include)
    except ConfigError:
        dump = parse_openssl(text, Kind.CRYPTO_POLICIES, path)
    return Part(dump.kind, path, dump)


def crypto_policies_dir(path: Path) -> Part:
    policy = parse_openssl(_read(path / "config"), Kind.CRYPTO_POLICIES, str(path / "config"))
    backend_file = path / "back-ends" / "opensslcnf.config"
    backend = _maybe(str(backend_file))
    if backend is not None:
        generated = parse_openssl(backend, Kind.CRYPTO_POLICIES, str(backend_file))
        policy.sections[0] = generated.sections[0]  # the back-end's real values
    return Part(Kind.CRYPTO_POLICIES, str(path), policy)


def system_openssl() -> Part | None:
    """The system policy this process would run under, if a file is there."""
    for candidate in (os.environ.get("OPENSSL_CONF"), *OPENSSL_DEFAULTS):
        if candidate and Path(candidate).is_file():
            try:
                return openssl_file(candidate)
            except ConfigError:
                continue
    return None


# --- Postfix ------------------------------------------------------------------------

_OPENSSL_ENV = re.compile(r"\bOPENSSL_CONF=(\S+)")


def _with_openssl(part: Part, openssl: str | None, system: bool = False) -> Part:
    """Attach the OpenSSL policy Postfix runs under: ``--openssl-config``, else the
    ``OPENSSL_CONF`` its ``import_environment`` passes to its daemons, else (on
    this machine, ``system``) the system's own file. A file named on the command
    line that cannot be read is an error; one named by the configuration, a note."""
    if openssl is not None:
        part.dump.companions.append(openssl_file(openssl).dump)
        return part
    env = part.dump.main.get("import_environment")
    m = _OPENSSL_ENV.search(env.value) if env is not None else None
    if m is not None:
        named = m.group(1)
        part.notes.append(f"import_environment passes OPENSSL_CONF={named}")
        try:
            part.dump.companions.append(openssl_file(named).dump)
        except ConfigError as exc:
            part.notes.append(f"{exc} (the policy is left out)")
    elif system:
        found = system_openssl()
        if found is not None:
            part.dump.companions.append(found.dump)
    return part


def postfix_dir(path: Path, openssl: str | None = None) -> Part:
    """``main.cf`` and ``master.cf`` of one configuration directory."""
    files = [
        (name, _read(path / name)) for name in ("main.cf", "master.cf") if (path / name).is_file()
    ]
    if not files:
        raise ConfigError(f"{path} has no main.cf or master.cf")
    dump = parse_postfix_files([(str(path / name), text) for name, text in files])
    return _with_openssl(Part(Kind.POSTFIX, str(path), dump), openssl)


def postfix_running(
    config_dir: str | None = None, openssl: str | None = None, system: bool = True
) -> Part:
    """What ``postconf -n``, ``postconf -M`` and ``postconf -P`` print (read-only)."""
    postconf = shutil.which("postconf") or "/usr/sbin/postconf"
    base = [postconf] + (["-c", config_dir] if config_dir else [])
    outputs = [(f"postconf {flag}", _run([*base, flag])) for flag in ("-n", "-M", "-P")]
    dump = parse_postfix_files(outputs)
    source = f"postconf{' -c ' + config_dir if config_dir else ''}"
    return _with_openssl(Part(Kind.POSTFIX, source, dump), openssl, system)


# --- Exim ---------------------------------------------------------------------------

_MACRO = re.compile(r"^([A-Z][A-Za-z0-9_]*)\s*=\s*(.*)$")
_DIRECTIVE = re.compile(r"^\.(ifdef|ifndef|else|endif|include|include_if_exists)\b\s*(.*)$")


def preprocess_exim(text: str, read: Callable[[str], str | None]) -> str:
    """An Exim configuration as Exim reads it: includes inlined, ``.ifdef``
    blocks decided, macros defined (``NAME = value``) and substituted.

    Lines keep their count where possible so line numbers stay close;
    included text is inserted in place.
    """
    macros: dict[str, str] = {}
    out: list[str] = []
    stack: list[bool] = []
    _exim_lines(text, read, macros, out, stack, depth=0)
    return "\n".join(out)


def _exim_lines(
    text: str,
    read: Callable[[str], str | None],
    macros: dict[str, str],
    out: list[str],
    stack: list[bool],
    *,
    depth: int,
) -> None:
    for raw in _joined(text):
        line = raw.strip()
        d = _DIRECTIVE.match(line)
        active = all(stack)
        if d:
            word, arg = d.group(1), d.group(2).strip()
            if word in {"ifdef", "ifndef"}:
                defined = arg in macros
                stack.append(defined if word == "ifdef" else not defined)
            elif word == "else" and stack:
                stack[-1] = not stack[-1]
            elif word == "endif" and stack:
                stack.pop()
            elif active and depth < 8:
                included = read(arg)
                if included is not None:
                    _exim_lines(included, read, macros, out, stack, depth=depth + 1)
            out.append("")
            continue
        if not active:
            out.append("")
            continue
        m = _MACRO.match(line)
        if m and not raw[:1].isspace():
            macros[m.group(1)] = _substitute(m.group(2), macros)
            out.append("")
            continue
        out.append(_substitute(raw, macros))


def _joined(text: str) -> list[str]:
    """Lines with Exim's backslash continuations joined (leading space of the next dropped)."""
    out: list[str] = []
    carry = ""
    for raw in text.splitlines():
        line = carry + (raw.lstrip() if carry else raw)
        if line.endswith("\\") and not line.lstrip().startswith("#"):
            carry = line[:-1]
            continue
        carry = ""
        out.append(line)
    if carry:
        out.append(carry)
    return out


def _substitute(line: str, macros: dict[str, str]) -> str:
    for name in sorted(macros, key=len, reverse=True):
        if name in line:
            value = macros[name]
            line = re.sub(rf"\b{re.escape(name)}\b", lambda _m: value, line)  # noqa: B023
    return line


def exim_file(path: Path) -> Part:
    """An Exim configuration file, or Debian's ``/etc/exim4`` with ``conf.d``."""

    def read(name: str) -> str | None:
        target = Path(name) if os.path.isabs(name) else path.parent / name
        return _maybe(str(target))

    if path.is_dir():
        conf_d = path / "conf.d" if (path / "conf.d").is_dir() else path
        pieces = []
        for section in _EXIM_SPLIT:
            folder = conf_d / section
            if folder.is_dir():
                pieces += [_read(p) for p in sorted(folder.iterdir()) if p.is_file()]
        if not pieces:
            raise ConfigError(f"{path} has no Exim conf.d/{{main,router,transport,...}} files")
        # Debian's update-exim4.conf.conf settings become macros (DCconfig_* etc.).
        text = "\n".join(pieces)
        source = str(conf_d)
    else:
        text, source = _read(path), str(path)
    dump = parse(preprocess_exim(text, read), Kind.EXIM)
    return Part(Kind.EXIM, source, dump)


def exim_running(binary: str, config: str | None = None) -> Part:
    """``exim -bP`` and ``exim -bP transport remote_smtp`` (read-only)."""
    base = [binary] + (["-C", config] if config else [])
    main = _run([*base, "-bP"])
    try:
        transport = _run([*base, "-bP", "transport", "remote_smtp"])
    except ConfigError:
        transport = ""
    dump = parse(main + "\n" + transport, Kind.EXIM)
    part = Part(Kind.EXIM, f"{' '.join(base)} -bP", dump)
    library = _exim_tls_library(base)
    if library == "GnuTLS":
        part.notes.append("built with GnuTLS (exim -bV): the OpenSSL configuration does not apply")
    elif library == "OpenSSL":
        part.notes.append("built with OpenSSL (exim -bV): the system OpenSSL policy applies")
    return part


def _exim_tls_library(base: list[str]) -> str | None:
    """``GnuTLS`` or ``OpenSSL`` from the ``Support for:`` line of ``exim -bV``."""
    try:
        version = _run([*base, "-bV"])
    except ConfigError:
        return None
    for line in version.splitlines():
        if line.startswith("Support for:"):
            words = line.split()
            return next((w for w in ("GnuTLS", "OpenSSL") if w in words), None)
    return None


# --- a directory, and --local -------------------------------------------------------


def read_dir(path: Path, openssl: str | None = None) -> Part:
    """Whatever configuration directory ``path`` is."""
    if (path / "main.cf").is_file() or (path / "master.cf").is_file():
        return postfix_dir(path, openssl)
    if (path / "conf.d").is_dir() or (path / "exim4.conf.template").is_file():
        return exim_file(path)
    if (path / "config").is_file() and (path / "back-ends").is_dir():
        return crypto_policies_dir(path)
    raise ConfigError(
        f"{path} is a directory with no configuration smtpdoctor knows "
        "(a Postfix main.cf/master.cf, Exim conf.d, /etc/crypto-policies)"
    )


def local_parts(
    postfix_config: str | None = None,
    exim_config: str | None = None,
    openssl_config: str | None = None,
) -> list[Part]:
    """Every MTA installed here and the system TLS policy, read without changing anything."""
    parts: list[Part] = []
    skipped: list[str] = []
    openssl = openssl_file(openssl_config) if openssl_config else system_openssl()
    if postfix_config:
        parts.append(postfix_running(postfix_config, openssl_config))
    elif shutil.which("postconf") or Path("/usr/sbin/postconf").exists():
        try:
            parts.append(postfix_running(None, openssl_config))
        except ConfigError as exc:  # installed but not configured: say so, go on
            skipped.append(f"Postfix skipped: {exc}")
    exim = shutil.which("exim4") or shutil.which("exim")
    if exim_config:
        parts.append(exim_file(Path(exim_config)))
    elif exim:
        try:
            parts.append(exim_running(exim))
        except ConfigError as exc:
            skipped.append(f"Exim skipped: {exc}")
    if openssl is not None:
        parts.append(openssl)
    if Path("/etc/crypto-policies/config").is_file():
        parts.append(crypto_policies_dir(Path("/etc/crypto-policies")))
    if not parts:
        why = "; ".join(skipped) or "no MTA (postconf, exim) and no OpenSSL configuration found"
        raise ConfigError(why)
    parts[0].notes.extend(skipped)
    return parts
