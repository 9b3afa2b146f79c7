"""The registry behind :mod:`hnml_tutor.reference`: providers by name, made once per process or per machine.

A provider is a function registered with :func:`provider`. A cheap one (a freshly built model, scaled
images) is called at most once per process. An expensive one (a trained model) also names a ``build``
function: that runs once per machine, seeded, into a folder of the tutor's cache, and the provider then
loads what it wrote. The folder's name carries the provider's version, the Keras version and a digest of
the curriculum's providers and solutions, so a change to any of them builds afresh instead of reusing a
stale model. The folder is sealed when built (a manifest of each file's SHA-256, see
:mod:`hnml_tutor.cache`) and checked on every :func:`get`: a file changed, added or removed, or a manifest
edited to match, makes the entry be built again before anything reads it.

The curriculum's providers live in ``references.py`` of its graders folder, imported on first use, so an
exercise that needs a new artefact registers it there and no engine module changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from hnml_tutor.cache import cache_dir, discard, note_rebuild, seal_folder, seal_problem
from hnml_tutor.locks import exclusive


class UnknownReference(LookupError):
    """A grader asked for a reference artefact nobody provides: a bug in the curriculum, not the learner's."""


@dataclass(frozen=True)
class Provider:
    name: str
    make: Callable[..., Any]
    build: Callable[[Path], None] | None
    version: str
    fresh: bool


_PROVIDERS: dict[str, Provider] = {}
_MADE: dict[str, Any] = {}
_LOADED_MODULES: dict[Path, ModuleType] = {}


def provider(name: str, *, build: Callable[[Path], None] | None = None, version: str = "1", fresh: bool = False):
    """Register the decorated function as the provider of ``name``.

    Without ``build`` the function takes no arguments and returns the artefact. With ``build``,
    ``build(folder)`` writes the artefact's files once per machine and the function is called with that
    folder to load them. ``fresh`` providers make a new object on every request (a model the caller
    will change, such as one it compiles), the others once per process.
    """

    def register(make: Callable[..., Any]) -> Callable[..., Any]:
        known = _PROVIDERS.get(name)
        if known is not None and known.make.__qualname__ != make.__qualname__:
            raise ValueError(f"two providers are registered as {name!r}")
        _PROVIDERS[name] = Provider(name, make, build, version, fresh)
        return make

    return register


def _curriculum_module(path: Path) -> ModuleType | None:
    """Import a file of the curriculum (its providers, its solutions) once, under a name of its own."""
    path = path.resolve()
    if path in _LOADED_MODULES:
        return _LOADED_MODULES[path]
    if not path.is_file():
        return None
    module_name = "hnml_curriculum_" + re.sub(r"\W", "_", str(path))
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    _LOADED_MODULES[path] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del _LOADED_MODULES[path], sys.modules[module_name]
        raise
    return module


def _register_curriculum_providers() -> None:
    from hnml_tutor.curriculum import load_curriculum

    _curriculum_module(load_curriculum().graders_dir / "references.py")


def _provider(name: str) -> Provider:
    _register_curriculum_providers()
    try:
        return _PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(_PROVIDERS)) or "none"
        raise UnknownReference(f"no reference artefact is called {name!r} (known: {known})") from None


def _sources_digest() -> str:
    """Changes when the curriculum's providers or any reference solution change: a model trained by an
    older solution is then trained again instead of silently reused."""
    from hnml_tutor.curriculum import load_curriculum

    curriculum = load_curriculum()
    digest = hashlib.sha256()
    for path in sorted([curriculum.graders_dir / "references.py", *(e.solution_path for e in curriculum.exercises)]):
        try:
            digest.update(path.name.encode() + path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def _folder_name(found: Provider) -> str:
    try:
        keras_version = metadata.version("keras")
    except metadata.PackageNotFoundError:
        keras_version = "none"
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", found.name)
    return f"{name}-v{found.version}-keras{keras_version}-{_sources_digest()}"


def _built_folder(found: Provider) -> Path:
    """The provider's folder in the cache, verified against its seal; built first (one builder at a time)
    if this machine has none, and built again if it is not exactly what was sealed."""
    root = cache_dir() / "reference"
    root.mkdir(parents=True, exist_ok=True)
    folder = root / _folder_name(found)
    if seal_problem(folder, folder.name) is None:
        return folder
    with exclusive(root / ".lock"):  # the others wait, then reuse what the first one built
        problem = seal_problem(folder, folder.name)
        if problem is None:
            return folder
        if os.path.lexists(folder):
            note_rebuild(f"reference/{folder.name}", problem)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
        try:
            found.build(staging)
            seal_folder(staging, folder.name)
            discard(folder)  # a damaged entry, or a half-built folder from an interrupted run
            staging.replace(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def get(name: str) -> Any:
    """The artefact registered as ``name``, made (or built and cached) on first use in this process.

    A cached artefact's folder is verified on every request, even when this process made the artefact
    before: what was made keeps what it read in memory, but files it names (a model the child loads) are
    read again later, so they must still be the ones that were sealed.
    """
    if name in _MADE and _PROVIDERS[name].build is None:
        return _MADE[name]
    found = _provider(name)
    folder = _built_folder(found) if found.build else None
    if name in _MADE:
        return _MADE[name]
    made = found.make(folder) if found.build else found.make()
    if not found.fresh:
        _MADE[name] = made
    return made


def cached_names() -> list[str]:
    """Names of the providers that build something expensive once per machine."""
    _register_curriculum_providers()
    return sorted(name for name, found in _PROVIDERS.items() if found.build is not None)


def prepare(names: list[str] | None = None) -> list[str]:
    """Build the cached artefacts now (all of them by default), e.g. while a Gradescope image is built."""
    chosen = cached_names() if names is None else names
    for name in chosen:
        _built_folder(_provider(name))
    return chosen


def solution(query: str) -> ModuleType:
    """The curriculum's reference solution of an exercise, imported once (by any id the curriculum accepts)."""
    from hnml_tutor.curriculum import load_curriculum

    module = _curriculum_module(load_curriculum().resolve(query).solution_path)
    if module is None:
        raise UnknownReference(f"the reference solution of exercise {query} is missing")
    return module
