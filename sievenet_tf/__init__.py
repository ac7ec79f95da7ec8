"""sievenet-tf: SieveNet virtual try-on in TensorFlow / Keras 3."""

__version__ = "0.1.0"

# Loaded on first use so that `import sievenet_tf` stays cheap (no TensorFlow import).
_LAZY = {"TryOn": "sievenet_tf.inference", "TryOnResult": "sievenet_tf.inference"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sievenet_tf' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
