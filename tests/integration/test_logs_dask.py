"""``--engine dask`` gives the same report as the local engine on the same input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_dask, run_local

pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")

DATA = Path(__file__).parents[1] / "data" / "logs"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Several files of different formats, one big enough to be split."""
    folder = tmp_path_factory.mktemp("dask-logs")
    big = folder / "big.log"
    lab = (DATA / "postfix-lab.log").read_bytes()
    with big.open("wb") as fh:
        for _ in range(30):
            fh.write(lab)
    return [
        str(big),
        str(DATA / "exim_mainlog"),
        str(DATA / "sendmail.log"),
        str(DATA / "exchange-tracking.log"),
        str(DATA / "m365-trace.csv"),
    ]


def test_dask_and_local_engines_agree(inputs: list[str]) -> None:
    sources, errors = expand_inputs(inputs)
    assert not errors
    options = Options()
    chunks = plan_chunks(sources, options, 2, split_at=1, part_size=100_000)
    assert len(chunks) > len(inputs)  # the big file was split
    local = build_report(run_local(chunks, options, jobs=1), top=50)
    # Worker processes, as the CLI runs them (on loopback only).
    distributed = build_report(run_dask(chunks, options, workers=2), top=50)
    assert distributed == local
    assert local["totals"]["attempts"] > 1000
    assert {i["format"] for i in local["inputs"]} == {
        "postfix",
        "exim",
        "sendmail",
        "exchange-tracking",
        "m365-trace",
    }


def test_cli_engine_dask(inputs: list[str]) -> None:
    local = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "logs", *inputs[1:], "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dasked = subprocess.run(
        [
            sys.executable,
            "-m",
            "smtpdoctor",
            "logs",
            *inputs[1:],
            "--format",
            "json",
            "--engine",
            "dask",
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dasked.returncode == local.returncode == 2, dasked.stderr
    assert json.loads(dasked.stdout) == json.loads(local.stdout)


def test_dask_refuses_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    from smtpdoctor.logs import EngineUnavailable

    sources, _ = expand_inputs(["-"])
    with pytest.raises(EngineUnavailable, match="standard input"):
        run_dask(plan_chunks(sources, Options(), 1), Options())
