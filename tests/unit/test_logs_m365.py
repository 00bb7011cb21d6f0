"""Microsoft 365 message trace exports beyond the plain ``Get-MessageTrace`` CSV:
Windows PowerShell's ``#TYPE`` line, the statuses that are not a delivery
(Quarantined, FilteredAsSpam: the receiving tenant's filters), the Reporting Web
Service's JSON records, and ``Get-MessageTraceDetail``'s events with the reply
their detail carries. Each file's expectation was written from the file before
the reader was."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.logs import (
    DeliveryEvent,
    Options,
    detect_format,
    expand_inputs,
    plan_chunks,
    run_local,
)
from smtpdoctor.model import Category, Stage

DATA = Path(__file__).parents[1] / "data" / "logs"


def _events(path: Path) -> list[DeliveryEvent]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    got: list[DeliveryEvent] = []
    agg = run_local(plan_chunks(sources, Options(), 1), Options(), sink=got.append)
    assert agg.unparsed == 0
    return got


def test_the_three_are_told_as_message_traces() -> None:
    for name in ("m365-trace-type-line.csv", "m365-trace-detail.csv"):
        assert detect_format((DATA / name).read_bytes()) == "m365-trace", name
    json_lines = DATA / "public" / "elastic-m365-message-trace-json.log"
    assert detect_format(json_lines.read_bytes()) == "m365-trace"


def test_type_line_and_every_status() -> None:
    got = _events(DATA / "m365-trace-type-line.csv")
    assert [(e.status.value, e.recipient) for e in got] == [
        ("sent", "alice@fabrikam.example"),
        ("deferred", "carol@slow.example"),
        ("bounced", "nobody@fabrikam.example"),
        ("other", "bob@contoso.com"),  # FilteredAsSpam
        ("other", "bob@contoso.com"),  # Quarantined
    ]  # Expanded and GettingStatus: no outcome yet
    assert [e.category for e in got[3:]] == [Category.POLICY_REJECTION] * 2
    # "3/1/2024 1:06:01 PM", taken as UTC as the trace is.
    assert got[2].time == 1709298361.0
    assert got[0].queue_id == "6d1a0b7e-0000-4000-8000-000000000011"


def test_detail_events_carry_their_reply() -> None:
    got = _events(DATA / "m365-trace-detail.csv")
    assert [e.status.value for e in got] == ["deferred", "sent", "bounced", "sent"]
    deferred, _, failed, _ = got
    assert deferred.text.startswith("451 4.4.0 Primary target IP address responded with")
    assert deferred.category is Category.RATE_LIMITED
    assert failed.text.startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound")
    assert (failed.category, failed.stage) == (Category.RECIPIENT, Stage.RCPT_TO)
    assert failed.queue_id == "6d1a0b7e-0000-4000-8000-000000000022"


def test_reporting_web_service_records() -> None:
    got = _events(DATA / "public" / "elastic-m365-message-trace-json.log")
    assert [(e.status.value, e.recipient, e.relay_ip) for e in got] == [
        ("sent", "linus@contoso.com", None),
        ("sent", "linus@contoso.com", None),
    ]
    assert got[0].queue_id == "a5e6dc0f-23df-4b20-d240-08dab38944a1"


def test_json_documents_printed_over_several_lines(tmp_path: Path) -> None:
    """Trace records as an API's JSON document gives them, pretty-printed: a Graph
    ``{"value": [...]}`` page (camelCase names, ``receivedDateTime``), an OData
    ``{"d": {"results": [...]}}`` page with ``/Date(ms)/`` times, a bare array."""
    graph = tmp_path / "graph.json"
    graph.write_text(
        '{\n  "@odata.context": "https://graph.microsoft.com/beta/$metadata#x",\n'
        '  "value": [\n    {\n      "id": "m1",\n      "recipientAddress": "a@x.example",\n'
        '      "receivedDateTime": "2025-06-13T10:30:00Z",\n      "status": "Failed"\n    },\n'
        '    {\n      "id": "m2",\n      "recipientAddress": "b@x.example",\n'
        '      "receivedDateTime": "2025-06-13T10:31:00Z",\n      "status": "Delivered"\n'
        "    }\n  ]\n}\n"
    )
    odata = tmp_path / "odata.json"
    odata.write_text(
        '{"d": {"results": [\n {"RecipientAddress": "c@y.example", "Status": "Pending",\n'
        '  "Received": "/Date(1658751973240)/", "MessageTraceId": "t1"}\n]}}\n'
    )
    array = tmp_path / "array.json"
    array.write_text('[\n {"RecipientAddress": "d@z.example", "Status": "Delivered"}\n]\n')
    for path in (graph, odata, array):
        assert detect_format(path.read_bytes()) == "m365-trace", path.name
    got = _events(graph)
    assert [(e.status.value, e.recipient, e.queue_id) for e in got] == [
        ("bounced", "a@x.example", "m1"),
        ("sent", "b@x.example", "m2"),
    ]
    assert got[0].time == 1749810600.0
    (pending,) = _events(odata)
    assert (pending.status.value, pending.time) == ("deferred", 1658751973.24)
    assert [e.status.value for e in _events(array)] == ["sent"]


def test_a_json_document_cut_before_its_end_gives_no_record(tmp_path: Path) -> None:
    """Its records are read when its brackets close; a file cut before they do
    (a copy stopped short) gives none of them, rather than half a document's."""
    cut = tmp_path / "cut.json"
    cut.write_text('[\n {"RecipientAddress": "d@z.example", "Status": "Delivered"},\n')
    sources, _ = expand_inputs([str(cut)])
    agg = run_local(plan_chunks(sources, Options(), 1), Options())
    assert agg.status["sent"] == 0
