"""``diagnose``'s first DNS questions, sent before its parser is even built.

Building the ``diagnose`` parser imports the rules behind its choices; a
domain's MX round trip can run meanwhile. :func:`send_for` reads the target,
``--server``, ``--resolver`` and ``--no-mx`` from the raw arguments with no
parser of its own but the list of ``diagnose``'s options that take a value
(:data:`VALUED`, checked against the real parser by a test). A guess that
differs from the parser's (an abbreviated option, say) only sends a question
nobody takes: the diagnosis uses an early reply only for exactly the question
it asks (:mod:`smtpdoctor.net.dnswire`), and a bad command line still fails
with the parser's message. Only with ``--resolver``: the system's resolver is
asked nothing before the arguments are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["VALUED", "send_first", "send_for"]

# Every option of `smtpdoctor diagnose` that takes a value.
VALUED = frozenset(
    {
        "--server",
        "--port",
        "--helo",
        "--ehlo",
        "--mail-from",
        "--from",
        "--rcpt",
        "--to",
        "--size",
        "--timeout",
        "--tls-ca",
        "--require-tls",
        "--source-ip",
        "--resolver",
        "--auth",
        "--auth-file",
        "--peer",
        "--for",
        "--format",
        "--warn-days",
        "--crit-days",
        "--html",
    }
)


def read(args: Sequence[str]) -> tuple[str | None, str | None, bool]:
    """(target or --server, --resolver, --no-mx) from ``diagnose``'s arguments."""
    positionals: list[str] = []
    server = resolver = None
    no_mx = False
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            positionals.extend(tokens)
            break
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        name, eq, value = token.partition("=")
        if name == "--no-mx":
            no_mx = True
        elif name in VALUED:
            given = value if eq else next(tokens, None)
            if name == "--server":
                server = given
            elif name == "--resolver":
                resolver = given
    return (positionals[0] if positionals else server), resolver, no_mx


def send_for(args: Sequence[str]) -> bool:
    """Send the first DNS questions of ``diagnose ARGS``; False when none were.

    Only to a ``--resolver`` the command line names: these questions leave
    before it is checked, and one that is refused must not have asked the
    system's resolver anything (``diagnose`` sends to that one once its
    arguments are accepted)."""
    target, resolver, no_mx = read(args)
    if not target or not resolver:
        return False
    from smtpdoctor.doctor.target import send_early_dns

    return send_early_dns(target, resolver, mx=not no_mx)


def send_first(argv: Sequence[str]) -> None:
    """For the command line ``diagnose ARGS``, send its first DNS questions now:
    what the entries (``python -m smtpdoctor``, the console script) call before
    they import the command line's own modules (argparse, json, the model:
    ~10 ms of CPU), so the questions leave that much sooner. ``cli.main``
    calls :func:`send_for` again, which sends nothing twice."""
    if argv[:1] == ["diagnose"]:
        send_for(argv[1:])
        # And OpenSSL's first context, on another core while the modules load.
        from smtpdoctor.net.tls import start_early

        start_early()
