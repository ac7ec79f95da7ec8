"""Examples/second of the folder and TFRecord readers (and, with --model, of a
SieveNet forward+backward pass) on this machine.

    python training/benchmark_data.py ../shared/datasets/viton_sample --model

The logic is in ``sievenet_tf.training.benchmark_data``; ``sievenet-data
benchmark ROOT`` times the readers alone.
"""

import sys

from sievenet_tf.training.benchmark_data import main

if __name__ == "__main__":
    sys.exit(main())
