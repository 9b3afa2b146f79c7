"""What the child changes in Keras before learner code runs.

``keras.datasets.{mnist,fashion_mnist}.load_data()`` read the tutor's offline data, and ``Model.fit``
reports its epochs to :mod:`~hnml_tutor.sandbox.fit_progress`. A warm parent installs these once before
forking, so its children inherit them; a cold child installs them itself when the learner's file mentions
Keras. Neither changes what the learner's code gets back.
"""

from __future__ import annotations

import functools
import inspect
import sys
from pathlib import Path

from hnml_tutor.sandbox import fit_progress
from hnml_tutor.tensorflow_logs import quiet_start_up

_installed = False
_progress_folder: Path | None = None


def install() -> None:
    """Import Keras and apply every hook, once per process (a forked child inherits its parent's)."""
    global _installed
    if not _installed:
        quiet_start_up()  # the import is the tutor's work: its log lines are not the learner's output
        install_offline_datasets()
        _report_fit_progress()
        _installed = True


def installed() -> bool:
    """Whether this process has imported Keras and applied the hooks (a warm parent does it on demand)."""
    return _installed


def report_progress_to(folder: Path) -> None:
    """Where this process's ``fit`` calls write their progress: the job folder (set per job, after a fork)."""
    global _progress_folder
    _progress_folder = folder


def _write_progress(epoch: int, epochs) -> None:
    if _progress_folder is None or type(epochs) is not int:
        return
    try:
        fit_progress.write(_progress_folder, epoch, epochs)
    except OSError:
        pass  # a progress display is never worth failing the learner's training


def _report_fit_progress() -> None:
    """Make every ``fit`` report its epochs, without changing its History or what it returns.

    ``fit`` gets one more callback, on a new list: the learner's own ``callbacks`` list is not touched. A
    call that does not bind to ``fit``'s signature goes through unchanged, to fail as it would have.
    """
    import keras

    class ReportProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            _write_progress(0, self.params.get("epochs"))

        def on_epoch_end(self, epoch, logs=None):
            _write_progress(epoch + 1, self.params.get("epochs"))

    original = keras.Model.fit
    signature = inspect.signature(original)

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            return original(self, *args, **kwargs)
        callbacks = bound.arguments.get("callbacks")
        if callbacks is None or isinstance(callbacks, (list, tuple)):
            bound.arguments["callbacks"] = [*(callbacks or ()), ReportProgress()]
        return original(*bound.args, **bound.kwargs)

    keras.Model.fit = fit


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
