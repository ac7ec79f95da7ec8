"""Examples/second of the folder and TFRecord readers (and, with --model, of a
SieveNet forward+backward pass) on this machine.

    python training/benchmark_data.py ../shared/datasets/viton_sample --model

Same as ``sievenet-data benchmark``; the logic is in ``sievenet_tf.data.cli.benchmark``.
"""

import sys

from sievenet_tf.data.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
