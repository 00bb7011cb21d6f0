"""The warm server for real: ``smtpdoctor warm start`` as a daemon, commands handed to it
by ``python -m smtpdoctor``, their output, exit status and behaviour compared with the
same command run cold (``SMTPDOCTOR_COLD=1``) byte for byte."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import smtpdoctor
from smtpdoctor.lab import LabThread
from support.helpers import unavailable

SRC = Path(smtpdoctor.__file__).resolve().parent.parent
HELO = "warm.smtpdoctor.test"


@dataclass
class Warm:
    env: dict[str, str]

    def run(
        self, *args: str, cold: bool = False, stdin: bytes | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        env = dict(self.env, SMTPDOCTOR_COLD="1") if cold else self.env
        return subprocess.run(
            [sys.executable, "-m", "smtpdoctor", *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env=env,
            cwd=cwd,
            timeout=120,
            check=False,
        )

    def status(self) -> dict[str, Any] | None:
        out = self.run("warm", "status", "--format", "json", cold=True)
        doc: dict[str, Any] = json.loads(out.stdout)
        return doc if doc["running"] else None

    def served(self) -> int:
        doc = self.status()
        assert doc is not None, "the warm server is not running"
        return int(doc["served"])

    def wait_active(self, count: int, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            doc = self.status()
            if doc is not None and doc["active"] == count:
                return
            time.sleep(0.05)
        pytest.fail(f"the warm server never had {count} active commands")


@contextlib.contextmanager
def running_server(
    directory: Path, pythonpath: Path, *extra: str, unset: tuple[str, ...] = ()
) -> Iterator[Warm]:
    directory.mkdir(mode=0o700, exist_ok=True)
    directory.chmod(0o700)
    env = dict(os.environ, SMTPDOCTOR_WARM_SOCKET=str(directory / "warm.sock"))
    env["PYTHONPATH"] = str(pythonpath)
    for name in ("SMTPDOCTOR_COLD", *unset):
        env.pop(name, None)
    warm = Warm(env)
    started = warm.run("warm", "start", "--format", "json", *extra, cold=True)
    assert started.returncode == 0, started.stderr.decode()
    pid = json.loads(started.stdout)["pid"]
    try:
        yield warm
    finally:
        warm.run("warm", "stop", cold=True)
        with contextlib.suppress(ProcessLookupError):
            for _ in range(50):
                os.kill(pid, 0)  # still there: give it a moment, then end it
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warm]:
    with running_server(tmp_path_factory.mktemp("warm") / "run", SRC, "--idle-timeout", "600") as w:
        yield w


def _volatile_free(doc: Any) -> Any:
    """A diagnosis without what differs between any two runs, cold or warm: timings, and
    the connection and byte counts (whether the matrix's connections opened before the
    walk's ending stopped them: docs/benchmarks.md)."""
    if isinstance(doc, dict):
        return {
            k: _volatile_free(v)
            for k, v in doc.items()
            if not (k.endswith("_ms") or k in ("connections", "bytes_received", "bytes_sent"))
        }
    if isinstance(doc, list):
        return [_volatile_free(v) for v in doc]
    return doc


def _target(lab: LabThread, name: str) -> list[str]:
    host, port = lab.addresses[name]
    return [f"{host}:{port}", "--tls-ca", str(lab.ca_file), "--helo", HELO]


def _stuck_diagnosis(
    lab: LabThread, env: dict[str, str], output: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """A ``diagnose`` of the lab's tarpit (it never greets): a command that stays
    running until it is signalled, for the tests of what reaches it."""
    args = ["diagnose", *_target(lab, "tarpit"), "--timeout", "60", "--quick"]
    # A process group of its own in the test's session, as a shell's job: were it
    # in the group of a pytest whose parent has gone (an orphaned group, e.g. a
    # suite started in the background), the kernel would discard the SIGTSTP of
    # Ctrl-Z (POSIX: no one could resume it), and the Ctrl-Z test would fail.
    return subprocess.Popen(
        [*_AS_A_TERMINALS_JOB, sys.executable, "-m", "smtpdoctor", *args],
        stdout=output,
        stderr=output,
        env=env,
        process_group=0,
    )


# The command after it, exec'd with SIGINT and SIGQUIT as a job started from a terminal
# has them: a suite started in the background (an asynchronous list of a shell without
# job control, `cmd &`) inherits both ignored (POSIX), and the client rightly hands its
# command the dispositions a cold interpreter would keep, so Ctrl-C would reach neither.
# (exec keeps the process: its pid is the client's.)
_AS_A_TERMINALS_JOB = [
    sys.executable,
    "-c",
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "signal.signal(signal.SIGQUIT, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n",
]


@pytest.mark.parametrize(
    ("scenario", "status"),
    [("healthy", 0), ("no-starttls", 1), ("tls-legacy", 2), ("greeting-421", 2)],
)
def test_diagnose_warm_equals_cold(warm: Warm, lab: LabThread, scenario: str, status: int) -> None:
    before = warm.served()
    quiet = warm.run("diagnose", *_target(lab, scenario), "-q")
    cold_quiet = warm.run("diagnose", *_target(lab, scenario), "-q", cold=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (
        cold_quiet.returncode,
        cold_quiet.stdout,
        cold_quiet.stderr,
    )
    assert quiet.returncode == status
    doc = warm.run("diagnose", *_target(lab, scenario), "--format", "json")
    cold_doc = warm.run("diagnose", *_target(lab, scenario), "--format", "json", cold=True)
    assert doc.returncode == cold_doc.returncode == status
    assert doc.stderr == cold_doc.stderr == b""
    assert _volatile_free(json.loads(doc.stdout)) == _volatile_free(json.loads(cold_doc.stdout))
    assert warm.served() == before + 2  # the cold runs did not go through it


@pytest.mark.parametrize(
    "args",
    [
        ("diagnose", "127.0.0.1", "--port", "notaport"),
        ("diagnose", "127.0.0.1", "--format", "json", "--timeout", "-4"),
        ("explain",),
        ("logs", "/nonexistent/mail.log"),
        ("diagnose", "--no-such-option"),
    ],
)
def test_bad_input_one_line_and_exit_3(warm: Warm, args: tuple[str, ...]) -> None:
    before = warm.served()
    hot, cold = warm.run(*args), warm.run(*args, cold=True)
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert hot.returncode == 3
    assert hot.stderr.count(b"\n") == 1
    assert hot.stderr.startswith(b"smtpdoctor: ")
    assert warm.served() == before + 1


def test_explain_reads_piped_stdin(warm: Warm) -> None:
    text = b"Dec  5 10:00:00 mx postfix/smtp[1]: 4A: to=<a@b.example>, status=deferred (host x said: 421 4.7.0 try again later)\n"  # noqa: E501
    for fmt in ("text", "json"):
        hot = warm.run("explain", "-", "--format", fmt, stdin=text)
        cold = warm.run("explain", "-", "--format", fmt, stdin=text, cold=True)
        assert (hot.returncode, hot.stdout, hot.stderr) == (
            cold.returncode,
            cold.stdout,
            cold.stderr,
        )
        assert hot.stdout


def test_relative_paths_umask_and_environment_are_the_clients(warm: Warm, tmp_path: Path) -> None:
    log = Path(__file__).resolve().parent.parent / "data" / "logs" / "postfix-lab.log"
    shutil.copy(log, tmp_path / "mail.log")
    outputs = {}
    for cold, columns in ((False, "60"), (True, "60"), (False, "120")):
        report = tmp_path / f"report-{cold}-{columns}.html"
        result = subprocess.run(
            [sys.executable, "-m", "smtpdoctor", "logs", "mail.log", "--html", report.name],
            capture_output=True,
            # COLUMNS: the report is laid out to it, read when the command runs
            env=dict(warm.env, SMTPDOCTOR_COLD="1" if cold else "0", COLUMNS=columns),
            cwd=tmp_path,
            preexec_fn=lambda: os.umask(0o077),
            timeout=120,
            check=False,
        )
        assert report.stat().st_mode & 0o777 == 0o600
        outputs[cold, columns] = (result.returncode, result.stdout, result.stderr)
    assert outputs[False, "60"] == outputs[True, "60"]
    assert outputs[False, "60"][0] in (0, 1, 2)
    assert (
        outputs[False, "120"][1] != outputs[False, "60"][1]
    )  # the client's width, not the server's


def _on_a_terminal(warm: Warm, args: list[str], cold: bool) -> tuple[int, bytes]:
    """Run under a 100x40 pseudo-terminal: everything it printed, and its exit status."""
    main, sub = pty.openpty()
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = dict(warm.env, TERM="xterm-256color", SMTPDOCTOR_COLD="1" if cold else "0")
    env.pop("COLUMNS", None)
    env.pop("NO_COLOR", None)
    with subprocess.Popen(
        [sys.executable, "-m", "smtpdoctor", *args], stdin=sub, stdout=sub, stderr=sub, env=env
    ) as proc:
        os.close(sub)
        out = b""
        while True:
            ready, _, _ = select.select([main], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            out += chunk
        status = proc.wait(30)
    os.close(main)
    return status, out


def test_terminal_output_is_the_same(warm: Warm, lab: LabThread) -> None:
    before = warm.served()
    for args in (
        ["explain", "421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints"],
        ["diagnose", *_target(lab, "cert-self-signed"), "-q"],  # -q: no timings
    ):
        hot, cold = _on_a_terminal(warm, args, False), _on_a_terminal(warm, args, True)
        assert hot == cold
        assert b"\x1b[" in hot[1]  # styled, as on a terminal
    assert warm.served() == before + 2


def _interrupted(warm: Warm, lab: LabThread, cold: bool) -> subprocess.CompletedProcess[bytes]:
    env = dict(warm.env, SMTPDOCTOR_COLD="1" if cold else "0")
    with _stuck_diagnosis(lab, env, subprocess.PIPE) as proc:
        if cold:
            _waiting_for_the_greeting(proc.pid)
        else:
            warm.wait_active(1)
            _waiting_for_the_greeting(_command_of(warm))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _waiting_for_the_greeting(pid: int) -> None:
    """Until the command is past its imports, in its event loop, connected to the tarpit:
    three sockets (the loop's own pair and the walk's), at most 20 s on a loaded machine."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
            if sum(link.startswith("socket:") for link in links) >= 3:
                break
        time.sleep(0.05)
    time.sleep(0.3)


def test_sigint_reaches_the_command(warm: Warm, lab: LabThread) -> None:
    hot = _interrupted(warm, lab, cold=False)
    cold = _interrupted(warm, lab, cold=True)
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert hot.returncode == 130
    warm.wait_active(0)


def test_a_killed_client_takes_its_command_along(warm: Warm, lab: LabThread) -> None:
    with _stuck_diagnosis(lab, warm.env) as proc:
        warm.wait_active(1)
        proc.kill()
        proc.wait(10)
    warm.wait_active(0, within=5.0)  # SIGTERM to the command, SIGKILL a second later


def test_stale_files_fall_back_cold_and_stop_the_server(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(SRC / "smtpdoctor", copy / "smtpdoctor", ignore=shutil.ignore_patterns("*.pyc"))
    args = ("explain", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown")
    with running_server(tmp_path / "run", copy) as warm:
        first = warm.run(*args)
        assert warm.served() == 1
        model = copy / "smtpdoctor" / "model.py"
        model.write_text(model.read_text() + "\n# changed after the server started\n")
        second = warm.run(*args)
        cold = warm.run(*args, cold=True)
        assert (second.returncode, second.stdout, second.stderr) == (
            cold.returncode,
            cold.stdout,
            cold.stderr,
        )
        assert (first.returncode, first.stdout) == (cold.returncode, cold.stdout)
        assert warm.status() is None  # it stopped rather than serve old code


def test_a_server_started_under_other_settings_is_not_used(tmp_path: Path) -> None:
    args = ("explain", "452 4.2.2 Mailbox full")
    with running_server(tmp_path / "run", SRC) as warm:
        other = Warm(dict(warm.env, SMTPDOCTOR_PURE_PYTHON="1"))
        result = other.run(*args)
        assert result.returncode == 1 or result.stdout
        doc = warm.status()
        assert doc is not None
        assert (doc["served"], doc["refused"]) == (0, 1)
        result = Warm(dict(warm.env, PYTHONHASHSEED="0")).run(*args)
        assert warm.served() == 0
        assert result.stdout == warm.run(*args, cold=True).stdout


def test_idle_timeout_and_a_second_start(tmp_path: Path) -> None:
    with running_server(tmp_path / "run", SRC, "--idle-timeout", "1") as warm:
        again = warm.run("warm", "start", "--format", "json", cold=True)
        assert again.returncode == 0
        assert json.loads(again.stdout)["running"]
        deadline = time.monotonic() + 15
        while warm.status() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert warm.status() is None
        assert not (tmp_path / "run" / "warm.sock").exists()
        stopped = warm.run("warm", "stop", cold=True)
        assert stopped.returncode == 1


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _command_of(warm: Warm) -> int:
    """The process running the one active command (the server's child)."""
    doc = warm.status()
    assert doc is not None
    deadline = time.monotonic() + 10
    while not (commands := _children(doc["pid"])) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(commands) == 1, commands
    return commands[0]


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_state(pid: int, states: str) -> str:
    deadline = time.monotonic() + 10
    while _state(pid) not in states and time.monotonic() < deadline:
        time.sleep(0.02)
    return _state(pid)


def test_the_command_holds_only_the_clients_descriptors(warm: Warm) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "smtpdoctor", "explain", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=warm.env,
    ) as proc:
        assert proc.stdin is not None
        warm.wait_active(1)
        command = _command_of(warm)
        fds = {int(fd.name): os.readlink(fd) for fd in Path(f"/proc/{command}/fd").iterdir()}
        mine = {fd: os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in (0, 1, 2)}
        assert fds == mine  # no socket, log or listener of the server's
        assert os.readlink(f"/proc/{command}/cwd") == os.getcwd()
        proc.stdin.write(b"554 5.7.1 Service unavailable; client host blocked\n")
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"policy_rejection" in out or b"554" in out


def test_ctrl_z_stops_and_fg_resumes_the_command(warm: Warm, lab: LabThread) -> None:
    with _stuck_diagnosis(lab, warm.env) as proc:
        warm.wait_active(1)
        command = _command_of(warm)
        proc.send_signal(signal.SIGTSTP)
        assert _wait_state(proc.pid, "T") == "T"
        assert _wait_state(command, "T") == "T"
        proc.send_signal(signal.SIGCONT)
        assert _wait_state(command, "SR") in "SR"
        assert _wait_state(proc.pid, "SR") in "SR"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130


def test_a_password_prompt_on_a_terminal_runs_cold(warm: Warm) -> None:
    before = warm.status()
    assert before is not None
    # --auth with a terminal on stdin: getpass needs it as the controlling terminal, so the
    # client does not even ask (the password comes from the environment: no prompt here)
    args = ["diagnose", "127.0.0.1:9", "--auth", "user", "--quick", "--timeout", "2"]
    with_password = Warm(dict(warm.env, SMTPDOCTOR_AUTH_PASSWORD="x"))
    status, _ = _on_a_terminal(with_password, args, False)
    assert status in (1, 2, 3)
    after = warm.status()
    assert after is not None
    assert (after["served"], after["refused"]) == (before["served"], before["refused"])
    # without a terminal the same command line is served
    assert with_password.run(*args).returncode == status
    assert warm.served() == before["served"] + 1


def test_two_commands_at_once(warm: Warm) -> None:
    """The first goes to the spare, the second to a fork made on its go."""
    texts = [b"452 4.2.2 Mailbox full\n", b"550 5.7.26 Unauthenticated email is not accepted\n"]
    before = warm.served()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "smtpdoctor", "explain", "-", "--format", "json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=warm.env,
        )
        for _ in texts
    ]
    warm.wait_active(2)
    results = [
        (*p.communicate(t, timeout=60), p.returncode) for p, t in zip(procs, texts, strict=True)
    ]
    for proc in procs:
        proc.wait()
    for (out, err, status), text in zip(results, texts, strict=True):
        cold = warm.run("explain", "-", "--format", "json", stdin=text, cold=True)
        assert (status, out, err) == (cold.returncode, cold.stdout, cold.stderr)
    assert warm.served() == before + 2


def test_an_environment_too_big_for_one_message_runs_cold(warm: Warm) -> None:
    before = warm.served()
    args = ("explain", "421 4.3.2 System not accepting network messages")
    padding = {f"SMTPDOCTOR_TEST_PADDING_{i}": "x" * 100_000 for i in range(4)}  # 128 KiB each
    big = Warm(dict(warm.env, **padding))
    hot, cold = big.run(*args), big.run(*args, cold=True)
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert hot.returncode == 1  # a temporary refusal: a warning
    assert warm.served() == before


def test_sigterm_stops_an_idle_server_at_once(tmp_path: Path) -> None:
    with running_server(tmp_path / "run", SRC, "--idle-timeout", "0") as warm:
        doc = warm.status()
        assert doc is not None
        os.kill(doc["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 3
        while warm.status() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert warm.status() is None
        assert not (tmp_path / "run" / "warm.sock").exists()


DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize(
    "args",
    [
        ("config", str(DATA / "config" / "exim-bP-broken.txt")),
        ("config", str(DATA / "config" / "exim-bP-healthy.txt"), "--format", "json"),
        ("queue", str(DATA / "queue" / "postfix-j.jsonl")),
        ("queue", str(DATA / "queue" / "exim-bp.txt")),  # (its JSON holds the time of the run)
        ("logs", str(DATA / "logs" / "exim_mainlog"), "--format", "json"),
        ("explain", "--file", str(DATA / "queue" / "sendmail-mailq.txt")),
        ("diagnose", "--help"),
    ],
)
def test_the_other_served_commands(warm: Warm, args: tuple[str, ...]) -> None:
    before = warm.served()
    hot, cold = warm.run(*args), warm.run(*args, cold=True)
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert hot.stdout
    assert warm.served() == before + 1


def test_a_server_whose_socket_was_taken_stops(tmp_path: Path) -> None:
    with running_server(tmp_path / "run", SRC) as first:
        doc = first.status()
        assert doc is not None
        (tmp_path / "run" / "warm.sock").unlink()  # as a second start's rename would
        other = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with other:
            other.bind(str(tmp_path / "run" / "warm.sock"))
            deadline = time.monotonic() + 15  # it looks at the name every 5 s when idle
            while time.monotonic() < deadline:
                try:
                    os.kill(doc["pid"], 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the server whose socket was taken is still running")
            assert (tmp_path / "run" / "warm.sock").exists()  # not removed: not its own


def test_buffered_streams_interleave_as_cold(tmp_path: Path) -> None:
    """Without PYTHONUNBUFFERED (set in this suite's environment) the streams are
    buffered as at a cold start (stdout by blocks, stderr by lines): standard output
    and error in one pipe hold the same bytes in the same order, warm and cold."""
    folder = tmp_path / "texts"
    folder.mkdir()
    shutil.copy(DATA / "logs" / "README.md", folder / "a.txt")
    (folder / "b.bin").write_bytes(b"\xff\xfe\x00binary")
    with running_server(tmp_path / "run", SRC, unset=("PYTHONUNBUFFERED",)) as warm:
        merged = []
        for cold in (False, True):
            env = dict(warm.env, SMTPDOCTOR_COLD="1" if cold else "0")
            merged.append(
                subprocess.run(
                    [sys.executable, "-m", "smtpdoctor", "explain", "--file", str(folder)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    env=env,
                    timeout=120,
                    check=False,
                )
            )
        assert warm.served() == 1
    hot, cold = merged
    assert (hot.returncode, hot.stdout) == (cold.returncode, cold.stdout)
    assert hot.stdout.startswith(b"smtpdoctor: ")  # the warning about b.bin
    assert b"a.txt" in hot.stdout


def _typed(warm: Warm, cold: bool) -> tuple[int, bytes]:
    """``explain -`` reading what is typed on a terminal, ended by Ctrl-D."""
    main, sub = pty.openpty()
    env = dict(warm.env, TERM="dumb", SMTPDOCTOR_COLD="1" if cold else "0")
    with subprocess.Popen(
        [sys.executable, "-m", "smtpdoctor", "explain", "-", "--format", "json"],
        stdin=sub,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        os.close(sub)
        time.sleep(1.0)  # typed after the command has started (and the terminal's echo)
        os.write(main, b"452 4.2.2 Mailbox full\n\x04")
        out, _ = proc.communicate(timeout=60)
    os.close(main)
    return proc.returncode, out


def test_explain_reads_what_is_typed_on_a_terminal(warm: Warm) -> None:
    before = warm.served()
    hot, cold = _typed(warm, False), _typed(warm, True)
    assert hot == cold
    assert b"Mailbox full" in hot[1]
    assert warm.served() == before + 1


def test_foreground_for_a_service_manager(tmp_path: Path) -> None:
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    env = dict(os.environ, SMTPDOCTOR_WARM_SOCKET=str(directory / "warm.sock"))
    env.pop("SMTPDOCTOR_COLD", None)
    warm = Warm(env)
    with subprocess.Popen(
        [sys.executable, "-m", "smtpdoctor", "warm", "start", "--foreground"],
        stdout=subprocess.PIPE,
        env=dict(env, SMTPDOCTOR_COLD="1"),
    ) as server:
        assert server.stdout is not None
        line = server.stdout.readline()
        ready = f"smtpdoctor: warm server listening on {directory / 'warm.sock'} (pid {server.pid})"
        assert line == f"{ready}\n".encode()
        args = ("explain", "452 4.2.2 Mailbox full")
        assert warm.run(*args).stdout == warm.run(*args, cold=True).stdout
        assert warm.served() == 1
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        server.stdout.close()
    assert not (directory / "warm.sock").exists()


@pytest.mark.parametrize("closed", [0, 1, 2])
def test_a_closed_standard_descriptor_runs_cold(warm: Warm, closed: int) -> None:
    """Closed at start (``>&-``): the client's socket would take its number."""
    before = warm.served()
    runs = []
    for cold in (False, True):
        env = dict(warm.env, SMTPDOCTOR_COLD="1" if cold else "0")
        runs.append(
            subprocess.run(
                [sys.executable, "-m", "smtpdoctor", "explain", "452 4.2.2 Mailbox full"],
                capture_output=True,
                env=env,
                preexec_fn=lambda: os.close(closed),
                timeout=60,
                check=False,
            )
        )
    hot, cold = runs
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert warm.served() == before
    if closed == 1:
        assert hot.returncode == 3
        assert hot.stderr == b"smtpdoctor: standard output is closed; nothing could be printed\n"


def test_the_command_has_the_clients_limits_nice_and_cpus(warm: Warm, lab: LabThread) -> None:
    args = ["diagnose", *_target(lab, "tarpit"), "--timeout", "60", "--quick"]
    # the client's shell's `ulimit -n 100` (hard 200), `nice -n 7` and `taskset -c 0`
    shell = 'ulimit -Sn 100 && ulimit -Hn 200 && exec nice -n 7 taskset -c 0 "$0" "$@"'
    with subprocess.Popen(
        ["sh", "-c", shell, *_AS_A_TERMINALS_JOB, sys.executable, "-m", "smtpdoctor", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=warm.env,
    ) as proc:
        warm.wait_active(1)
        command = _command_of(warm)
        limits = Path(f"/proc/{command}/limits").read_text()
        nice = os.getpriority(os.PRIO_PROCESS, command)
        cpus = os.sched_getaffinity(command)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    assert line.split()[3:5] == ["100", "200"]
    assert nice == os.getpriority(os.PRIO_PROCESS, 0) + 7
    assert cpus == {0}


def test_a_dead_spare_is_replaced_by_a_fork(tmp_path: Path) -> None:
    args = ("explain", "452 4.2.2 Mailbox full")
    with running_server(tmp_path / "run", SRC) as warm:
        doc = warm.status()
        assert doc is not None
        deadline = time.monotonic() + 10
        while not (spares := _children(doc["pid"])) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(spares) == 1
        os.kill(spares[0], signal.SIGKILL)
        hot, cold = warm.run(*args), warm.run(*args, cold=True)
        assert (hot.returncode, hot.stdout) == (cold.returncode, cold.stdout)
        assert hot.stderr == cold.stderr
        assert warm.served() == 1
        again = warm.run(*args)  # from the spare made after the first one ended
        assert (again.returncode, again.stdout) == (cold.returncode, cold.stdout)
        assert warm.served() == 2


def test_a_client_in_another_network_namespace_runs_cold(warm: Warm) -> None:
    """``ip netns exec``: a command run by the server would probe from its network."""
    trial = ["unshare", "-n", "true"]
    permitted = shutil.which("unshare") is not None
    if not permitted or subprocess.run(trial, check=False).returncode != 0:
        unavailable("unshare -n (a new network namespace) is not permitted here")
    before = warm.status()
    assert before is not None
    args = ["explain", "452 4.2.2 Mailbox full"]
    hot = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "smtpdoctor", *args],
        capture_output=True,
        env=warm.env,
        timeout=60,
        check=False,
    )
    assert (hot.returncode, hot.stdout) == (1, warm.run(*args, cold=True).stdout)
    after = warm.status()
    assert after is not None
    assert after["served"] == before["served"]
    assert after["last_refusal"] == "another interpreter, flags, sys.path or namespace"


def test_a_client_with_other_groups_runs_cold(warm: Warm) -> None:
    """``sg adm smtpdoctor logs ...``: a group may be what lets it read the log."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        unavailable("setpriv as root is needed to give a client other groups")
    before = warm.status()
    assert before is not None
    args = ["explain", "452 4.2.2 Mailbox full"]
    groups = ",".join(str(g) for g in sorted({*os.getgroups(), 4}))  # and adm's gid
    hot = subprocess.run(
        ["setpriv", f"--groups={groups}", sys.executable, "-m", "smtpdoctor", *args],
        capture_output=True,
        env=warm.env,
        timeout=60,
        check=False,
    )
    assert (hot.returncode, hot.stdout) == (1, warm.run(*args, cold=True).stdout)
    after = warm.status()
    assert after is not None
    assert after["served"] == before["served"]
