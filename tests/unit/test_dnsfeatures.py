"""probe/dnsfeatures.py: dnspython loads with the offered feature answers, no importlib.metadata.

Each case runs in a fresh interpreter: which modules a first import of
dnspython loads is the point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from smtpdoctor.probe.dnsfeatures import FEATURES

SCRIPT = """\
import json, os, sys
from smtpdoctor.probe import dnsfeatures
offered = json.loads(os.environ["OFFER"])
if offered is not None:
    dnsfeatures.offer(*offered)
dnsfeatures.prepare()
import dns.resolver, dns.asyncresolver, dns.query
loaded = "importlib.metadata._meta" in sys.modules
import dns._features
answers = {name: dns._features.have(name) for name in json.loads(os.environ["ASK"])}
print(json.dumps({"metadata": loaded, "answers": answers,
                  "after": "importlib.metadata._meta" in sys.modules,
                  "kept": dnsfeatures.answers()}))
"""


def _run(offer: object, ask: tuple[str, ...] = FEATURES) -> dict[str, object]:
    env = dict(os.environ, OFFER=json.dumps(offer), ASK=json.dumps(ask))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


@pytest.fixture(scope="module")
def real() -> dict[str, object]:
    """What dnspython answers by itself, through importlib.metadata."""
    doc = _run(None)
    assert doc["metadata"] is True
    return doc


def test_the_offered_answers_are_dnspythons_and_importlib_metadata_stays_unloaded(
    real: dict[str, object],
) -> None:
    import dns.version

    kept = real["kept"]
    assert kept == [dns.version.version, real["answers"]]
    doc = _run(kept)
    assert doc["metadata"] is False
    assert doc["after"] is False
    assert doc["answers"] == real["answers"]
    assert doc["kept"] == kept


def test_a_feature_not_offered_is_answered_by_dnspythons_own_check(
    real: dict[str, object],
) -> None:
    kept = real["kept"]
    assert isinstance(kept, list)
    version, answers = kept
    loading = {name: answers[name] for name in ("idna", "doh", "doq")}  # asked as it loads
    doc = _run([version, loading], ask=("idna", "trio"))
    assert doc["metadata"] is False
    assert doc["after"] is True  # trio was not: importlib.metadata loaded to answer it
    assert doc["answers"] == {"idna": answers["idna"], "trio": answers["trio"]}


def test_answers_kept_for_another_dnspython_are_not_used(real: dict[str, object]) -> None:
    kept = real["kept"]
    assert isinstance(kept, list)
    flipped = {name: not value for name, value in kept[1].items()}
    doc = _run(["0.0.0-other", flipped])
    assert doc["metadata"] is True
    assert doc["answers"] == real["answers"]
