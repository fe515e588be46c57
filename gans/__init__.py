"""GAN training suite: the engine in ``gans.core``, one thin package per dataset."""

import os
import sys


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (oneDNN, CUDA probing) silenced.

    TF 2.21 prints them to file descriptor 2 at import whatever ``TF_CPP_MIN_LOG_LEVEL``
    says, burying one-line errors. Python exceptions are unaffected (they print after the
    descriptor is restored). ``GANS_TF_VERBOSE=1`` keeps the lines.
    """
    if "tensorflow" in sys.modules or os.environ.get("GANS_TF_VERBOSE"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, 2)
        import tensorflow

        # Probe the devices now, silenced too: on machines without a GPU the CUDA probe
        # logs an error line. The runtime itself is not started (logical devices can
        # still be configured afterwards).
        tensorflow.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
