"""The warm server's protocol pieces: the request's wire form, the exit report, the
checks on both sides (socket directory, environment, stamp, refusals), without a server."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from smtpdoctor.cli import warmclient as wire
from smtpdoctor.cli import warmserver


def _request(**changes: object) -> wire.Request:
    fields: dict[str, object] = {
        "argv": [b"/usr/bin/smtpdoctor", b"diagnose", b"example.com", b"--format", b"json"],
        "env": [b"HOME=/home/u", b"LANG=C.UTF-8", b"EMPTY=", b"EQ=a=b"],
        "path": [b"/usr/bin", b"/usr/lib/python3.11"],
        "umask": 0o027,
        "ignored": [1, 13],
        "ident": wire.identity(),
        "package": wire.package_dir(),
        "limits": [(7, 1024, 4096), (4, 0, -1)],
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "cpus": sorted(os.sched_getaffinity(0)),
    }
    fields.update(changes)
    return wire.Request(**fields)  # type: ignore[arg-type]


def test_request_round_trip_keeps_every_field() -> None:
    req = _request(argv=[b"smtpdoctor", b"explain", b"", b"550 5.1.1 \xff unknown", b"-"])
    back = wire.decode_request(wire.encode_request(req))
    assert back.argv == req.argv  # an empty argument and non-UTF-8 bytes survive
    assert back.env == req.env
    assert back.path == req.path
    assert (back.umask, back.ignored) == (0o027, [1, 13])
    assert back.limits == [(7, 1024, 4096), (4, 0, -1)]
    assert back.nice == os.getpriority(os.PRIO_PROCESS, 0)
    assert back.cpus == sorted(os.sched_getaffinity(0))
    assert (back.identity, back.package) == (req.identity, req.package)


def test_request_with_empty_path_and_environment() -> None:
    empty = _request(env=[], path=[], ignored=[], limits=[], cpus=[])
    back = wire.decode_request(wire.encode_request(empty))
    assert (back.env, back.path, back.ignored, back.limits, back.cpus) == ([], [], [], [], [])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"status",
        b"run\x002\x00x\x00p\x0018\x00\x00\x000\x00\x000\x000",  # another protocol version
        b"run\x001\x00x\x00p\x0018\x00\x00\x000\x00\x005\x00a",  # argv cut short
        b"run\x001\x00x\x00p\x0018\x00\x00\x000\x00\x001\x00a\x003\x00p",  # path cut short
        b"run\x001\x00x\x00p\x0018\x00\x00\x000\x00\x001\x00a\x000\x00NOEQUALS",
        b"run\x001\x00x\x00p\x00eighteen\x00\x00\x000\x00\x000\x000",
        b"run\x001\x00x\x00p\x0018\x00\x007:1\x000\x00\x000\x000",  # a limit cut short
        b"run\x001\x00x\x00p\x0018\x00\x00\x00high\x00\x000\x000",  # nice not a number
        b"run\x001\x00x\x00p\x0018\x00\x00\x000\x00zero\x000\x000",  # a CPU not a number
    ],
)
def test_malformed_requests_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each part's own message
        wire.decode_request(data)


@pytest.mark.parametrize("code", [0, 1, 2, 3, 120, 130, 255])
def test_exit_status_reported_as_the_exit_code(code: int) -> None:
    assert wire.read_exit(wire.exit_reply(code << 8)) == ("exit", code)


def test_death_by_signal_reported_as_the_signal() -> None:
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGTERM)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert wire.read_exit(wire.exit_reply(status)) == ("signal", signal.SIGTERM)


@pytest.mark.parametrize("reply", [b"", b"ok", b"exit:", b"exit:-1", b"signal:x", b"bye"])
def test_anything_else_is_not_an_exit(reply: bytes) -> None:
    assert wire.read_exit(reply) is None


def test_matched_environment_is_what_start_up_reads() -> None:
    env = {
        b"PYTHONPATH": b"/src",
        b"LANG": b"C.UTF-8",
        b"LC_ALL": b"de_DE.UTF-8",
        b"LANGUAGE": b"de",
        b"SMTPDOCTOR_PURE_PYTHON": b"1",
        b"OPENSSL_CONF": b"/etc/ssl/x.cnf",
        b"CRYPTOGRAPHY_OPENSSL_NO_LEGACY": b"1",
        b"SMTPDOCTOR_COLD": b"0",
        b"SMTPDOCTOR_WARM_SOCKET": b"/run/x.sock",
        b"SMTPDOCTOR_AUTH_PASSWORD": b"secret",
        b"HOME": b"/home/u",
        b"TZ": b"UTC",
        b"COLUMNS": b"100",
    }
    matched = wire.matched_env(env)
    assert set(matched) == {
        b"PYTHONPATH",
        b"LANG",
        b"LC_ALL",
        b"LANGUAGE",
        b"SMTPDOCTOR_PURE_PYTHON",
        b"OPENSSL_CONF",
        b"CRYPTOGRAPHY_OPENSSL_NO_LEGACY",
    }
    as_list = [k + b"=" + v for k, v in env.items()]
    assert wire.matched_env(as_list) == matched


def test_socket_path_choices() -> None:
    assert wire.socket_path({"SMTPDOCTOR_WARM_SOCKET": "/x/s.sock"}) == "/x/s.sock"
    runtime = wire.socket_path({"XDG_RUNTIME_DIR": "/run/user/1000"})
    assert runtime == "/run/user/1000/smtpdoctor/warm.sock"
    # a relative runtime directory is ignored, as the XDG specification says
    fallback = wire.socket_path({"XDG_RUNTIME_DIR": "run"})
    assert fallback == f"/tmp/smtpdoctor-{os.getuid()}/warm.sock"


def test_private_dir_only_for_a_0700_directory_of_this_user(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    assert wire.private_dir(str(private))
    private.chmod(0o750)
    assert not wire.private_dir(str(private))
    link = tmp_path / "link"
    link.symlink_to(private)
    private.chmod(0o700)
    assert not wire.private_dir(str(link))
    assert not wire.private_dir(str(tmp_path / "missing"))
    plain = tmp_path / "file"
    plain.write_text("")
    plain.chmod(0o600)
    assert not wire.private_dir(str(plain))


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["smtpdoctor", "diagnose", "x"], {"SMTPDOCTOR_COLD": "1"}),
        (["smtpdoctor", "warm", "status"], {}),
        (["smtpdoctor", "monitor"], {}),
        (["smtpdoctor"], {}),
        (["smtpdoctor", "--version"], {}),
        (["smtpdoctor", "diagnose", "x"], {}),  # no server in the directory
    ],
)
def test_client_declines_without_doing_anything(
    argv: list[str], env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "sock"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("SMTPDOCTOR_WARM_SOCKET", str(directory / "warm.sock"))
    monkeypatch.delenv("SMTPDOCTOR_COLD", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = signal.getsignal(signal.SIGINT)
    assert wire.try_warm(argv) is None
    assert signal.getsignal(signal.SIGINT) is before


def test_client_declines_a_socket_in_a_shared_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("SMTPDOCTOR_WARM_SOCKET", str(shared / "warm.sock"))
    monkeypatch.delenv("SMTPDOCTOR_COLD", raising=False)
    assert wire.try_warm(["smtpdoctor", "diagnose", "x"]) is None


def _package(root: Path) -> Path:
    pkg = root / "pkg"
    (pkg / "sub" / "__pycache__").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("X = 1\n")
    return pkg


def test_stamp_changes_with_a_file_not_with_bytecode(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    first = warmserver.stamp(str(pkg), [])
    (pkg / "sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"x")
    assert warmserver.stamp(str(pkg), []) == first
    (pkg / "sub" / "mod.py").write_text("X = 2\n")  # same size: the mtime tells
    os.utime(pkg / "sub" / "mod.py", ns=(1, 1))
    assert warmserver.stamp(str(pkg), []) != first
    second = warmserver.stamp(str(pkg), [])
    (pkg / "sub" / "new.py").write_text("")
    assert warmserver.stamp(str(pkg), []) != second


def test_stamp_follows_the_path_directories(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    os.utime(site, ns=(10**18, 10**18))
    first = warmserver.stamp(str(pkg), [str(site), str(tmp_path / "gone")])
    (site / "newpackage").mkdir()  # a pip install
    assert warmserver.stamp(str(pkg), [str(site), str(tmp_path / "gone")]) != first


def test_server_refuses_what_a_cold_run_would_do_differently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = warmserver.Server(str(tmp_path / "warm.sock"), 60)
    env = [k + b"=" + v for k, v in os.environb.items()]
    fds = [0, 1, 2, 3]
    assert server._refusal(_request(env=env), fds) is None
    assert server._refusal(_request(env=env), fds[:3]) == "descriptors missing"
    other = _request(env=env, ident=b"another python")
    assert server._refusal(other, fds) == "another interpreter, flags, sys.path or namespace"
    elsewhere = _request(env=env, package=b"/elsewhere/smtpdoctor")
    assert server._refusal(elsewhere, fds) == "another installation of smtpdoctor"
    changed = _request(env=[*env, b"SMTPDOCTOR_PURE_PYTHON=1"])
    assert server._refusal(changed, fds) == "environment variables read at start-up differ"
    warm_only = _request(env=[*env, b"SMTPDOCTOR_WARM_SOCKET=/elsewhere", b"TZ=UTC"])
    assert server._refusal(warm_only, fds) is None
    elsewhere_cpu = _request(env=env, cpus=[4095])
    assert server._refusal(elsewhere_cpu, fds) == "CPUs the server may not use"
    own_nice = os.getpriority(os.PRIO_PROCESS, 0)
    assert server._refusal(_request(env=env, nice=own_nice + 5), fds) is None
    higher = _request(env=env, nice=own_nice - 1)
    assert server._refusal(higher, fds) == "a higher priority than the server's"
    lab = _request(env=env, argv=[b"smtpdoctor", b"lab"])
    assert server._refusal(lab, fds) == "command not served warm"
    assert server._refusal(_request(env=env, argv=[b"smtpdoctor"]), fds) is not None
    assert server._refusal(None, fds) == "malformed request"
    assert server.running
    monkeypatch.setattr(server, "stamp", (("changed", 0, 0),))
    assert server._refusal(_request(env=env), fds) == "stale: the installed files changed"
    assert not server.running  # a stale server stops


@pytest.mark.parametrize(
    ("code", "status"),
    [(None, 0), (0, 0), (2, 2), (3, 3), (-1, 255), (256, 0), (True, 1), ("bye", 1)],
)
def test_exit_codes_as_the_interpreter_maps_them(
    code: object, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert warmserver._exit_code(code) == status
    assert capsys.readouterr().err == ("bye\n" if code == "bye" else "")


def test_received_descriptors_parsed_from_rights() -> None:
    data = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (7, 8, 9))
    import socket

    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, data + b"\x01")]
    assert warmserver._received_fds(rights) == [7, 8, 9]
    assert warmserver._received_fds([(0, 0, data)]) == []


_WARM_UP_CHECK = """
import gc, re
import smtpdoctor.cli.explain, smtpdoctor.cli.logs
from smtpdoctor.knowledge import phrasing
phrasing.warm_up()
lazy = [o for o in gc.get_objects() if isinstance(o, phrasing.LazyRegex)]
assert all(o._compiled == re.compile(o.whole or o.pattern, o.flags) for o in lazy)
branches = phrasing._BRANCH_RX
split = [rx for rx in branches.values() if isinstance(rx, phrasing._Alternatives)]
assert all(rx == re.compile(b, rx.flags) for b, rx in branches.items() if rx not in split)
assert all(r == re.compile(r.pattern, r.flags) for rx in split for r, _ in rx.parts)
print(len(lazy), len(branches))
"""


def test_warm_up_compiles_the_patterns_the_lazy_route_would() -> None:
    """In a process of its own: the table regexes compiled ahead are equal (same program)
    to what their first search compiles, whole and by branch."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _WARM_UP_CHECK], capture_output=True, text=True, check=True
    )
    whole, branches = map(int, out.stdout.split())
    assert whole > 300
    assert branches > 1000


def test_warm_command_without_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from support.helpers import run_cli

    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    sock = str(directory / "warm.sock")
    monkeypatch.setenv("SMTPDOCTOR_WARM_SOCKET", sock)
    status = run_cli("warm", "status")
    assert (status.status, status.stdout) == (1, f"warm server: not running ({sock})\n")
    doc = run_cli("warm", "status", "--format", "json").json()
    assert doc == {"schema": "smtpdoctor.warm/1", "running": False, "socket": sock}
    stop = run_cli("warm", "stop")
    assert (stop.status, stop.stdout) == (1, f"warm server: not running ({sock})\n")
    bad = run_cli("warm", "start", "--idle-timeout", "-1")
    assert bad.status == 3
    assert bad.stderr == "smtpdoctor: --idle-timeout must be 0 (never) or more seconds\n"


def test_warm_status_text_names_the_last_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from smtpdoctor.cli import warm

    status = {
        "pid": "42",
        "socket": "/run/user/1/smtpdoctor/warm.sock",
        "served": "3",
        "refused": "1",
        "idle_timeout": "1800",
        "cpu_s": "0.500000",
        "python": "3.11.7",
        "last_refusal": "environment variables read at start-up differ",
    }
    assert warm._report(status, "/x", argparse.Namespace(format="text")) == 0
    assert capsys.readouterr().out == (
        "warm server: running, pid 42, socket /run/user/1/smtpdoctor/warm.sock, 3 served, "
        "1 sent back cold (last refusal: environment variables read at start-up differ), "
        "idle timeout 1800 s\n"
    )


_STREAMS_CHECK = """
import os, subprocess, sys
from smtpdoctor.cli import warmserver
SHOW = ("[[s.encoding, s.errors, s.line_buffering, s.write_through, s.mode, s.newlines,"
        " type(s.buffer).__name__, getattr(s.buffer, 'raw', s.buffer).name]"
        " for s in (sys.stdin, sys.stdout, sys.stderr)]")
warm_file, cold_file, err_file = sys.argv[1:]
stdin = os.open(os.devnull, os.O_RDONLY)
read_end, pipe = os.pipe()
err = os.open(err_file, os.O_WRONLY | os.O_CREAT, 0o600)
pid = os.fork()
if pid == 0:
    for target, fd in enumerate((stdin, pipe, err)):
        os.dup2(fd, target)
    warmserver._stdio()
    open(warm_file, "w").write(repr(eval(SHOW)))
    os._exit(0)
os.waitpid(pid, 0)
probe = "import sys; open(sys.argv[1], 'w').write(repr(" + SHOW + "))"
subprocess.run([sys.executable, "-c", probe, cold_file], stdin=stdin, stdout=pipe, stderr=err,
               check=True)
"""


@pytest.mark.parametrize("unbuffered", [True, False])
def test_standard_streams_made_as_at_a_cold_start(tmp_path: Path, unbuffered: bool) -> None:
    """The command's sys.stdin/stdout/stderr against a new interpreter's on the same kinds
    of descriptor (/dev/null, a pipe, a file), with -u's variable and without."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    files = [str(tmp_path / name) for name in ("warm", "cold", "err")]
    subprocess.run([sys.executable, "-c", _STREAMS_CHECK, *files], env=env, check=True)
    warm = (tmp_path / "warm").read_text()
    assert warm == (tmp_path / "cold").read_text()
    assert "<stdout>" in warm


def test_resource_limits_a_fork_can_take() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert warmserver._limits_reachable([(resource.RLIMIT_NOFILE, soft, hard)])
    assert warmserver._limits_reachable([(resource.RLIMIT_NOFILE, 64, 128)])  # lower: fine
    if hard != resource.RLIM_INFINITY:
        above = [(resource.RLIMIT_NOFILE, soft, hard + 1)]
        assert not warmserver._limits_reachable(above)
        unlimited = [(resource.RLIMIT_NOFILE, soft, resource.RLIM_INFINITY)]
        assert not warmserver._limits_reachable(unlimited)
    assert not warmserver._limits_reachable([(resource.RLIMIT_NOFILE, 256, 128)])  # soft > hard
    assert not warmserver._limits_reachable([(999, 1, 1)])  # no such resource
