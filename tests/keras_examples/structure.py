"""Models with several inputs or outputs, shared layers, ops and a custom layer, in the
styles of the Keras examples."""

from __future__ import annotations

import keras
from keras import layers, ops


def siamese_contrastive():
    """Siamese network, contrastive loss example: one tower used on both images and a
    euclidean distance written with keras.ops."""
    inp = keras.Input((28, 28, 1))
    x = layers.BatchNormalization()(inp)
    x = layers.AveragePooling2D((2, 2))(layers.Conv2D(4, (5, 5), activation="tanh")(x))
    x = layers.Flatten()(layers.BatchNormalization()(x))
    tower = keras.Model(inp, layers.Dense(10, activation="tanh")(x), name="tower")
    left, right = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
    a, b = tower(left), tower(right)
    squared = ops.sum(ops.square(a - b), axis=1, keepdims=True)
    distance = ops.sqrt(ops.maximum(squared, keras.config.epsilon()))
    x = layers.BatchNormalization()(distance)
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(x), name="siamese")


def siamese_shared_layers():
    """A siamese head with shared layers (no sub-model): one Dense stack on two inputs."""
    left, right = keras.Input((16,)), keras.Input((16,))
    dense1, dense2 = layers.Dense(12, activation="relu"), layers.Dense(6)
    a, b = dense2(dense1(left)), dense2(dense1(right))
    cosine = layers.Dot(axes=1, normalize=True)([a, b])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(cosine),
                       name="siamese_shared")


class Sampling(layers.Layer):
    """Draws z from the (mean, log variance) of the VAE's encoder."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def vae_encoder():
    """The VAE example's encoder: a custom Sampling layer (its source is needed)."""
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Dense(16, activation="relu")(layers.Flatten()(x))
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(x), layers.Dense(2, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="vae_encoder")


def multi_input_multi_output():
    """The functional API guide's ticket ranker: title, body and tags in; priority and
    department out, compiled with loss weights."""
    title = keras.Input((None,), name="title")
    body = keras.Input((None,), name="body")
    tags = keras.Input((12,), name="tags")
    title_features = layers.LSTM(8)(layers.Embedding(100, 8)(title))
    body_features = layers.LSTM(4)(layers.Embedding(100, 8)(body))
    x = layers.concatenate([title_features, body_features, tags])
    priority = layers.Dense(1, name="priority")(x)
    department = layers.Dense(4, name="department")(x)
    model = keras.Model([title, body, tags], {"priority": priority, "department": department},
                        name="ticket_ranker")
    model.compile(optimizer="rmsprop", loss_weights={"priority": 1.0, "department": 0.2},
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)})
    return model


def ensemble():
    """An ensemble of three functional members on one input, averaged."""
    inputs = keras.Input((10,))
    members = []
    for i in range(3):
        member_in = keras.Input((10,))
        h = layers.Dense(6 + i, activation="relu")(member_in)
        members.append(keras.Model(member_in, layers.Dense(2, activation="softmax")(h),
                                   name=f"member_{i}"))
    return keras.Model(inputs, layers.average([m(inputs) for m in members]), name="ensemble")


def einsum_dense():
    """EinsumDense as a dense layer on the last axis and as a per-position projection."""
    inputs = keras.Input((6, 8))
    x = layers.EinsumDense("abc,cd->abd", output_shape=(6, 12), bias_axes="d")(inputs)
    x = layers.EinsumDense("abc,cde->abde", output_shape=(6, 2, 4), activation="relu")(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.EinsumDense("ab,bc->ac", output_shape=3)(x),
                       name="einsum_dense")


def keras_ops_block():
    """keras.ops calls recorded as operations: transpose, reshape, matmul, softmax,
    squeeze, concatenate, arithmetic with constants."""
    inputs = keras.Input((6, 4))
    scores = ops.softmax(ops.matmul(inputs, ops.transpose(inputs, (0, 2, 1))) / 2.0, axis=-1)
    mixed = ops.matmul(scores, inputs)
    x = ops.concatenate([mixed, ops.relu(inputs) * 0.5], axis=-1)
    x = ops.reshape(x, (-1, 48))
    x = ops.expand_dims(layers.Dense(3)(x), 1)
    return keras.Model(inputs, ops.squeeze(x, axis=1), name="ops_block")


def slicing_ops():
    """Slices of every kind the examples use: ..., None, steps, negative ends."""
    inputs = keras.Input((8, 6, 3))
    a = inputs[..., 0]
    b = inputs[:, 1:-1, ::2, :]
    c = inputs[:, None, 0, :, 1:]
    x = layers.Flatten()(b) + 1.0
    y = layers.Concatenate()([layers.Flatten()(a), layers.Flatten()(c), x])
    return keras.Model(inputs, layers.Dense(2)(y), name="slicing")


def collaborative_filtering():
    """Movie recommendation: user and movie embeddings, a Dot product and biases."""
    user, movie = keras.Input((1,), dtype="int32"), keras.Input((1,), dtype="int32")
    user_vector = layers.Embedding(20, 5, embeddings_regularizer=keras.regularizers.l2(1e-6))(
        user)
    movie_vector = layers.Embedding(30, 5)(movie)
    dot = layers.Dot(axes=2)([user_vector, movie_vector])
    x = layers.Add()([dot, layers.Embedding(20, 1)(user), layers.Embedding(30, 1)(movie)])
    return keras.Model([user, movie], ops.sigmoid(layers.Flatten()(x)), name="recommender")


def structured_wide_deep():
    """Structured data: numeric features, one-hot categories, a wide and a deep path."""
    numeric = keras.Input((5,), name="numeric")
    category = keras.Input((1,), dtype="int32", name="category")
    one_hot = layers.CategoryEncoding(num_tokens=10, output_mode="one_hot")(category)
    wide = layers.Dense(1)(layers.concatenate([numeric, one_hot]))
    deep = layers.Dense(8, activation="relu")(layers.BatchNormalization()(numeric))
    deep = layers.Dense(1)(layers.Dropout(0.3)(deep))
    return keras.Model([numeric, category], layers.Activation("sigmoid")(layers.add([wide,
                                                                                     deep])),
                       name="wide_deep")


def list_arguments():
    """Arguments written as lists, which these layers keep as given in get_config():
    Dot axes, Softmax axis, AlphaDropout noise_shape, RandomZoom and RandomTranslation
    factors, Discretization bin boundaries."""
    a, b = keras.Input((4, 6)), keras.Input((5, 6))
    x = layers.Softmax(axis=[1, 2])(layers.Dot(axes=[2, 2])([a, b]))
    x = layers.AlphaDropout(0.1, noise_shape=[None, 1, 5])(x)
    image = layers.Reshape((4, 5, 1))(x)
    image = layers.RandomZoom([-0.1, 0.2], [0.1, 0.2])(image)
    image = layers.RandomTranslation([-0.1, 0.2], 0.1)(image)
    bins = layers.Discretization(bin_boundaries=[0.1, 0.5])(layers.Flatten()(image))
    return keras.Model([a, b], [image, bins], name="list_arguments")
