"""Benchmark an export: latency per format and thread count, per network, the warp alone.

    python export/benchmark.py EXPORT_DIR [--run RUN_DIR] [--threads 1,2] [--repeats 20]
        [--profile] [--conv-ceiling] [--random-run PRESET]

See docs/export.md. All logic lives in sievenet_tf.export.benchmark.
"""

import sys

from sievenet_tf.export.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
