"""sievenet-tf: SieveNet virtual try-on in TensorFlow / Keras 3."""

__version__ = "0.1.0"
