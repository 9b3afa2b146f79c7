"""What the child changes in Keras before learner code runs (imported only where Keras is wanted).

``keras.datasets.{mnist,fashion_mnist}.load_data()`` read the tutor's offline data. A warm parent
installs this once before forking, so its children inherit it; a cold child installs it itself.
"""

from __future__ import annotations

import sys

_installed = False


def install() -> None:
    """Import Keras and apply every hook, once per process (a forked child inherits its parent's)."""
    global _installed
    if not _installed:
        install_offline_datasets()
        _installed = True


def install_offline_datasets() -> None:
    """Make ``keras.datasets.{mnist,fashion_mnist}.load_data()`` read the tutor's local data.

    Keras insists on downloading ``mnist.npz`` unless its SHA-256 matches the file Google hosts, which
    no local copy can promise. The learner's canonical call is therefore answered from the tutor's data
    sources, returning exactly what Keras would (uint8 arrays, the same split).
    """
    import keras

    from hnml_tutor import datasets

    def offline_loader(name):
        def load_data(path=None):
            arrays = datasets.load_arrays(name)
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])

        load_data.__doc__ = f"{name} from the tutor's offline data (same arrays as Keras' download)."
        return load_data

    for public_module, name in ((keras.datasets.mnist, "mnist"), (keras.datasets.fashion_mnist, "fashion-mnist")):
        original = public_module.load_data
        replacement = offline_loader(name)
        for module in list(sys.modules.values()):
            if getattr(module, "load_data", None) is original:
                module.load_data = replacement
        source_module = sys.modules.get(original.__module__)
        if source_module is not None:
            source_module.load_data = replacement
