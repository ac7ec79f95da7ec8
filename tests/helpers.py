"""Test helpers: the shared model contract check."""

from __future__ import annotations

import json

import keras
import numpy as np
import tensorflow as tf

# The tiny synthetic dataset of the shared evaluation fixtures (tests/conftest.py).
EVAL_NUM_TEST = 8
EVAL_IMAGE_SIZE = (64, 48)


def random_inputs(model, batch=2, seed=0):
    """Random float inputs for every named input of a functional model."""
    rng = np.random.default_rng(seed)
    inputs = {}
    for tensor in model.inputs:
        name = tensor.name.split(":")[0]
        shape = (batch, *tensor.shape[1:])
        inputs[name] = rng.uniform(-1, 1, size=shape).astype("float32")
    return inputs


def check_model_contract(model, inputs, tmp_path, expected_shapes, loss_fn=None):
    """Shapes and dtypes, config JSON round trip, .keras save/load equality, and
    one training step with finite gradients on every trainable variable.

    Args:
        model: a built functional model.
        inputs: dict of numpy inputs.
        tmp_path: a pytest tmp_path.
        expected_shapes: dict output name -> shape tuple.
        loss_fn: outputs dict -> scalar; default is the mean of every float output.
    """
    outputs = model(inputs, training=False)
    for name, shape in expected_shapes.items():
        assert tuple(outputs[name].shape) == tuple(shape), (name, outputs[name].shape, shape)
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(outputs[name]))), name

    config = model.get_config()
    rebuilt = model.__class__.from_config(json.loads(json.dumps(config)))
    assert rebuilt.count_params() == model.count_params()

    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    reloaded_outputs = loaded(inputs, training=False)
    for name in expected_shapes:
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(reloaded_outputs[name]),
            keras.ops.convert_to_numpy(outputs[name]),
            atol=1e-5,
            err_msg=name,
        )

    if loss_fn is None:

        def loss_fn(out):
            return tf.add_n(
                [tf.reduce_mean(tf.cast(v, tf.float32)) for v in out.values() if v.dtype.is_floating]
            )

    with tf.GradientTape() as tape:
        loss = loss_fn(model(inputs, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads) if g is None]
    assert not missing, f"no gradient for {missing}"
    for variable, grad in zip(model.trainable_variables, grads):
        assert np.all(np.isfinite(grad.numpy())), variable.path
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.apply(grads, model.trainable_variables)
    return outputs
