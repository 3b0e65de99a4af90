"""A plain `pip install .` ships everything: the built wheel holds every scenario and runs from another folder."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"   # a clean copy: a stale build/ folder in the checkout must not fill gaps
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "results",
                                                                "__pycache__", ".ci"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, text=True)
    (path,) = out.glob("bonegrid-*.whl")
    return path


def test_the_wheel_holds_every_scenario_file(wheel):
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".toml")}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "bonegrid" / "scenarios").rglob("*.toml")}
    assert on_disk and on_disk <= shipped, sorted(on_disk - shipped)


def test_the_installed_package_lists_and_runs_treated_scenarios_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}   # the wheel's files, not the checkout's (cwd is elsewhere)

    def bonegrid(*args):
        return subprocess.run([sys.executable, "-c", "import sys; from bonegrid.cli import main; sys.exit(main())",
                               *args], cwd=elsewhere, env=env, capture_output=True, text=True)

    where = bonegrid("scenarios")
    assert where.returncode == 0, where.stderr
    for path in (ROOT / "bonegrid" / "scenarios").rglob("*.toml"):
        assert f"  {path.stem} " in where.stdout, path.stem
    run = bonegrid("run", "postmenopausal_denosumab", "--grid", "32", "--years", "1.05", "--set", "burn_in_days=10",
                   "--out", "out")
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "out" / "timeseries.csv").is_file()
    probe = subprocess.run([sys.executable, "-c", "import bonegrid; print(bonegrid.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(site))
