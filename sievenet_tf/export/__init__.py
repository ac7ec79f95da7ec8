"""Export to SavedModel and LiteRT, the model contract, parity and benchmarks (see docs/export.md)."""
