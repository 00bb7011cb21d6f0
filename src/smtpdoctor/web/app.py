"""The dashboard as an ASGI app (Starlette): pages, a small JSON API, static files.

:func:`create_app` takes a :class:`Dashboard`: the store to read (through
``store.views``), and, inside the monitor, ``diagnose_now``, the monitor's own
probe of one configured target through its scheduler (per-IP rule, backoff),
awaited in the monitor's event loop. A "diagnose now" is a job: the POST
answers at once (303 to the target page, or JSON for the page's script), the
page's script asks ``/api/job/ID`` until it is done. One job per target runs
at a time, and a target probed on demand less than ``manual_gap`` seconds ago
gets that result again rather than another connection.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from smtpdoctor.report.html import CSS, e
from smtpdoctor.store import StoreError
from smtpdoctor.web import pages
from smtpdoctor.web.security import SecurityMiddleware, csrf_ok

if TYPE_CHECKING:
    from smtpdoctor.store import Store

__all__ = ["Dashboard", "DiagnoseNow", "Job", "create_app"]

# The monitor's probe of one configured target; None: not a target it watches.
DiagnoseNow = Callable[[str], Awaitable[dict[str, Any] | None]]
MAX_FORM = 64 * 1024  # bytes of a POST body read; the explain box caps its text there
MAX_JOBS = 200


@dataclass
class Job:
    id: str
    target: str
    started: float
    finished: float | None = None
    status: str = "running"  # running | done | error
    verdict: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "verdict": self.verdict,
            "error": self.error,
        }


@dataclass
class Dashboard:
    store: Store
    diagnose_now: DiagnoseNow | None = None
    # The running monitor's targets (diagnose now takes these; the overview lists
    # those not probed yet). None: no monitor, the store's targets only.
    targets: Callable[[], Collection[str]] | None = None
    token: str | None = None
    allowed_hosts: frozenset[str] = frozenset()  # Host names served besides loopback ones
    refresh: float = 5.0  # how often the pages' script asks for news (0: never)
    manual_gap: float = 10.0
    clock: Callable[[], float] = time.time
    jobs: dict[str, Job] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def start_job(self, target: str) -> Job:
        now = self.clock()
        for job in self.jobs.values():
            recent = job.finished is not None and now - job.finished < self.manual_gap
            if job.target == target and (job.status == "running" or recent):
                return job
        job = Job(secrets.token_urlsafe(12), target, now)
        while len(self.jobs) >= MAX_JOBS:
            self.jobs.pop(next(iter(self.jobs)))
        self.jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: Job) -> None:
        assert self.diagnose_now is not None
        try:
            doc = await self.diagnose_now(job.target)
        except Exception as exc:  # shown to the user, the dashboard goes on
            job.status, job.error = "error", f"{type(exc).__name__}: {exc}"[:300]
        else:
            if doc is None:
                job.status, job.error = "error", "the probe could not run (see the monitor's log)"
            else:
                job.status, job.verdict = "done", dict(doc.get("verdict") or {})
        job.finished = self.clock()


def _range(request: Request, default: str = "24h") -> tuple[str, float]:
    chosen = request.query_params.get("range", default)
    if chosen not in pages.RANGES:
        chosen = default
    return chosen, pages.RANGES[chosen]


def _html(
    request: Request, title: str, body: str, active: str = "", status: int = 200
) -> HTMLResponse:
    d: Dashboard = request.app.state.dashboard
    csrf = request.scope["state"]["csrf"]
    page = pages.frame(title, body, csrf=csrf, active=active, refresh=d.refresh)
    return HTMLResponse(page, status_code=status)


async def overview(request: Request) -> Response:
    from smtpdoctor.store import views  # noqa: PLC0415 - the web extra's start-up stays small

    d: Dashboard = request.app.state.dashboard
    now = d.clock()
    rows = await run_in_threadpool(views.overview, d.store, now)
    seen = {r.target for r in rows}
    waiting = sorted(t for t in (d.targets() if d.targets else ()) if t not in seen)
    return _html(request, "Overview", pages.overview_page(rows, now, waiting), "/")


async def target(request: Request) -> Response:
    from smtpdoctor.store import views  # noqa: PLC0415

    d: Dashboard = request.app.state.dashboard
    name = request.query_params.get("name", "")
    chosen, span = _range(request)
    now = d.clock()
    detail = await run_in_threadpool(views.target_detail, d.store, name, now, now - span)
    if detail.current is None and detail.latest is None:
        body = f"<h1>No history for {e(name)}</h1>"
        return _html(request, "Unknown target", body, status=404)
    if request.query_params.get("part") == "latest":
        return HTMLResponse(pages.latest_section(detail))
    csrf = request.scope["state"]["csrf"]
    body = pages.target_page(
        detail,
        now,
        now - span,
        chosen,
        csrf,
        can_probe=d.diagnose_now is not None and (d.targets is None or name in d.targets()),
    )
    return _html(request, name, body)


async def flow(request: Request) -> Response:
    from smtpdoctor.store import views  # noqa: PLC0415

    d: Dashboard = request.app.state.dashboard
    chosen, span = _range(request)
    now = d.clock()
    dest = request.query_params.get("destination") or None
    view = await run_in_threadpool(views.flow, d.store, now - span, now, 48, dest)
    return _html(request, "Mail flow", pages.flow_page(view, chosen), "/flow")


async def alerts(request: Request) -> Response:
    from smtpdoctor.store import views  # noqa: PLC0415

    d: Dashboard = request.app.state.dashboard
    view = await run_in_threadpool(views.alerts_view, d.store)
    return _html(request, "Alerts", pages.alerts_page(view), "/alerts")


async def _form(request: Request) -> dict[str, str] | None:
    """The url-encoded body (at most MAX_FORM bytes), or None if it is anything else."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in ("application/x-www-form-urlencoded", ""):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def _guarded(request: Request) -> dict[str, str] | Response:
    form = await _form(request)
    if form is None:
        return Response("400: a url-encoded form of at most 64 KiB\n", 400)
    if not csrf_ok(request.scope, form.get("csrf")):
        return Response("403: missing or wrong CSRF token\n", 403, media_type="text/plain")
    return form


async def explain(request: Request) -> Response:
    text, result = "", None
    if request.method == "POST":
        form = await _guarded(request)
        if isinstance(form, Response):
            return form
        text = form.get("text", "").strip()
        if text:
            from smtpdoctor.diagnosis.classifier import classify  # noqa: PLC0415

            result = await run_in_threadpool(classify, text[:MAX_FORM])
    csrf = request.scope["state"]["csrf"]
    return _html(request, "Explain", pages.explain_page(text, csrf, result), "/explain")


async def diagnose(request: Request) -> Response:
    form = await _guarded(request)
    if isinstance(form, Response):
        return form
    d: Dashboard = request.app.state.dashboard
    name = form.get("name", "")
    if d.diagnose_now is None:
        return Response("409: diagnose now needs the running monitor\n", 409)
    job = d.start_job(name)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(job.to_json(), status_code=202)
    return RedirectResponse(pages.target_url(name), status_code=303)


async def api_job(request: Request) -> Response:
    d: Dashboard = request.app.state.dashboard
    job = d.jobs.get(request.path_params["id"])
    if job is None:
        return JSONResponse({"error": "no such job"}, status_code=404)
    return JSONResponse(job.to_json())


async def api_overview(request: Request) -> Response:
    from smtpdoctor.store import views  # noqa: PLC0415

    d: Dashboard = request.app.state.dashboard
    now = d.clock()
    rows = await run_in_threadpool(views.overview, d.store, now)
    doc = {"time": now, "targets": views.to_json(rows)}
    return Response(json.dumps(doc), media_type="application/json")


def _static(name: str) -> bytes:
    return resources.files("smtpdoctor.web").joinpath("static", name).read_bytes()


async def style(request: Request) -> Response:
    # The reports' style sheet first: one look for the reports and the dashboard.
    body = CSS.encode() + _static("dashboard.css")
    return Response(body, media_type="text/css")


async def script(request: Request) -> Response:
    return Response(_static("dashboard.js"), media_type="text/javascript")


async def not_found(request: Request, exc: Exception) -> Response:
    return Response("404: not here\n", 404, media_type="text/plain")


async def store_down(request: Request, exc: Exception) -> Response:
    # The monitor buffers its writes meanwhile; the page says so instead of a 500.
    body = (
        "<h1>The history store is not answering</h1>"
        f'<p>{e(exc)}</p><p class="muted">The monitor keeps probing and buffers what it '
        "finds; this page works again once the store is back.</p>"
    )
    return _html(request, "Store unavailable", body, status=503)


def create_app(dashboard: Dashboard) -> SecurityMiddleware:
    """The dashboard app, wrapped in its guards (token, CSRF cookie, headers)."""
    app = Starlette(
        routes=[
            Route("/", overview),
            Route("/target", target),
            Route("/flow", flow),
            Route("/alerts", alerts),
            Route("/explain", explain, methods=["GET", "POST"]),
            Route("/diagnose", diagnose, methods=["POST"]),
            Route("/api/overview", api_overview),
            Route("/api/job/{id}", api_job),
            Route("/static/style.css", style),
            Route("/static/dashboard.js", script),
        ],
        exception_handlers={404: not_found, StoreError: store_down},
    )
    app.state.dashboard = dashboard
    return SecurityMiddleware(app, dashboard.token, dashboard.allowed_hosts)
