"""Learning-rate schedules."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="sievenet_tf")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant ``learning_rate`` for ``constant_steps``, then linear decay to 0
    at ``total_steps`` (the pix2pix / CP-VTON schedule, here actually applied).

    Args:
        learning_rate: initial rate.
        total_steps: steps of the stage.
        constant_steps: steps before the decay starts.
    """

    def __init__(self, learning_rate: float, total_steps: int, constant_steps: int):
        if total_steps < 0 or not 0 <= constant_steps <= total_steps:
            raise ValueError(
                f"need 0 <= constant_steps <= total_steps, got "
                f"constant_steps={constant_steps}, total_steps={total_steps}"
            )
        self.learning_rate = float(learning_rate)
        self.total_steps = int(total_steps)
        self.constant_steps = int(constant_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        decay_steps = max(self.total_steps - self.constant_steps, 1)
        fraction = ops.clip((step - self.constant_steps) / decay_steps, 0.0, 1.0)
        return self.learning_rate * (1.0 - fraction)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "total_steps": self.total_steps,
            "constant_steps": self.constant_steps,
        }
