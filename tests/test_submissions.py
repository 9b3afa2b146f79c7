"""Reading what learners hand in: names, where the exercises are, and zips that try to escape or explode."""

from __future__ import annotations

import zipfile

import pytest

from classroom_helpers import make_workspace, solution, zip_folder
from hnml_tutor.classroom import submissions as subs


@pytest.mark.parametrize("entry, expected", [
    ("alice", "alice"), ("Ana López.zip", "Ana_López"), ("../../etc", "etc"), ("...zip", "learner"),
    ("bob (1).ZIP", "bob_1"),
])
def test_learner_names_are_safe_file_names(tmp_path, entry, expected):
    assert subs.learner_name(tmp_path / entry) == expected


@pytest.mark.parametrize("layout", ["workspace", "zipped-folder", "files-only"])
def test_exercises_are_found_however_the_zip_was_made(tmp_path, layout):
    workspace = make_workspace(tmp_path / "ws", {"02": solution("02")})
    if layout == "workspace":
        archive = zip_folder(workspace, tmp_path / "a.zip")
    elif layout == "zipped-folder":
        archive = zip_folder(workspace, tmp_path / "a.zip", prefix="hnml-workspace/")
    else:
        archive = zip_folder(workspace / "exercises", tmp_path / "a.zip")
    (tmp_path / "class").mkdir()
    archive.rename(tmp_path / "class" / "ana.zip")
    learners, skipped = subs.discover(tmp_path / "class", tmp_path / "unpacked")
    assert skipped == [] and learners[0].problem is None
    assert dict(learners[0].files)["02_preprocess.py"] == solution("02").encode()


def test_unsafe_members_are_left_out(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("exercises/02_preprocess.py", "x = 1\n")
        zipped.writestr("../outside.py", "escaped")
        zipped.writestr("/abs.py", "escaped")
        link = zipfile.ZipInfo("exercises/link.py")
        link.external_attr = 0o120777 << 16
        zipped.writestr(link, "/etc/passwd")
    target = tmp_path / "unpacked"
    target.mkdir()
    assert subs.unpack_zip(archive, target) is None
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == ["exercises/02_preprocess.py"]
    assert not (tmp_path / "outside.py").exists()


def test_a_zip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(subs, "MAX_TOTAL_BYTES", 3 * 1024 * 1024)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for n in range(5):
            zipped.writestr(f"exercises/junk{n}.bin", b"\0" * (1024 * 1024))
    target = tmp_path / "unpacked"
    target.mkdir()
    assert "unpacks to more than 3 MiB" in subs.unpack_zip(archive, target)


def test_resume_fingerprint_covers_the_exercise_and_its_helpers_only():
    files = (("02_preprocess.py", b"a"), ("03_build.py", b"b"), ("helpers.py", b"c"))
    base = subs.digest_files(files, "02_preprocess.py")
    assert subs.digest_files((files[0], (files[1][0], b"changed"), files[2]), "02_preprocess.py") == base
    assert subs.digest_files((files[0], files[1], (files[2][0], b"changed")), "02_preprocess.py") != base
    assert subs.digest_files(((files[0][0], b"changed"), files[1], files[2]), "02_preprocess.py") != base
