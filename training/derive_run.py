"""A new run sharing a trained run's earlier stages, with config overrides.

``python training/derive_run.py SOURCE DESTINATION --keep warp,segmentation --set texture.composite_within_warp=true``
then ``python training/train.py --out DESTINATION --resume --stage texture``: the
switch measured at equal budget, the kept stages' weights shared.
"""

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs

# isort: on
import argparse
import sys

from sievenet_tf.run import derive_run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="derive_run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("--keep", required=True, help="comma-separated stages to share (e.g. warp,segmentation)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = parser.parse_args(argv)

    def derive(log):
        run = derive_run(args.source, args.destination, args.keep.split(","), args.set)
        log(f"wrote {run.directory} (kept {args.keep}); train the rest with: python training/train.py "
            f"--out {run.directory} --resume --stage all")
        return 0

    return run_main("derive_run.py", derive)


if __name__ == "__main__":
    sys.exit(main())
