"""The paper's ablation on the synthetic data: ``python training/ablation.py --out runs/ablation``.

Thin entry point; the logic lives in :mod:`sievenet_tf.ablation`.
"""

import sys

from sievenet_tf.ablation import main

if __name__ == "__main__":
    sys.exit(main())
