"""The dashboard's pure parts: bind rule, token and CSRF guards, charts, escaping, jobs."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.monitor.config import ConfigError, parse_config
from smtpdoctor.store import StoreUnavailable
from smtpdoctor.store.views import TargetSummary
from smtpdoctor.web.app import Dashboard
from smtpdoctor.web.charts import line_chart, sparkline, status_band
from smtpdoctor.web.pages import overview_page
from smtpdoctor.web.security import (
    CSRF_COOKIE,
    SecurityMiddleware,
    check_bind,
    csrf_ok,
    is_loopback,
)

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("198.18.1.2", False),
     ("mail.example", False)],
)  # fmt: skip
def test_loopback_needs_no_token_anything_else_does(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    if loopback:
        check_bind(host, None)
    else:
        with pytest.raises(ValueError, match="needs a token"):
            check_bind(host, None)
        check_bind(host, "secret")


async def _call(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []
    if not any(name == b"host" for name, _ in headers):
        headers = [(b"host", b"127.0.0.1:8025"), *headers]
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query,
             "headers": headers, "scheme": "http"}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return {"status": start["status"], "headers": start["headers"], "scope": scope}


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_token_guard() -> None:
    app = SecurityMiddleware(_inner, token="s3cret")
    missing = asyncio.run(_call(app, "/", []))
    assert missing["status"] == 401
    assert (b"www-authenticate", b'Bearer realm="smtpdoctor"') in missing["headers"]
    wrong = asyncio.run(_call(app, "/", [(b"authorization", b"Bearer nope")]))
    assert wrong["status"] == 401
    right = asyncio.run(_call(app, "/", [(b"authorization", b"Bearer s3cret")]))
    assert right["status"] == 200
    cookie = asyncio.run(_call(app, "/", [(b"cookie", b"smtpdoctor_token=s3cret")]))
    assert cookie["status"] == 200
    once = asyncio.run(_call(app, "/flow", [], b"token=s3cret&range=7d"))
    assert once["status"] == 303
    headers = dict(once["headers"])
    assert headers[b"location"] == b"/flow?range=7d"
    assert b"HttpOnly" in headers[b"set-cookie"]
    assert b"SameSite=Strict" in headers[b"set-cookie"]


def test_every_response_carries_the_headers_and_a_csrf_cookie() -> None:
    result = asyncio.run(_call(SecurityMiddleware(_inner), "/", []))
    headers = dict(result["headers"])
    csp = headers[b"content-security-policy"].decode()
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"referrer-policy"] == b"no-referrer"
    token = result["scope"]["state"]["csrf"]
    assert headers[b"set-cookie"].startswith(f"{CSRF_COOKIE}={token};".encode())
    # A browser that has the cookie keeps it.
    again = asyncio.run(
        _call(SecurityMiddleware(_inner), "/", [(b"cookie", headers[b"set-cookie"].split(b";")[0])])
    )
    assert again["scope"]["state"]["csrf"] == token
    assert b"set-cookie" not in dict(again["headers"])


def test_without_a_token_only_loopback_or_allowed_host_names_are_served() -> None:
    """A page on a rebound name (evil.example -> 127.0.0.1) gets nothing."""
    app = SecurityMiddleware(_inner, allowed_hosts=frozenset({"monitor.example"}))
    for host, status in [(b"127.0.0.1:8025", 200), (b"localhost:8025", 200),
                         (b"[::1]:8025", 200), (b"127.0.0.2", 200),
                         (b"monitor.example", 200), (b"Monitor.Example:443", 200),
                         (b"evil.example:8025", 403), (b"127.0.0.1.evil.example", 403),
                         (b"", 403)]:  # fmt: skip
        assert asyncio.run(_call(app, "/", [(b"host", host)]))["status"] == status, host
    # With a token the token decides (a rebinding page cannot know it).
    guarded = SecurityMiddleware(_inner, token="t")
    auth = [(b"host", b"evil.example"), (b"authorization", b"Bearer t")]
    assert asyncio.run(_call(guarded, "/", auth))["status"] == 200


def test_csrf_double_submit_and_origin() -> None:
    token = "a" * 43
    base = [(b"cookie", f"{CSRF_COOKIE}={token}".encode()), (b"host", b"127.0.0.1:8025")]
    assert csrf_ok({"headers": base}, token)
    assert csrf_ok({"headers": [*base, (b"x-csrf-token", token.encode())]}, None)
    assert not csrf_ok({"headers": base}, None)
    assert not csrf_ok({"headers": base}, "b" * 43)
    assert not csrf_ok({"headers": base[1:]}, token)  # no cookie
    assert csrf_ok({"headers": [*base, (b"origin", b"http://127.0.0.1:8025")]}, token)
    assert not csrf_ok({"headers": [*base, (b"origin", b"http://evil.example")]}, token)
    assert not csrf_ok({"headers": [*base, (b"sec-fetch-site", b"cross-site")]}, token)


def test_charts_escape_and_carry_their_values() -> None:
    svg = sparkline(["ok", None, "failure"], HOSTILE)
    assert "<script" not in svg
    assert "<img" not in svg
    assert re.findall(r'data-status="(\w*)" data-hours="(\d+)"', svg) == [
        ("ok", "1"), ("", "1"), ("failure", "1")
    ]  # fmt: skip
    runs = sparkline(["ok"] * 20 + [None, "warning", "warning", "ok"], "t")
    assert re.findall(r'x="(\d+)" y="0" width="(\d+)"', runs) == [
        ("0", "199"), ("200", "9"), ("210", "19"), ("230", "9")
    ]  # fmt: skip
    assert "<title>2 to 1 h ago: warning</title>" in runs
    band = status_band([(100.0, "ok", HOSTILE), (150.0, "failure", "x")], 100.0, 200.0)
    assert re.findall(r'x="([\d.]+)" y="0" width="([\d.]+)"', band) == [("0", "50"), ("50", "50")]
    assert "<script" not in band
    chart = line_chart({HOSTILE: [(0.0, 1.0), (10.0, 2.0)]}, 0.0, 10.0, unit="ms", label="t")
    assert re.findall(r'data-t="([\d.]+)" data-v="([\d.]+)"', chart) == [
        ("0.000", "1.000"), ("10.000", "2.000")
    ]  # fmt: skip
    assert "<script" not in chart
    assert "No data" in line_chart({}, 0.0, 1.0, unit="ms", label="t")


def test_overview_escapes_what_servers_said() -> None:
    row = TargetSummary(HOSTILE, "failure", "other", "greeting", HOSTILE, 1.0, 2.0, ("ok",) * 24)
    html = overview_page([row], 10.0)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="pill failure" data-field="status">failure<' in html


def test_overview_lists_targets_waiting_for_their_first_probe() -> None:
    html = overview_page([], 10.0, [HOSTILE, "b.test"])
    assert "Waiting for their first probe: &lt;script&gt;" in html
    assert "b.test." in html
    assert "<script" not in html


def test_web_config(tmp_path: Path) -> None:
    assert parse_config({}).web.listen is None  # off unless asked for
    web = parse_config({"web": {}}, base=tmp_path).web
    assert web.listen == "127.0.0.1:8025"
    web = parse_config({"web": {"listen": "[::1]:9000", "token_file": "t", "refresh": "10s"}},
                       base=tmp_path).web  # fmt: skip
    assert web.listen == "[::1]:9000"
    assert web.token_file == tmp_path / "t"
    assert web.refresh == 10.0
    with pytest.raises(ConfigError, match=r"web\.listen: HOST:PORT"):
        parse_config({"web": {"listen": "nope"}})
    assert parse_config({"web": {"allowed_hosts": ["m.example"]}}).web.allowed_hosts == (
        "m.example",
    )
    with pytest.raises(ConfigError, match=r"web\.allowed_hosts: expected a list"):
        parse_config({"web": {"allowed_hosts": "m.example"}})
    with pytest.raises(ConfigError, match=r"web\.token: unknown key"):
        parse_config({"web": {"token": "x"}})


def test_one_job_per_target_and_a_recent_result_is_reused() -> None:
    calls: list[str] = []
    clock = [1000.0]

    async def probe(name: str) -> dict[str, Any] | None:
        calls.append(name)
        await asyncio.sleep(0.01)
        return {"verdict": {"status": "ok", "summary": "fine"}}

    async def scenario() -> None:
        d = Dashboard(store=None, diagnose_now=probe, clock=lambda: clock[0])  # type: ignore[arg-type]
        first = d.start_job("a")
        assert d.start_job("a") is first  # running: the same job
        other = d.start_job("b")
        await asyncio.sleep(0.05)
        assert first.status == "done"
        assert first.verdict["status"] == "ok"
        assert other.status == "done"
        assert d.start_job("a") is first  # finished just now: not probed again
        clock[0] += d.manual_gap + 1
        assert d.start_job("a") is not first
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert calls == ["a", "b", "a"]


def _doc(target: str) -> dict[str, Any]:
    verdict = {"status": "ok", "category": "ok", "stage": "none", "permanence": "temporary",
               "summary": "fine", "retry_helps": False}  # fmt: skip
    host = {"name": target, "address": "192.0.2.1", "port": 25, "timeline": []}
    return {"target": target, "verdict": verdict, "findings": [], "elapsed_ms": 1.0,
            "hosts": [host]}  # fmt: skip


def test_diagnose_now_goes_through_the_scheduler(tmp_path: Path) -> None:
    """The monitor's probe on demand waits for the target's IP like any probe."""
    from smtpdoctor.monitor.service import Monitor
    from smtpdoctor.store import open_store

    cfg = parse_config({
        "monitor": {"interval": "1h", "jitter": 0.0, "listen": ""},
        "target": [{"name": "a.test"}, {"name": "b.test"}],
    })  # fmt: skip
    spans: dict[str, list[tuple[float, float]]] = {"a.test": [], "b.test": []}

    async def prober(t: Any) -> dict[str, Any]:
        began = time.monotonic()
        await asyncio.sleep(0.3 if t.target == "b.test" else 0.01)
        spans[t.target].append((began, time.monotonic()))
        return _doc(t.target)

    store = open_store(str(tmp_path / "h.sqlite3"))
    m = Monitor(cfg, store, prober=prober)
    for state in m.scheduler.states.values():
        state.addresses = ("192.0.2.1",)  # both behind one IP
    m.scheduler.states["a.test"].next_at += 3600  # only b is due at first

    async def go() -> dict[str, Any] | None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        run = loop.create_task(m.run(stop, tick_seconds=0.05))
        await asyncio.sleep(0.1)  # b is running now
        with pytest.raises(LookupError):
            await m.diagnose_now("nope.test")
        doc = await asyncio.wait_for(m.diagnose_now("a.test"), 5)
        stop.set()
        await run
        return doc

    try:
        doc = asyncio.run(go())
    finally:
        store.close()
    assert doc is not None
    assert doc["target"] == "a.test"
    assert len(spans["a.test"]) == 1
    # a started only once b had released the shared address.
    assert spans["a.test"][0][0] >= spans["b.test"][0][1]


class _DownStore:
    url = "postgresql://db.invalid/history"

    def __getattr__(self, name: str) -> Any:
        def down(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailable("connection refused")

        return down


async def _get(app: Any, path: str, query: bytes = b"") -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": query, "headers": [(b"host", b"127.0.0.1:8025")],
             "scheme": "http", "http_version": "1.1", "root_path": "",
             "server": ("127.0.0.1", 8025), "client": ("127.0.0.1", 5000)}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def test_a_store_that_is_down_is_a_503_page_and_an_unknown_target_a_404(tmp_path: Path) -> None:
    from smtpdoctor.store import open_store
    from smtpdoctor.web.app import create_app

    status, body = asyncio.run(_get(create_app(Dashboard(store=_DownStore())), "/"))  # type: ignore[arg-type]
    assert status == 503
    assert b"The history store is not answering" in body
    store = open_store(str(tmp_path / "h.sqlite3"))
    try:
        app = create_app(Dashboard(store=store))
        status, body = asyncio.run(_get(app, "/target", b"name=%3Cb%3Enope"))
        assert status == 404
        assert b"No history for &lt;b&gt;nope" in body
        assert asyncio.run(_get(app, "/nowhere"))[0] == 404
    finally:
        store.close()
