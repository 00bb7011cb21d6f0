"""cli/startimports.py: a cold diagnose finds its modules from the last run's table, the same files.

Each case runs in fresh interpreters writing their bytecode (and so the table)
under a temporary ``-X pycache_prefix``, as cold commands one after the other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PATH = "import smtpdoctor.cli.main, smtpdoctor.cli.diagnose, smtpdoctor.doctor.usecase"

# Imports what IMPORTS says, saves; prints which modules the table's finder
# answered for and whether each module's spec is what the path finder gives.
RUN = """\
import json, os, sys
from smtpdoctor.cli import startimports
startimports.preload(json.loads(os.environ["ARGS"]))
finder = next((f for f in sys.meta_path if type(f).__name__ == "_Finder"), None)
answered = []
if finder is not None:
    real_find = finder.find_spec
    def find_spec(name, path=None, target=None):
        spec = real_find(name, path, target)
        if spec is not None:
            answered.append(name)
        return spec
    finder.find_spec = find_spec
exec(os.environ["IMPORTS"])
if os.environ.get("INVALIDATE"):
    import importlib
    importlib.invalidate_caches()
    import fractions
from importlib.machinery import PathFinder
def shape(spec):
    return [spec.name, spec.origin, spec.submodule_search_locations, type(spec.loader).__name__,
            spec.cached, spec.parent, spec.has_location]
same = True
for name in answered:
    spec = sys.modules[name].__spec__
    parent = name.rpartition(".")[0]
    path = sys.modules[parent].__path__ if parent else None
    same = same and shape(spec) == shape(PathFinder.find_spec(name, path))
startimports.save()
print(json.dumps({"installed": finder is not None, "answered": answered, "same": same,
                  "colorsys": getattr(sys.modules.get("colorsys"), "__file__", None),
                  "features": startimports.dns_features()}))
"""


def _run(
    tmp: Path, args: list[str], imports: str, *, path: str = "", **env: str
) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if path:
        environ["PYTHONPATH"] = os.pathsep.join(
            [path, *sys.path[1:2], environ.get("PYTHONPATH", "")]
        )
    environ.update(ARGS=json.dumps(args), IMPORTS=imports, **env)
    proc = subprocess.run(
        [sys.executable, "-X", f"pycache_prefix={tmp / 'cache'}", "-c", RUN],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return doc


def _tables(tmp: Path) -> list[Path]:
    return sorted(tmp.rglob("startimports.*.marshal"))


def test_a_second_run_finds_the_paths_modules_from_the_table_as_the_path_finder_would(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path, ["diagnose", "x"], PATH)
    assert first["installed"] is False
    tag = sys.implementation.cache_tag
    assert [p.name for p in _tables(tmp_path)] == [f"startimports.diagnose.{tag}.marshal"]
    second = _run(tmp_path, ["diagnose", "x"], PATH)
    assert second["installed"] is True
    answered = set(second["answered"])  # type: ignore[arg-type]
    # The standard library's modules and the package's own, extensions included.
    assert {"argparse", "asyncio.base_events", "selectors", "_ssl"} <= answered
    assert {"smtpdoctor.cli.diagnose", "smtpdoctor.doctor.usecase"} <= answered
    assert len(answered) >= 100
    assert second["same"] is True


def test_a_file_added_on_the_path_is_found_not_the_tables(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    first = _run(tmp_path, ["diagnose", "x"], "import colorsys", path=str(shadow))
    stdlib = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(first["colorsys"]).endswith(os.path.join(stdlib, "colorsys.py"))
    assert _run(tmp_path, ["diagnose", "x"], "import colorsys", path=str(shadow))["installed"]
    (shadow / "colorsys.py").write_text("SHADOW = True\n")
    doc = _run(tmp_path, ["diagnose", "x"], "import colorsys", path=str(shadow))
    assert doc["installed"] is False  # the directory changed: the table is not taken
    assert doc["colorsys"] == str(shadow / "colorsys.py")


def test_another_path_other_commands_and_no_bytecode_take_or_write_nothing(
    tmp_path: Path,
) -> None:
    _run(tmp_path, ["queue", "status"], "import colorsys")  # (a command with no table)
    _run(tmp_path, ["diagnose", "x"], "import colorsys", PYTHONDONTWRITEBYTECODE="1")
    assert _tables(tmp_path) == []
    _run(tmp_path, ["diagnose", "x"], "import colorsys")
    other = tmp_path / "other"
    other.mkdir()
    assert (
        _run(tmp_path, ["diagnose", "x"], "import colorsys", path=str(other))["installed"] is False
    )


def test_invalidate_caches_stops_the_table(tmp_path: Path) -> None:
    _run(tmp_path, ["diagnose", "x"], "import colorsys, fractions")
    doc = _run(tmp_path, ["diagnose", "x"], "import colorsys", INVALIDATE="1")
    answered = doc["answered"]
    assert isinstance(answered, list)
    assert "colorsys" in answered
    assert "fractions" not in answered  # after invalidate_caches: the path finder


def test_runs_with_two_paths_in_turn_each_keep_their_table(tmp_path: Path) -> None:
    # python -m smtpdoctor (the directory it runs in first on sys.path) and the
    # console script (its own directory) in turn: neither throws the other's away.
    other = tmp_path / "other"
    other.mkdir()
    for path in ("", str(other)):
        assert _run(tmp_path, ["diagnose", "x"], "import colorsys", path=path)["installed"] is False
    for path in ("", str(other), ""):
        assert _run(tmp_path, ["diagnose", "x"], "import colorsys", path=path)["installed"] is True


def test_a_namespace_packages_modules_are_left_to_the_path_finder(tmp_path: Path) -> None:
    # Its portions' directories are not the table's to check: none of it is kept.
    portion = tmp_path / "portion"
    (portion / "nsprobe" / "pkg").mkdir(parents=True)
    (portion / "nsprobe" / "pkg" / "__init__.py").write_text("")
    (portion / "nsprobe" / "pkg" / "mod.py").write_text("X = 1\n")
    imports = "import colorsys, nsprobe.pkg.mod"
    _run(tmp_path, ["diagnose", "x"], imports, path=str(portion))
    doc = _run(tmp_path, ["diagnose", "x"], imports, path=str(portion))
    answered = doc["answered"]
    assert isinstance(answered, list)
    assert "colorsys" in answered
    assert not [name for name in answered if name.startswith("nsprobe")]


def test_dnspythons_feature_answers_are_kept_with_the_paths_table(tmp_path: Path) -> None:
    import dns._features
    import dns.version

    from smtpdoctor.probe.dnsfeatures import FEATURES

    assert _run(tmp_path, ["diagnose", "x"], "import colorsys")["features"] is None
    # A run that loaded dnspython adds its answers (it found modules the table lacked).
    assert _run(tmp_path, ["diagnose", "x"], "import dns.resolver")["features"] is None
    doc = _run(tmp_path, ["diagnose", "x"], "import colorsys")
    assert doc["installed"] is True
    expected = {name: dns._features.have(name) for name in FEATURES}
    assert doc["features"] == [dns.version.version, expected]
    # A run that loads no module the table lacks leaves them as they are.
    assert _run(tmp_path, ["diagnose", "x"], "import colorsys")["features"] == doc["features"]
