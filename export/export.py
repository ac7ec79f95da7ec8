"""Export a trained SieveNet run: SavedModel + LiteRT (fp32, fp16, dynamic, int8).

    python export/export.py --run RUN_DIR --out EXPORT_DIR \
        [--formats saved_model,fp32,fp16,dynamic,int8] [--calibration-data ROOT] [--num-calibration N]

See docs/export.md. All logic lives in sievenet_tf.export.
"""

import sys

from sievenet_tf.export.cli import main

if __name__ == "__main__":
    sys.exit(main())
