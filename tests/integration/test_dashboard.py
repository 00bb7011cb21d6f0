"""The monitor's dashboard in real headless Chromium (Selenium), against the lab.

One monitor process watches the lab's healthy and hostile-markup servers,
over a store that already holds a known day of history for ``history.test``;
the browser checks what a person would: the waterfall's bars sit where the
stored timeline says, the charts show the stored history, "diagnose now"
runs a real probe, hostile strings stay text, the keyboard reaches the
button, a phone-width page does not scroll sideways. The security checks
speak plain HTTP: CSRF, headers, and a token-guarded dashboard on a
non-loopback address inside a network namespace.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.lab.scenarios import MARKUP_PAYLOAD
from smtpdoctor.report.diagnosis import bar_geometry
from smtpdoctor.store import ProbeRecord, open_store
from support.browser import viewport, webdriver
from support.dashboard import HISTORY_TARGET, MonitorProcess, Seeded, http, seed_history
from support.helpers import run_cli
from support.netns import SERVER, require_netns, topology

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def seeded_monitor(
    lab: LabThread, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MonitorProcess, Seeded, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("dashboard")
    seeded = seed_history(str(tmp / "history.sqlite3"), time.time())
    targets = {name: lab.addresses[name] for name in ("healthy", "hostile-markup")}
    with MonitorProcess(tmp, list(targets.values()), lab.ca_file) as mon:
        names = {name: f"{h}:{p}" for name, (h, p) in targets.items()}
        for target in names.values():
            assert mon.wait_probes(target, 1), mon.log.read_text()
        yield mon, seeded, names


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with webdriver(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def _url(mon: MonitorProcess, path: str, **query: str) -> str:
    return mon.base + path + ("?" + urllib.parse.urlencode(query) if query else "")


def _accepted(lab: LabThread, scenario: str) -> int:
    """Connections the lab's server for ``scenario`` accepted so far."""
    return sum(x.accepted for x in lab.lab._listeners if x.scenario.name == scenario)


def _no_script_ran(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - asking is the check
    assert driver.execute_script("return typeof window.smtpdoctorPwned") == "undefined"
    # The page's own script is the only one; the payload's tags are text, not elements.
    scripts = driver.execute_script(
        "return Array.from(document.scripts).map(s => s.getAttribute('src'))"
    )
    assert scripts == ["/static/dashboard.js"]
    planted = driver.execute_script(
        "return document.querySelectorAll('img, [onerror]').length"
        " + Array.from(document.querySelectorAll('b')).filter(b => b.textContent === 'bold').length"
    )
    assert planted == 0


def test_waterfall_bars_are_where_the_timeline_says(seeded_monitor: Any, browser: Any) -> None:
    mon, _, names = seeded_monitor
    probe = mon.wait_probes(names["healthy"], 1)[-1]
    timeline = probe.hosts[0]["timeline"]
    browser.get(_url(mon, "/target", name=names["healthy"]))
    bars = browser.execute_script("""
        return Array.from(document.querySelectorAll('#latest rect.bar')).map(r => {
          const box = r.getBoundingClientRect(), row = r.ownerSVGElement.getBoundingClientRect();
          return {stage: r.dataset.stage, outcome: r.dataset.outcome,
                  left: 100 * (box.left - row.left) / row.width,
                  width: 100 * box.width / row.width};
        });""")
    assert len(bars) == len(timeline) >= 6  # connect ... QUIT, through STARTTLS
    for step, (left, width), bar in zip(timeline, bar_geometry(timeline), bars, strict=True):
        assert bar["stage"] == step["stage"]
        assert bar["outcome"] == step["outcome"]
        assert bar["left"] == pytest.approx(left, abs=0.3)  # a rendered pixel or two
        assert bar["width"] == pytest.approx(max(width, 0.2), abs=0.3)
    # The longest bar is the longest step, in the browser's own layout.
    longest = max(range(len(timeline)), key=lambda i: timeline[i]["elapsed_ms"])
    assert max(range(len(bars)), key=lambda i: bars[i]["width"]) == longest


def test_charts_show_the_stored_history(seeded_monitor: Any, browser: Any) -> None:
    mon, seeded, _ = seeded_monitor
    # The chart's hours end at the hour the page is drawn, which may be later than
    # the hour the history was seeded in (the module's earlier tests take time):
    # the page is read again if an hour began while it was drawn.
    while True:
        drawn = time.time() // 3600
        browser.get(_url(mon, "/"))
        if time.time() // 3600 == drawn:
            break
    row = browser.find_element("css selector", f'tr[data-target="{HISTORY_TARGET}"]')
    assert row.find_element("css selector", '[data-field="status"]').text == "ok"
    cells = [
        c.get_attribute("data-status")
        for c in row.find_elements("css selector", "rect")
        for _ in range(int(c.get_attribute("data-hours")))
    ]
    assert len(cells) == 24
    stored = {int((p.time // 3600) - drawn) + 23: p.status for p in seeded.probes}
    shown = {hour: status for hour, status in stored.items() if 0 <= hour < 24}
    assert len(shown) >= 22, stored  # one probe an hour, seeded over the last 23.5 hours
    for hour, status in shown.items():
        assert cells[hour] == status, (hour, cells)
    # five failures and five warnings seeded, none of them in the oldest hour
    assert cells.count("failure") == list(shown.values()).count("failure") == 5
    assert cells.count("warning") == list(shown.values()).count("warning") == 5

    browser.get(_url(mon, "/target", name=HISTORY_TARGET, range="24h"))
    band = browser.find_elements("css selector", "svg.band rect")
    # ok -> failure -> warning -> ok: four periods, each starting at a stored probe.
    assert [b.get_attribute("data-status") for b in band] == ["ok", "failure", "warning", "ok"]
    starts = [float(b.get_attribute("data-time")) for b in band]
    assert starts[1:] == pytest.approx([seeded.probes[i].time for i in (10, 15, 20)], abs=0.01)
    connect = [
        (float(c.get_attribute("data-t")), float(c.get_attribute("data-v")))
        for c in browser.find_elements("css selector", 'circle[data-series="connect"]')
    ]
    want = [(p.time, p.hosts[0]["timeline"][0]["elapsed_ms"]) for p in seeded.probes]
    assert len(connect) == len(want)
    for (t, v), (wt, wv) in zip(connect, want, strict=True):
        assert t == pytest.approx(wt, abs=0.01)
        assert v == pytest.approx(wv)
    assert "mx2.history.test" in browser.find_element("tag name", "main").text

    browser.get(_url(mon, "/flow", range="24h"))
    delivered = sum(
        float(r.get_attribute("data-v"))
        for r in browser.find_elements("css selector", 'rect[data-part="delivered"]')
    )
    assert delivered == sum(r.sent for r in seeded.rates if r.time >= seeded.now - 86400)
    sizes = browser.find_elements("css selector", 'circle[data-series="messages"]')
    assert max(float(c.get_attribute("data-v")) for c in sizes) == max(
        q.size for q in seeded.queue if q.time >= seeded.now - 86400
    )

    browser.get(_url(mon, "/alerts"))
    text = browser.find_element("tag name", "main").text
    # Ours, and (once evaluated) the monitor's own verdict_failure for hostile-markup.
    assert re.search(r"\b[12] firing, 0 pending, 1 resolved\.", text), text
    assert "rate_421 (warning)" in text
    assert 'onerror="window.smtpdoctorPwned=5"' in text
    assert "slow down <b>now</b>" in text
    _no_script_ran(browser)


def test_diagnose_now_from_the_keyboard_probes_the_lab(
    seeded_monitor: Any, browser: Any, lab: LabThread
) -> None:
    mon, _, names = seeded_monitor
    target = names["healthy"]
    before = len(mon.wait_probes(target, 1))
    connections = _accepted(lab, "healthy")
    browser.get(_url(mon, "/target", name=target))
    old = browser.find_element("id", "latest").get_attribute("data-time")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    # Tab from the top of the page until "Diagnose now" has the focus, then Enter.
    reached = []
    for _ in range(30):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        active = browser.switch_to.active_element
        reached.append(active.tag_name)
        if active.get_attribute("id") == "diagnose-now":
            break
    assert active.get_attribute("id") == "diagnose-now", reached
    outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring
    active.send_keys(Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(
        lambda d: d.find_element("id", "job").get_attribute("data-status")
    )
    job = browser.find_element("id", "job")
    assert job.get_attribute("data-status") == "ok", job.text
    assert job.text.startswith("Done: ok")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element("id", "latest").get_attribute("data-time") != old
    )
    assert len(mon.wait_probes(target, before + 1)) == before + 1
    assert _accepted(lab, "healthy") > connections  # a real session with the lab


def test_hostile_markup_stays_text(seeded_monitor: Any, browser: Any) -> None:
    mon, _, names = seeded_monitor
    target = names["hostile-markup"]
    browser.get(_url(mon, "/target", name=target))
    text = browser.find_element("tag name", "main").text
    assert MARKUP_PAYLOAD in text  # banner, EHLO and the RCPT refusal, shown as text
    assert 'CN=\\<img src=x onerror=\\"window.smtpdoctorPwned=3\\"\\>' in text
    _no_script_ran(browser)
    browser.get(_url(mon, "/"))
    assert "550 5.7.1" in browser.find_element("id", "overview").text
    _no_script_ran(browser)
    browser.get(_url(mon, "/explain"))
    box = browser.find_element("id", "explain-text")
    box.send_keys(f"550 5.7.1 {MARKUP_PAYLOAD} relay access denied")
    box.submit()
    assert "policy_rejection" in browser.find_element("id", "explanation").text
    assert MARKUP_PAYLOAD in browser.find_element("id", "explain-text").get_attribute("value")
    _no_script_ran(browser)


def test_overview_updates_live_without_a_reload(seeded_monitor: Any, browser: Any) -> None:
    mon, _, _ = seeded_monitor
    live = "live.test"
    store = open_store(str(mon.store))
    try:
        store.write([ProbeRecord.from_diagnosis(_probe_doc(live, "ok"), time.time())])
        browser.get(_url(mon, "/"))
        browser.execute_script("window.sameDocument = true")
        pill = f'tr[data-target="{live}"] [data-field="status"]'
        assert browser.find_element("css selector", pill).text == "ok"
        store.write([ProbeRecord.from_diagnosis(_probe_doc(live, "failure"), time.time())])
    finally:
        store.close()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(
        lambda d: d.find_element("css selector", pill).text == "failure"
    )
    assert "failure" in browser.find_element("css selector", pill).get_attribute("class")
    assert browser.execute_script("return window.sameDocument") is True  # no reload


def test_a_new_target_appears_without_a_reload(seeded_monitor: Any, browser: Any) -> None:
    mon, _, _ = seeded_monitor
    browser.get(_url(mon, "/"))
    browser.execute_script("window.sameDocument = true")
    newcomer = "newcomer.test"
    row = f'tr[data-target="{newcomer}"]'
    assert not browser.find_elements("css selector", row)
    store = open_store(str(mon.store))
    try:
        store.write([ProbeRecord.from_diagnosis(_probe_doc(newcomer, "warning"), time.time())])
    finally:
        store.close()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: d.find_elements("css selector", row))
    pill = browser.find_element("css selector", row + ' [data-field="status"]')
    assert pill.text == "warning"
    counts = browser.find_element("id", "counts").text
    assert counts.startswith(f"{len(browser.find_elements('css selector', 'tr[data-target]'))} ")
    assert browser.execute_script("return window.sameDocument") is True  # no reload
    _no_script_ran(browser)


def _probe_doc(target: str, status: str) -> dict[str, Any]:
    category = "ok" if status == "ok" else "rate_limited"
    verdict = {"status": status, "category": category, "stage": "greeting",
               "permanence": "temporary", "summary": f"now {status}"}  # fmt: skip
    host = {"name": target, "address": "192.0.2.9", "port": 25, "timeline": [], "tls": None}
    return {"target": target, "verdict": verdict, "findings": [], "elapsed_ms": 1.0,
            "hosts": [host]}  # fmt: skip


@pytest.mark.parametrize(("width", "dark"), [(390, False), (390, True), (1024, False)])
def test_phone_width_no_sideways_scroll_light_and_dark(
    seeded_monitor: Any, browser: Any, width: int, dark: bool
) -> None:
    mon, _, names = seeded_monitor
    viewport(browser, width, dark=dark)
    try:
        backgrounds = set()
        for path, query in (("/", {}), ("/target", {"name": names["hostile-markup"]}),
                            ("/target", {"name": HISTORY_TARGET}), ("/flow", {}),
                            ("/alerts", {}), ("/explain", {})):  # fmt: skip
            browser.get(_url(mon, path, **query))
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            assert scroll <= width, (path, query, scroll)
            backgrounds.add(
                browser.execute_script("return getComputedStyle(document.body).backgroundColor")
            )
        assert backgrounds == {"rgb(20, 23, 28)" if dark else "rgb(255, 255, 255)"}
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_posts_need_the_csrf_token_and_pages_carry_the_headers(seeded_monitor: Any) -> None:
    mon, _, names = seeded_monitor
    status, headers, _ = http(mon.base + "/")
    assert status == 200
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    cookie = headers["set-cookie"].split(";", 1)[0]
    token = cookie.split("=", 1)[1]
    body = urllib.parse.urlencode({"name": names["healthy"]}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # No token, a token without its cookie, the cookie with a wrong token: all refused.
    assert http(mon.base + "/diagnose", data=body)[0] == 403
    with_token = urllib.parse.urlencode({"name": names["healthy"], "csrf": token}).encode()
    assert http(mon.base + "/diagnose", data=with_token, headers=form)[0] == 403
    wrong = urllib.parse.urlencode({"name": names["healthy"], "csrf": "x" * 43}).encode()
    assert http(mon.base + "/diagnose", data=wrong, headers={**form, "Cookie": cookie})[0] == 403
    # Right token and cookie, but posted from another site.
    evil = {**form, "Cookie": cookie, "Origin": "http://evil.example"}
    assert http(mon.base + "/diagnose", data=with_token, headers=evil)[0] == 403
    assert http(mon.base + "/explain", data=b"text=550", headers=form)[0] == 403
    # DNS rebinding: a page whose name now points at 127.0.0.1 is not served.
    assert http(mon.base + "/", headers={"Host": "evil.example"})[0] == 403
    # State changes only by POST.
    assert http(mon.base + "/diagnose?name=x")[0] == 405
    status, headers, _ = http(
        mon.base + "/diagnose", data=with_token, headers={**form, "Cookie": cookie}
    )
    assert status == 303
    assert headers["location"].startswith("/target?name=")


def test_non_loopback_without_token_refuses_to_start(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text('[monitor]\nlisten = ""\n[web]\nlisten = "0.0.0.0:8025"\n')
    result = run_cli("monitor", "--config", str(config), "--store", str(tmp_path / "h.db"))
    assert result.status == 3
    assert "needs a token" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_guards_a_non_loopback_dashboard(tmp_path: Path) -> None:
    require_netns()
    token = "t0ken-" + "x" * 30
    with topology() as topo:
        # The monitor listens on the server namespace's veth address; the client
        # namespace reaches it through the router, as another machine would.
        mon = MonitorProcess(tmp_path, [], None, web=f"{SERVER}:8025", token=token,
                             popen=topo.server.popen)  # fmt: skip
        with mon:
            url = f"http://{SERVER}:8025"
            status, headers, body = topo.client.call(lambda: http(url + "/"))
            assert status == 401
            assert b"token" in body
            assert headers["www-authenticate"].startswith("Bearer")
            assert topo.client.call(lambda: http(url + "/api/overview"))[0] == 401
            post = topo.client.call(lambda: http(url + "/diagnose", data=b"name=x"))
            assert post[0] == 401
            wrong = {"Authorization": "Bearer nope"}
            assert topo.client.call(lambda: http(url + "/", headers=wrong))[0] == 401
            right = {"Authorization": f"Bearer {token}"}
            assert topo.client.call(lambda: http(url + "/", headers=right))[0] == 200
            # ?token= once: a cookie, and the token gone from the URL.
            status, headers, _ = topo.client.call(lambda: http(url + f"/alerts?token={token}"))
            assert status == 303
            assert headers["location"] == "/alerts"
            cookie = headers["set-cookie"].split(";", 1)[0]
            assert (
                topo.client.call(lambda: http(url + "/alerts", headers={"Cookie": cookie}))[0]
                == 200
            )
