"""What the tutor knows about MNIST and Fashion-MNIST without loading them: names, files, checksums, places.

Standard library only, so ``hnml-tutor data`` can say where each data set is without importing NumPy, and
:mod:`hnml_tutor.datasets` (which decodes them) and :mod:`hnml_tutor.keras_install` (which copies them where
Keras looks) agree on every file name and folder. The places are listed in the order of DESIGN.md
principle 6; a relative ``HNML_TUTOR_DATA`` is made absolute once, when the tutor starts
(:mod:`hnml_tutor.data_folder`), so here it is taken as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.errors import TutorError

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

CHECKSUMS = {  # SHA-256 of each decoded uint8 array's bytes, as published with the data (../shared/data)
    "mnist": {
        "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    "fashion-mnist": {
        "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    },
}

SHAPES = {  # both data sets: 60,000 training and 10,000 test images of 28×28 pixels
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}

# The SHA-256 Keras checks ``mnist.npz`` against (keras/src/datasets/mnist.py): the bytes of the file Google
# hosts. Any other file of that name, even one holding the same arrays, is deleted and downloaded again.
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
KERAS_MNIST_NPZ = "mnist.npz"
# Fashion-MNIST's four files, which Keras (keras/src/datasets/fashion_mnist.py) reads gzipped and unchecked.
KERAS_FASHION_FOLDER = "fashion-mnist"

DEBIAN_DIR = Path("/usr/share/datasets")


def canonical_name(name: str) -> str:
    """'mnist' or 'fashion-mnist', whichever spelling the caller used (fashion_mnist, Fashion-MNIST…)."""
    key = name.lower().replace("_", "-")
    if key not in CHECKSUMS:
        raise TutorError(f"Unknown data set '{name}'.", "Use 'mnist' or 'fashion-mnist'.")
    return key


def keras_cache_dir() -> Path:
    """Where the tutor looks for Keras' cached files: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(home).expanduser() / "datasets"


def keras_download_dir() -> Path:
    """Where the learner's own ``keras.datasets.*.load_data()`` looks for its files, by Keras' exact rule.

    Keras' home is ``KERAS_HOME`` when that is set (even to ""), else ``~/.keras``, or ``/tmp/.keras`` when the
    home folder is not writable (``keras/src/backend/config.py``); its downloader then uses
    ``/tmp/.keras`` instead whenever that home is not a writable folder (``get_file`` in
    ``keras/src/utils/file_utils.py``). Keras creates its home when it is imported, so a home that does not
    exist yet but can be created counts as the home.
    """
    if "KERAS_HOME" in os.environ:
        home = os.path.expanduser(os.environ["KERAS_HOME"])
    else:
        user_home = os.path.expanduser("~")
        home = os.path.join(user_home if os.access(user_home, os.W_OK) else "/tmp", ".keras")
    if not home or not _writable_or_creatable(Path(home)):
        home = "/tmp/.keras"
    return Path(home) / "datasets"


def _writable_or_creatable(folder: Path) -> bool:
    if folder.exists():
        return folder.is_dir() and os.access(folder, os.W_OK)
    parent = next((p for p in folder.parents if p.exists()), None)
    return parent is not None and parent.is_dir() and os.access(parent, os.W_OK)


def idx_folder_files(folder: Path) -> dict[str, Path] | None:
    """The four IDX files in ``folder`` (``.gz`` preferred, else plain), or None when any is missing."""
    found = {}
    for key, stem in IDX_FILES.items():
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found


@dataclass(frozen=True)
class Place:
    """One place a data set may be: a folder of four IDX files, or a Keras ``mnist.npz``."""

    description: str
    path: Path

    @property
    def is_npz(self) -> bool:
        return self.path.suffix == ".npz"

    def present(self) -> bool:
        """Whether the files are there (not whether they hold the right data: that is checked on loading)."""
        if self.is_npz:
            return self.path.is_file()
        return self.path.is_dir() and idx_folder_files(self.path) is not None


def data_file_names() -> list[str]:
    """Every file name, relative to a data folder, that the tutor may read there: each data set's four IDX
    files in its own folder (gzipped or not) and Keras' ``mnist.npz``; what a sandbox may be shown of one."""
    names = [f"{folder}/{stem}{suffix}" for folder in CHECKSUMS for stem in IDX_FILES.values()
             for suffix in (".gz", "")]
    return [*names, KERAS_MNIST_NPZ]


def places(name: str) -> list[Place]:
    """Every local place data set ``name`` may be, in the order the tutor tries them."""
    name = canonical_name(name)
    found: list[Place] = []
    explicit = os.environ.get("HNML_TUTOR_DATA")
    if explicit:
        root = Path(explicit).expanduser()
        found.append(Place("HNML_TUTOR_DATA", root / name))
        if name == "mnist":
            found.append(Place("HNML_TUTOR_DATA", root / KERAS_MNIST_NPZ))
    keras_dir = keras_cache_dir()
    found.append(Place("Keras' cache", keras_dir / (KERAS_MNIST_NPZ if name == "mnist" else KERAS_FASHION_FOLDER)))
    found.append(Place("Debian's dataset package", DEBIAN_DIR / name))
    return found
