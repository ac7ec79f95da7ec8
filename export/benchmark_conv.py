"""int8 conv throughput of this machine on a model's own conv shapes (the conv ceiling).

    python export/benchmark_conv.py --preset viton_256x192 [--threads 1,2] [--out ceiling.json]

See docs/export.md. All logic lives in sievenet_tf.export.conv_ceiling.
"""

import sys

from sievenet_tf.export.conv_ceiling import main

if __name__ == "__main__":
    sys.exit(main())
