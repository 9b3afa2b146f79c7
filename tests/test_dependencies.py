"""The package's dependencies, as pip resolves them: one TensorFlow, whichever one the learner already has.

Colab and conda environments ship the `tensorflow` distribution; a venv made for the CPU-only build has
`tensorflow-cpu`. They are different distributions that write the same `tensorflow/` folder, so a
requirement naming the other one would make pip install a second TensorFlow over the first. These tests
ask pip itself (a dry run, offline) what installing hnml-tutor would add to such an environment.

The environment is a fresh venv holding a `tensorflow` (or `tensorflow-cpu`) distribution's metadata, as
an installed TensorFlow has, and seeing every other package of the test environment through a `.pth` file:
every package except the test environment's own TensorFlow and hnml-tutor itself, so pip's answer depends
only on what this project requires.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "README.md", "hnml_tutor", "exercises", "solutions")
TENSORFLOW_BUILDS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos", "tf-nightly")


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _is_tensorflow_or_tutor(entry: str) -> bool:
    """A site-packages entry that belongs to an installed TensorFlow build or to hnml-tutor."""
    stem = _normal(entry.split(".dist-info")[0].split(".egg-info")[0].rsplit("-", 1)[0] if "-info" in entry else entry)
    return (stem in TENSORFLOW_BUILDS or stem.startswith(("tensorflow", "hnml-tutor", "hnml_tutor"))
            or entry.startswith(("__editable__", "tensorflow")))


def _copy_project(target: Path) -> Path:
    """The files pip needs to build the project's metadata, away from the checkout (the build writes there)."""
    target.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target / name)
    return target


def _environment_with(tmp_path: Path, installed: str) -> Path:
    """A venv whose only TensorFlow is the distribution ``installed`` (metadata only); returns its python."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    dist_info = site / f"{installed.replace('-', '_')}-2.21.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {installed}\nVersion: 2.21.0\n")
    (dist_info / "INSTALLER").write_text("pip\n")
    (dist_info / "RECORD").write_text("")
    visible = tmp_path / "visible-packages"
    visible.mkdir()
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in os.listdir(ours):
        if not _is_tensorflow_or_tutor(entry) and not entry.endswith(".pth"):
            (visible / entry).symlink_to(ours / entry)
    (site / "test-environment.pth").write_text(f"{visible}\n")
    return python


def _planned_installs(python: Path, requirements: list[str], report: Path) -> list[str]:
    """What pip would install for ``requirements`` in that environment, offline (no index)."""
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check", "--report", str(report), *requirements],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    if done.returncode != 0:  # pip names what it could not find: what it wanted to add
        return [f"(pip failed) {done.stderr.strip()[-600:]}"]
    return [_normal(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]]


@pytest.mark.parametrize("installed, extras", [
    ("tensorflow", ["", "[tensorflow]"]),  # Colab, conda, a venv with `pip install tensorflow`
    ("tensorflow-cpu", ["", "[cpu]"]),  # a Linux or Windows venv with the CPU-only build
])
def test_installing_next_to_a_tensorflow_adds_no_second_one(tmp_path, installed, extras):
    if sys.platform != "linux" or sysconfig.get_platform() != "linux-x86_64":
        pytest.skip("the `cpu` extra's markers are exercised for Linux on x86-64, where the tests run")
    python = _environment_with(tmp_path, installed)
    project = _copy_project(tmp_path / "project")
    planned = _planned_installs(python, [f"{project}{extra}" for extra in extras], tmp_path / "report.json")
    assert planned == ["hnml-tutor"], f"installing hnml-tutor{extras} next to {installed} would add: {planned}"


def test_the_metadata_declares_platforms_and_backend_extras():
    info = metadata.metadata("hnml-tutor")
    classifiers = info.get_all("Classifier") or []
    for system in ("Operating System :: POSIX :: Linux", "Operating System :: MacOS",
                   "Operating System :: Microsoft :: Windows"):
        assert system in classifiers
    assert {"tensorflow", "cpu", "jax", "dev"} <= set(info.get_all("Provides-Extra") or [])
    required = [line for line in info.get_all("Requires-Dist") or [] if "extra ==" not in line]
    assert not [line for line in required if _normal(line).startswith(("tensorflow", "tf-", "jax"))], required
