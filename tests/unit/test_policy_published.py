"""A domain's report skips the transport-policy rules (and their imports) when
nothing is published for them to judge (doctor/report.py ``policy_published``):
this checks that the rules do find nothing then, whatever the hosts showed and
whatever the MTA-STS and TLS-RPT records say, and that anything they could
judge counts as published."""

from __future__ import annotations

import itertools

from smtpdoctor.diagnosis.policy_rules import MxTransport, policy_findings
from smtpdoctor.doctor.report import policy_published
from smtpdoctor.evidence.dns import (
    LookupStatus,
    MtaStsRecordResult,
    TlsaRecord,
    TlsaResult,
    TlsRptResult,
)

DOMAIN = "example.test"

HOSTS = [
    MxTransport("mx1.example.test", "192.0.2.1", starttls_offered=True, tls_version="TLSv1.3"),
    MxTransport("mx2.example.test", "192.0.2.2", starttls_offered=False),
    MxTransport("mx3.example.test", "192.0.2.3", reached=False, delivers=False),
    MxTransport("mx4.example.test", "192.0.2.4", starttls_offered=True, tls_version="TLSv1"),
]

STS_RECORDS = [
    None,
    MtaStsRecordResult(DOMAIN, f"_mta-sts.{DOMAIN}.", LookupStatus.NXDOMAIN),
    MtaStsRecordResult(
        DOMAIN, f"_mta-sts.{DOMAIN}.", LookupStatus.OK, ("v=STSv1; id=1",), ("v=STSv1; id=1",), "1"
    ),
    MtaStsRecordResult(
        DOMAIN,
        f"_mta-sts.{DOMAIN}.",
        LookupStatus.OK,
        records=("v=STSv1; id=a", "v=STSv1; id=b"),
        problems=("two records",),
    ),
    MtaStsRecordResult(DOMAIN, f"_mta-sts.{DOMAIN}.", LookupStatus.SERVFAIL),
]

TLSRPT = [
    None,
    TlsRptResult(DOMAIN, f"_smtp._tls.{DOMAIN}.", LookupStatus.NXDOMAIN),
    TlsRptResult(
        DOMAIN,
        f"_smtp._tls.{DOMAIN}.",
        LookupStatus.OK,
        records=("v=TLSRPTv1; rua=mailto:r@example.test",),
        rua=("mailto:r@example.test",),
    ),
]


def _tlsa(host: str, status: LookupStatus, *records: TlsaRecord) -> TlsaResult:
    return TlsaResult(host, 25, f"_25._tcp.{host}.", status, records)


def test_nothing_published_nothing_found() -> None:
    """No MTA-STS policy fetched and no TLSA record: no policy finding, for any
    hosts, any MTA-STS or TLS-RPT record, and TLSA lookups however they ended."""
    unpublished = [
        (),
        tuple(_tlsa(h.name, status) for h, status in zip(HOSTS, LookupStatus, strict=False)),
    ]
    for record, tlsrpt, tlsa, n in itertools.product(
        STS_RECORDS, TLSRPT, unpublished, range(len(HOSTS) + 1)
    ):
        assert not policy_published(None, tlsa)
        hosts = HOSTS[:n]
        found = policy_findings(
            DOMAIN,
            mta_sts=record,
            policy=None,
            tlsa=tlsa,
            hosts=hosts,
            mx_names=[h.name for h in HOSTS],
            tlsrpt=tlsrpt,
        )
        assert found == []


def test_anything_to_judge_is_published() -> None:
    record = TlsaRecord(3, 1, 1, "00" * 32)
    assert policy_published(None, [_tlsa("mx1.example.test", LookupStatus.OK, record)])
    assert policy_published(object(), [])
