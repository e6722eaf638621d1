"""Custom layers as a user writes them: the Keras VAE example's Sampling layer and a
Dense of one's own. Tests pass this file to the importer as --custom-code."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="canvas_tests")
class Sampling(keras.layers.Layer):
    """z = mean + exp(log_var / 2) * epsilon, drawn from a seeded generator."""

    def __init__(self, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class CustomDense(keras.layers.Layer):
    """A Dense layer written by hand (not registered: its name is just the class name)."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        return ops.matmul(x, self.kernel) + self.bias

    def get_config(self):
        return {**super().get_config(), "units": self.units}
