"""Grading on Gradescope: the autograder zip (``hnml-tutor gradescope-bundle``) and what runs inside it.

Gradescope builds an image from the zip by running ``setup.sh`` once, then runs ``run_autograder`` for
every submission, with the learner's files in ``/autograder/submission`` and the results expected in
``/autograder/results/results.json``. The zip carries everything that image needs and cannot download at
grading time: hnml-tutor's own source, the data sets (as IDX files, verified on load), the instructor's
hidden tests and the grading settings. Inside, grading is exactly ``hnml-tutor grade`` for one learner.

The zip also pins the exact versions of hnml-tutor's dependencies installed where it was built
(``constraints.txt``), so Gradescope grades with the libraries the instructor tried. ``setup.sh`` makes
the container ready for isolation: an unprivileged ``hnml-learner`` user for learner code, bubblewrap when
the image can install it, and the autograder's source, the installed package and the cache closed to
everyone but root (who runs ``run_autograder``).

A run that fails as a whole (no data, the grader could not start, every exercise a grader fault) is not
a grade: Gradescope's results.json has no failure field, and a ``score`` of 0 would be recorded as the
learner's. So such a run writes a results.json with only an ``output`` explaining what broke (no
``score``, no ``tests``: not a valid result, which Gradescope reports as "The autograder failed to execute
correctly") and ``run_autograder`` exits non-zero, with the same explanation on stdout for the instructor.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from hnml_tutor import __version__, datasets
from hnml_tutor.backend import backend_distributions, chosen_backend, require_backend
from hnml_tutor.atomic import write_text_atomic
from hnml_tutor.classroom import integrity
from hnml_tutor.classroom.gradebook import results_json
from hnml_tutor.classroom.run import ClassGrading, GradeSettings
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.defaults import DEFAULT_MEMORY_MB, DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.resources import exercises_dir, solutions_dir

CONFIG_NAME = "hnml-grade.json"
SOURCE_DIR = "hnml-tutor"
CONSTRAINTS_NAME = "constraints.txt"
LEARNER_USER = "hnml-learner"
LEARNER = "submission"
EXECUTABLE = 0o100755 << 16
REGULAR = 0o100644 << 16

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (internet available here).
# It installs Python >= 3.11 if the image lacks it, hnml-tutor from the source in this zip, and then
# decodes the data and trains the reference model once, so no submission waits for that.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PYTHON="$candidate"; break
    fi
done
if [ -z "$PYTHON" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$(basename "$PYTHON")-venv" || \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
fi
"$PYTHON" -m venv "$ROOT/hnml-venv"
"$ROOT/hnml-venv/bin/pip" install --quiet --upgrade pip
# The exact versions of hnml-tutor's dependencies the instructor built this zip with.
"$ROOT/hnml-venv/bin/pip" install --quiet -c "$ROOT/source/constraints.txt" "$ROOT/source/hnml-tutor"
mkdir -p "$ROOT/hnml-cache"
HNML_TUTOR_DATA="$ROOT/source/data" HNML_TUTOR_CACHE="$ROOT/hnml-cache" \
    "$ROOT/hnml-venv/bin/hnml-tutor" gradescope-run --prepare --config "$ROOT/source/hnml-grade.json"

# Isolation. Learner code runs as an unprivileged user (run_autograder itself stays root), inside bubblewrap
# where the container allows it; that user must not read the autograder's source and hidden tests, the
# installed grader or the cache. The venv's other packages stay readable: learner code imports them.
if ! id -u hnml-learner >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hnml-learner
fi
if ! { apt-get update >/dev/null 2>&1 && \
       DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap >/dev/null 2>&1; }; then
    echo "hnml-tutor: bubblewrap could not be installed; learner code will run as hnml-learner without namespaces."
fi
PACKAGE_DIR="$("$ROOT/hnml-venv/bin/python" -c 'import hnml_tutor, os; print(os.path.dirname(hnml_tutor.__file__))')"
chmod -R go-rwx "$ROOT/source" "$ROOT/hnml-cache" "$PACKAGE_DIR"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and HNML_TUTOR_PYTHON only exist so the
# script can be tried outside Gradescope (hnml-tutor's own tests run it against a fake /autograder).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${HNML_TUTOR_PYTHON:-$ROOT/hnml-venv/bin/python}"
export HNML_TUTOR_DATA="$ROOT/source/data" HNML_TUTOR_CACHE="$ROOT/hnml-cache"
mkdir -p "$ROOT/results"
chmod go-w "$ROOT/results" 2>/dev/null || true  # results.json is written by root alone, after learner code has ended
cd "$ROOT"
"$PYTHON" -m hnml_tutor gradescope-run "$ROOT/submission" --results "$ROOT/results/results.json" \
    --config "$ROOT/source/hnml-grade.json"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # No score: a 0 would be recorded as the learner's grade. Without one Gradescope reports a failed autograder.
    printf '{"output": "The autograder could not run (exit code %s), so this submission was not graded. Please tell your instructor.", "extra_data": {"autograder_failed": true}}\n' \
        "$status" > "$ROOT/results/results.json"
    echo "hnml-tutor gradescope-run wrote no results.json (exit code $status)."
    if [ "$status" -eq 0 ]; then status=1; fi
fi
exit "$status"
"""


def _dependencies() -> list[str]:
    """hnml-tutor's own runtime requirements, as installed (extras left out), and the Keras backend installed
    here: hnml-tutor names none itself (pyproject.toml says why), and the autograder needs the one it was
    built and tried with."""
    try:
        requirements = importlib.metadata.requires("hnml-tutor") or []
    except importlib.metadata.PackageNotFoundError:
        raise TutorError("hnml-tutor is not installed as a package, so its requirements are unknown.",
                         "Install it (`pip install -e .` in a clone) and run gradescope-bundle again.") from None
    return ([r for r in requirements if "extra ==" not in r.replace("extra==", "extra ==")]
            + backend_distributions())


def pinned_dependencies() -> tuple[list[str], list[str]]:
    """``name==version`` for every package in the closure of hnml-tutor's requirements as installed here
    (each requirement, then theirs, with the extras asked for; markers evaluated for this machine), and
    the requirements that apply here but are not installed (left unpinned). Not the whole environment:
    a build venv's tools have no business in the autograder."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pending = [(Requirement(text), "") for text in _dependencies()]
    pins: dict[str, str] = {}
    extras_done: dict[str, set[str]] = {}
    absent: set[str] = set()
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        wanted = {canonicalize_name(e) for e in requirement.extras}
        if name in extras_done and wanted <= extras_done[name]:
            continue
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            absent.add(str(requirement))
            continue
        extras_done.setdefault(name, set()).update(wanted)
        pins[name] = distribution.version
        for text in distribution.requires or []:
            for chosen in ("", *sorted(wanted)):
                pending.append((Requirement(text), chosen))
    return [f"{name}=={pins[name]}" for name in sorted(pins)], sorted(absent)


def _constraints() -> str:
    pins, absent = pinned_dependencies()
    lines = [f"# hnml-tutor {__version__}'s dependencies exactly as installed where this autograder was built",
             f"# (Python {platform.python_version()}, {platform.system()} {platform.machine()}); setup.sh installs with",
             "# `pip install -c constraints.txt` so Gradescope grades with the same libraries."]
    lines += [f"# not installed there, so left unpinned: {text}" for text in absent]
    return "\n".join(lines + pins) + "\n"


def _pyproject(packages: list[str]) -> str:
    dependencies = "\n".join(f"    {json.dumps(r)}," for r in _dependencies())
    package_list = ", ".join(json.dumps(p) for p in packages)
    return (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "hnml-tutor"\nversion = "{__version__}"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{dependencies}\n]\n\n"
        '[project.scripts]\nhnml-tutor = "hnml_tutor.cli:main"\n\n'
        f"[tool.setuptools]\npackages = [{package_list}]\n\n"
        '[tool.setuptools.package-data]\n"*" = ["*.toml", "*.ini"]\n'
    )


def _source_files() -> dict[str, Path]:
    """hnml-tutor's installed source, laid out as one importable package tree (works for clones and wheels)."""
    package = Path(__file__).resolve().parents[1]
    files: dict[str, Path] = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (not path.is_file() or "__pycache__" in relative.parts or relative.parts[0] in ("exercises", "solutions")
                or path.suffix not in (".py", ".toml", ".ini")):
            continue
        files[f"hnml_tutor/{relative.as_posix()}"] = path
    for name, folder in (("exercises", exercises_dir()), ("solutions", solutions_dir())):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in (".py", ".toml"):
                files[f"hnml_tutor/{name}/{path.name}"] = path
    return files


def _packages(files: dict[str, Path]) -> list[str]:
    return sorted({Path(name).parent.as_posix().replace("/", ".") for name in files if name.endswith("/__init__.py")})


def _add(zipped: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed dates: the same zip for the same input
    info.external_attr = EXECUTABLE if executable else REGULAR
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".gz") else zipfile.ZIP_DEFLATED
    zipped.writestr(info, data)


def write_bundle(target: Path, settings: GradeSettings, *, include_data: bool = True) -> list[str]:
    """Write the autograder zip to ``target``; returns the names it holds."""
    from hnml_tutor.classroom.hidden import collect_hidden_tests

    target = Path(target)
    if any(not e.numpy_only for e in settings.exercises):
        require_backend()  # the autograder installs the backend installed here
    hidden = collect_hidden_tests(settings.tests_dir, load_curriculum())  # broken hidden tests fail here, not on Gradescope
    config = {
        "exercises": [e.id for e in settings.exercises],
        "timeout": settings.timeout,
        "memory_mb": settings.memory_mb,
        "seed": settings.seed,
        "workers": settings.workers,
        "hidden_tests": "hidden_tests" if hidden.files else None,
        "keras_backend": chosen_backend()[0],
    }
    files = _source_files()
    staging = Path(tempfile.mkdtemp(prefix="hnml-bundle-"))
    try:
        partial = staging / target.name
        with zipfile.ZipFile(partial, "w") as zipped:
            _add(zipped, "setup.sh", SETUP_SH.encode(), executable=True)
            _add(zipped, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            _add(zipped, CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode())
            _add(zipped, CONSTRAINTS_NAME, _constraints().encode())
            _add(zipped, f"{SOURCE_DIR}/pyproject.toml", _pyproject(_packages(files)).encode())
            for name, path in files.items():
                _add(zipped, f"{SOURCE_DIR}/{name}", path.read_bytes())
            for paths in hidden.files.values():
                for path in paths:
                    _add(zipped, f"hidden_tests/{path.name}", path.read_bytes())
            if include_data:
                for name in sorted({e.dataset for e in settings.exercises if e.needs_data}):
                    for path in datasets.write_idx_folder(name, staging / "data" / name):
                        _add(zipped, f"data/{name}/{path.name}", path.read_bytes())
            names = zipped.namelist()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(partial), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names


def _settings_from(config_path: Path) -> GradeSettings:
    """The grading settings the bundle was built with; Keras is set to the backend it was built with, too
    (before anything imports Keras), since that is the one setup.sh installed."""
    try:
        config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TutorError(f"The grading settings {config_path} could not be read ({error}).",
                         "Rebuild the autograder zip with `hnml-tutor gradescope-bundle`.") from None
    os.environ.setdefault("KERAS_BACKEND", str(config.get("keras_backend") or "tensorflow"))
    hidden = config.get("hidden_tests")
    return GradeSettings(
        exercises=load_curriculum().select(",".join(config["exercises"])),
        workers=int(config.get("workers") or os.cpu_count() or 1),
        timeout=config.get("timeout"),
        memory_mb=int(config.get("memory_mb", DEFAULT_MEMORY_MB)),
        tests_dir=Path(config_path).parent / hidden if hidden else None,
        seed=int(config.get("seed", DEFAULT_SEED)),
    )


def prepare(config_path: Path) -> None:
    """At image build time: decode the data and build every cached reference artefact once, into the cache."""
    from hnml_tutor import reference

    for name in sorted({e.dataset for e in _settings_from(config_path).exercises if e.needs_data}):
        datasets.load_arrays(name)
    reference.prepare()


def _failure_results(problem: str, fix: str) -> str:
    """results.json for a run that failed as a whole: what broke, and deliberately no score (see the top)."""
    return json.dumps({"output": f"{problem}\n\n{fix}".strip(), "extra_data": {"autograder_failed": True}},
                      indent=2) + "\n"


NOT_GRADED_FIX = "Your work was not graded and no score was recorded. Please tell your instructor."


def grade_submission(submission: Path, results: Path, config_path: Path) -> str | None:
    """Grade Gradescope's one submission folder into ``results`` (always written, whatever happens).

    Returns None when the learner was graded, or what broke when the run failed as a whole; results.json
    then holds that explanation and no score."""
    started = time.monotonic()
    out = Path(tempfile.mkdtemp(prefix="hnml-gradescope-"))
    try:
        settings = _settings_from(config_path)
        with integrity.throwaway_key(out / "grading.key"):
            result = ClassGrading(Path(submission), out / "grades", settings).run_single(LEARNER)
        outcomes = [result.outcomes[LEARNER][e] for e in result.exercise_ids if e in result.outcomes.get(LEARNER, {})]
        if outcomes and all(outcome.grader_error for outcome in outcomes):
            ids = ", ".join(o.exercise_id for o in outcomes)
            write_text_atomic(results, _failure_results(  # the errors may name hidden tests: stdout only
                f"The autograder itself failed on every exercise ({ids}), so nothing here says anything about "
                "your code.", NOT_GRADED_FIX))
            return "The grader failed on every exercise:\n" + "\n".join(f"- {o.exercise_id}: {o.grader_error}"
                                                                        for o in outcomes)
        write_text_atomic(results, results_json(outcomes, execution_time=time.monotonic() - started))
        return None
    except TutorError as error:
        write_text_atomic(results, _failure_results(f"The autograder could not run: {error.problem}",
                                                    f"{NOT_GRADED_FIX}\n(For the instructor: {error.fix})"))
        return error.problem
    except Exception as error:  # Gradescope shows results.json; an empty one would hide what went wrong
        write_text_atomic(results, _failure_results(f"The autograder failed: {type(error).__name__}: {error}",
                                                    NOT_GRADED_FIX))
        raise
    finally:
        shutil.rmtree(out, ignore_errors=True)
