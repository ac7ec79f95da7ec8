"""Subprocess harness: train or export, and SIGKILL itself in the middle of a write.

    kill_harness.py train RUN_DIR checkpoint|log|none   warp stage, 6 steps
    kill_harness.py export ROOT export|none              export ROOT/run -> ROOT/export
    kill_harness.py tryon ROOT none                      one try-on with ROOT/export

"checkpoint": killed after the data files of the step-4 checkpoint are written
but before it is recorded; "log": killed after half of step 5's log record;
"export": killed after the fp32 ``.tflite`` is half written.
"""

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _kill():
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def train(run_dir, moment):
    import tensorflow as tf

    from sievenet_tf.config import get_preset, override
    from sievenet_tf.data.source import ArrayDataSource
    from sievenet_tf.training import trainer as trainer_lib
    from tests.training.run_trainer import random_examples

    config = override(get_preset("tiny"), [
        "train.batch_size=4", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=2", "train.warp_steps=6",
    ])
    if moment == "checkpoint":
        save = tf.train.CheckpointManager.save

        def save_then_die(self, checkpoint_number=None, **kwargs):
            if checkpoint_number == 4:
                # TF writes the data and index files, then the "checkpoint" state file.
                self._checkpoint.write(os.path.join(self.directory, "ckpt-4"))
                _kill()
            return save(self, checkpoint_number=checkpoint_number, **kwargs)

        tf.train.CheckpointManager.save = save_then_die
    if moment == "log":
        write = os.write

        def write_then_die(descriptor, data):
            if b'"step": 5,' in data:
                write(descriptor, data[: len(data) // 2])
                _kill()
            return write(descriptor, data)

        trainer_lib.os.write = write_then_die
    data = ArrayDataSource(random_examples(config, 8, 1), random_examples(config, 4, 2))
    trainer = trainer_lib.Trainer(config, run_dir, data, resume=os.path.isdir(run_dir),
                                  log=lambda line: print(line, file=sys.stderr, flush=True))
    trainer.train(["warp", "segmentation", "texture"] if moment == "full" else ["warp"])


def export(root, moment):
    from sievenet_tf.export import exporter, tflite
    from tests.export.helpers import make_data, make_run

    run = os.path.join(root, "run")
    data = os.path.join(root, "data")
    if not os.path.isdir(run):
        make_run(run)
        make_data(data, num_train=2, num_test=2)
    if moment == "export":
        original = tflite.export_tflite

        def half_then_die(model, out_path, quantization, **kwargs):
            with open(out_path, "wb") as f:
                f.write(b"TFL3" + b"\0" * 1000)
            _kill()
            return original(model, out_path, quantization, **kwargs)

        exporter.tflite_lib.export_tflite = half_then_die
    report = exporter.export_run(run, os.path.join(root, "export"), ["fp32"], calibration_data=data,
                                 num_calibration=2, num_parity=2, log=lambda line: None)
    return 0 if report["passed"] else 1


def tryon(root):
    from sievenet_tf import TryOn

    data = os.path.join(root, "data", "test")
    result = TryOn(os.path.join(root, "export", "sievenet_fp32.tflite"))(
        os.path.join(data, "image", "000000_0.jpg"), os.path.join(data, "image-parse", "000000_0.png"),
        os.path.join(data, "pose", "000000_0_keypoints.json"), os.path.join(data, "cloth", "000001_1.jpg"),
        os.path.join(data, "cloth-mask", "000001_1.jpg"),
    )
    assert result.tryon.shape == (64, 48, 3)
    return 0


if __name__ == "__main__":
    command, path, moment = sys.argv[1:4]
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    if command == "train":
        train(path, moment)
        sys.exit(0)
    sys.exit(export(path, moment) if command == "export" else tryon(path))
