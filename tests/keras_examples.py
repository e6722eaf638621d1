"""Small models written in the styles of the official Keras examples (keras.io/examples).

Each function builds a fresh, small model (weights initialised, nothing downloaded).
They feed the round-trip tests (tests/runtime/test_roundtrip_examples.py) and the
survey (benchmarks/bench_roundtrip.py). Layers keep Keras' automatic names unless the
example names them, as a user's model would. `CUSTOM` lists the models that need the
source of a custom layer class.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops


def convnet_from_scratch():
    """Image classification from scratch: an augmentation Sequential, a mini Xception."""
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)],
                               name="data_augmentation")
    inputs = keras.Input((32, 32, 3))
    x = layers.Rescaling(1.0 / 255)(augment(inputs))
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    previous = x
    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(layers.SeparableConv2D(size, 3, padding="same")(x))
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous)
        x = previous = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1)(layers.Dropout(0.25)(x)), name="from_scratch")


def mnist_convnet():
    """Simple MNIST convnet: a Sequential."""
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(8, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(16, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")], name="mnist_convnet")


def mini_xception():
    """Entry flow of Xception: separable convolutions, strided 1x1 residuals."""
    inputs = keras.Input((48, 48, 3))
    x = layers.Conv2D(16, 3, strides=2, use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for filters in (32, 64):
        residual = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)
        residual = layers.BatchNormalization()(residual)
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(layers.BatchNormalization()(x))
        x = layers.Add()([x, residual])
    x = layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, layers.Dense(5, activation="softmax")(x), name="mini_xception")


def unet():
    """Oxford pets segmentation: down with separable convs, up with Conv2DTranspose,
    UpSampling2D and concatenated skips."""
    inputs = keras.Input((32, 32, 3))
    d1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    d2 = layers.MaxPooling2D()(layers.SeparableConv2D(16, 3, padding="same",
                                                      activation="relu")(d1))
    d3 = layers.MaxPooling2D()(layers.SeparableConv2D(32, 3, padding="same",
                                                      activation="relu")(d2))
    u2 = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(d3)
    u2 = layers.concatenate([u2, d2])
    u1 = layers.UpSampling2D(2)(layers.Conv2DTranspose(8, 3, padding="same")(u2))
    u1 = layers.Concatenate(axis=-1)([u1, d1])
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(u1)
    return keras.Model(inputs, outputs, name="unet")


def deeplab_v3_plus():
    """DeepLabV3+: dilated spatial pyramid pooling, pooled branch resized back, a slice."""
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False,
                      kernel_initializer=keras.initializers.HeNormal())(inputs)
    low = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(16, 3, strides=4, padding="same")(low)
    dims = x.shape
    pooled = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(x)
    pooled = layers.Conv2D(8, 1, padding="same")(pooled)
    pooled = layers.UpSampling2D(size=(dims[-3], dims[-2]), interpolation="bilinear")(pooled)
    branches = [layers.Conv2D(8, 1 if rate == 1 else 3, dilation_rate=rate,
                              padding="same")(x) for rate in (1, 6, 12)]
    x = layers.Concatenate(axis=-1)([pooled, *branches])
    x = layers.UpSampling2D(size=(4, 4), interpolation="bilinear")(x)
    x = layers.Concatenate(axis=-1)([x, low])
    logits = layers.Conv2D(4, 1, padding="same")(x)
    first = ops.expand_dims(logits[..., 0], -1)  # one class map, as in the example's viz
    return keras.Model(inputs, [logits, first], name="deeplab_v3_plus")


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


def seq2seq_lstm():
    """Character-level seq2seq: the encoder's LSTM states start the decoder."""
    encoder_inputs = keras.Input((None, 7))
    _, state_h, state_c = layers.LSTM(16, return_state=True)(encoder_inputs)
    decoder_inputs = keras.Input((None, 9))
    decoded, _, _ = layers.LSTM(16, return_sequences=True, return_state=True)(
        decoder_inputs, initial_state=[state_h, state_c])
    outputs = layers.Dense(9, activation="softmax")(decoded)
    return keras.Model([encoder_inputs, decoder_inputs], outputs, name="seq2seq")


def seq2seq_encoder_states():
    """The seq2seq inference encoder: the states themselves are the outputs."""
    encoder_inputs = keras.Input((None, 7))
    _, state_h, state_c = layers.LSTM(16, return_state=True)(encoder_inputs)
    return keras.Model(encoder_inputs, [state_h, state_c], name="encoder_states")


def transformer_text_classifier():
    """Text classification with a Transformer: token and position embeddings (positions
    from keras.ops on the token ids), a transformer block from standard layers."""
    maxlen, vocab, dim = 12, 50, 16
    tokens = keras.Input((maxlen,), dtype="int32")
    positions = ops.cumsum(ops.ones_like(tokens), axis=1) - 1
    x = layers.Embedding(vocab, dim)(tokens) + layers.Embedding(maxlen, dim)(positions)
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=dim)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dropout(0.1)(attention))
    ffn = layers.Dense(dim)(layers.Dense(32, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dropout(0.1)(ffn))
    x = layers.Dropout(0.1)(layers.GlobalAveragePooling1D()(x))
    x = layers.Dense(20, activation="relu")(x)
    return keras.Model(tokens, layers.Dense(2, activation="softmax")(x), name="transformer_text")


def timeseries_conv1d():
    """Timeseries classification from scratch (FordA): three Conv1D-BN-ReLU blocks."""
    inputs = keras.Input((64, 1))
    x = inputs
    for _ in range(3):
        x = layers.ReLU()(layers.BatchNormalization()(layers.Conv1D(8, 3, padding="same")(x)))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x), name="timeseries_cnn")


def timeseries_transformer():
    """Timeseries classification with a Transformer: Conv1D feed-forward, channels-first
    pooling."""
    inputs = keras.Input((20, 3))
    x = layers.MultiHeadAttention(key_dim=8, num_heads=2, dropout=0.1)(inputs, inputs)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Dropout(0.1)(x))
    res = x + inputs
    x = layers.Conv1D(filters=4, kernel_size=1, activation="relu")(res)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(layers.Dropout(0.1)(x))
    x = layers.LayerNormalization(epsilon=1e-6)(x) + res
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x), name="ts_transformer")


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


def bidirectional_lstm_imdb():
    """Bidirectional LSTM on IMDB: Embedding then two Bidirectional LSTMs."""
    inputs = keras.Input((None,), dtype="int32")
    x = layers.Embedding(100, 8)(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(8))(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="bidir_lstm")


def gru_masked_text():
    """Embedding(mask_zero=True) feeding a GRU: the mask travels with the tensor."""
    inputs = keras.Input((10,), dtype="int32")
    x = layers.Embedding(30, 8, mask_zero=True)(inputs)
    x = layers.GRU(8, return_sequences=True)(x)
    x = layers.Bidirectional(layers.GRU(4), merge_mode="sum")(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x), name="gru_text")


def masking_lstm():
    """Masking padded float sequences before an LSTM."""
    inputs = keras.Input((8, 4))
    x = layers.LSTM(6)(layers.Masking(mask_value=0.0)(inputs))
    return keras.Model(inputs, layers.Dense(1)(x), name="masking_lstm")


def conv_autoencoder():
    """Convolutional autoencoder: encoder and decoder are nested models."""
    image = keras.Input((16, 16, 1))
    x = layers.MaxPooling2D(2, padding="same")(
        layers.Conv2D(8, 3, activation="relu", padding="same")(image))
    encoder = keras.Model(image, x, name="encoder")
    code = keras.Input((8, 8, 8))
    y = layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same")(code)
    decoder = keras.Model(code, layers.Conv2D(1, 3, activation="sigmoid", padding="same")(y),
                          name="decoder")
    inputs = keras.Input((16, 16, 1))
    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


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


def group_norm_cnn():
    """GroupNormalization between convolutions (the diffusion examples' blocks)."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(16, 3, padding="same")(inputs)
    x = layers.Activation("swish")(layers.GroupNormalization(groups=4)(x))
    x = layers.Conv2D(16, 3, padding="same")(x)
    x = layers.GroupNormalization(groups=8, epsilon=1e-5)(x) + x
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(4)(x), name="group_norm")


def preprocessing_layers():
    """Preprocessing inside the model: Resizing, CenterCrop, Rescaling, Normalization with
    given statistics, RandomFlip and RandomContrast."""
    inputs = keras.Input((20, 20, 3))
    x = layers.Resizing(18, 18)(inputs)
    x = layers.CenterCrop(16, 16)(x)
    x = layers.Rescaling(scale=1.0 / 127.5, offset=-1)(x)
    x = layers.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 4.0])(x)
    x = layers.RandomContrast(0.2)(layers.RandomFlip("horizontal_and_vertical")(x))
    x = layers.Flatten()(layers.Conv2D(4, 3, strides=2)(x))
    return keras.Model(inputs, layers.Dense(2)(x), name="preprocessing")


def attention_qa():
    """The Attention layer's docs example: a CNN encoder over query and value tokens,
    dot-product and additive attention, pooled and concatenated."""
    query_ids, value_ids = keras.Input((None,), dtype="int32"), keras.Input((None,),
                                                                          dtype="int32")
    embed = layers.Embedding(40, 8)
    query, value = embed(query_ids), embed(value_ids)
    cnn = layers.Conv1D(filters=6, kernel_size=3, padding="same")
    query_seq, value_seq = cnn(query), cnn(value)
    attended = layers.Attention()([query_seq, value_seq])
    additive = layers.AdditiveAttention()([query_seq, value_seq])
    pooled = [layers.GlobalAveragePooling1D()(t) for t in (query_seq, attended, additive)]
    return keras.Model([query_ids, value_ids], layers.Concatenate()(pooled), name="attention_qa")


def video_time_distributed():
    """Video classification: a CNN applied frame by frame, then a GRU over the frames."""
    frames = keras.Input((4, 16, 16, 3))
    x = layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu"))(frames)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D())(x)
    x = layers.GRU(8)(x)
    return keras.Model(frames, layers.Dense(5, activation="softmax")(x), name="video")


def conv_lstm_next_frame():
    """Next-frame prediction with ConvLSTM2D and a Conv3D head."""
    inputs = keras.Input((None, 12, 12, 1))
    x = layers.ConvLSTM2D(8, (5, 5), padding="same", return_sequences=True,
                          activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(8, (3, 3), padding="same", return_sequences=True,
                          activation="relu")(x)
    outputs = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="conv_lstm")


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


def pointnet_tnet():
    """PointNet's T-net: a learned 3x3 transform applied with Dot to the points."""
    points = keras.Input((32, 3))
    x = layers.ReLU()(layers.BatchNormalization(momentum=0.0)(layers.Conv1D(8, 1)(points)))
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(9, kernel_initializer="zeros",
                     bias_initializer=keras.initializers.Constant([1, 0, 0, 0, 1, 0, 0, 0, 1]))(x)
    transform = layers.Reshape((3, 3))(x)
    aligned = layers.Dot(axes=(2, 1))([points, transform])
    x = layers.GlobalMaxPooling1D()(layers.Conv1D(16, 1, activation="relu")(aligned))
    return keras.Model(points, layers.Dense(4, activation="softmax")(x), name="pointnet")


def text_cnn():
    """Text classification from scratch: Embedding, strided Conv1D, max pooling."""
    inputs = keras.Input((None,), dtype="int64")
    x = layers.Dropout(0.5)(layers.Embedding(60, 8)(inputs))
    x = layers.Conv1D(8, 3, padding="valid", activation="relu", strides=2)(x)
    x = layers.GlobalMaxPooling1D()(layers.Conv1D(8, 3, activation="relu", strides=2)(x))
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="text_cnn")


def volumetric_cnn():
    """3D image classification from CT scans: Conv3D, MaxPool3D, BN."""
    inputs = keras.Input((12, 12, 8, 1))
    x = layers.BatchNormalization()(layers.MaxPool3D(2)(
        layers.Conv3D(4, 3, activation="relu", padding="same")(inputs)))
    x = layers.GlobalAveragePooling3D()(layers.Conv3D(8, 3, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="ct_3d")


def mlp_mixer():
    """MLP-Mixer: patches by Conv2D, token mixing on the transposed axis (Permute)."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 4, strides=4)(inputs)
    x = layers.Reshape((16, 8))(x)
    y = layers.Permute((2, 1))(layers.LayerNormalization(epsilon=1e-6)(x))
    y = layers.Dense(16)(layers.Dense(16, activation="gelu")(y))
    x = layers.Add()([x, layers.Permute((2, 1))(y)])
    z = layers.Dense(8)(layers.Dense(16, activation="gelu")(layers.LayerNormalization()(x)))
    x = layers.GlobalAveragePooling1D()(layers.Add()([x, z]))
    return keras.Model(inputs, layers.Dense(3)(x), name="mlp_mixer")


def ocr_crnn():
    """Captcha OCR: convolutions, reshape to a sequence, Bidirectional LSTMs."""
    image = keras.Input((40, 16, 1), name="image")
    x = layers.MaxPooling2D((2, 2))(layers.Conv2D(8, 3, activation="relu",
                                                  kernel_initializer="he_normal",
                                                  padding="same")(image))
    x = layers.Reshape((20, 8 * 8))(x)
    x = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(x))
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=0.25))(x)
    return keras.Model(image, layers.Dense(11, activation="softmax")(x), name="ocr")


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


def attention_scores_output():
    """MultiHeadAttention with its attention scores as a second model output."""
    tokens = keras.Input((6, 8))
    attended, scores = layers.MultiHeadAttention(num_heads=2, key_dim=4)(
        tokens, tokens, return_attention_scores=True)
    return keras.Model(tokens, [layers.GlobalAveragePooling1D()(attended), scores],
                       name="mha_scores")


def frozen_transfer():
    """Transfer learning: a frozen functional base under a new head."""
    image = keras.Input((12, 12, 3))
    x = layers.BatchNormalization()(layers.Conv2D(6, 3)(image))
    base = keras.Model(image, layers.ReLU()(x), name="base")
    base.trainable = False
    inputs = keras.Input((12, 12, 3))
    x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, layers.Dense(2)(layers.Dropout(0.2)(x)), name="transfer")


def noise_and_activations():
    """Regularisation and activation layers: GaussianNoise, PReLU, ELU, LeakyReLU,
    ActivityRegularization, SpatialDropout1D, Minimum/Maximum."""
    inputs = keras.Input((10, 4))
    x = layers.GaussianNoise(0.1)(inputs)
    x = layers.SpatialDropout1D(0.2)(layers.Conv1D(6, 3, padding="same")(x))
    a, b = layers.PReLU()(x), layers.ELU(alpha=0.5)(x)
    x = layers.Maximum()([a, b]) + layers.Minimum()([layers.LeakyReLU(0.2)(x), b])
    x = layers.ActivityRegularization(l1=1e-4)(layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, layers.Dense(2)(x), name="activations")


def sinusoidal_positions():
    """A transformer encoder with fixed sinusoidal position encodings: a numpy constant
    added to the token embeddings, a causal self-attention, a keras.ops mask constant."""
    length, dim = 8, 16
    angles = np.arange(length)[:, None] / np.power(10000, (2 * (np.arange(dim)[None] // 2)) / dim)
    encoding = np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles)).astype("float32")
    tokens = keras.Input((length,), dtype="int32")
    x = layers.Embedding(40, dim)(tokens) * np.sqrt(dim).astype("float32") + encoding
    causal = ops.tril(ops.ones((length, length), dtype="bool"))
    x = x + layers.MultiHeadAttention(2, 8)(x, x, attention_mask=causal)
    x = layers.LayerNormalization()(x)
    return keras.Model(tokens, layers.Dense(40)(x), name="sinusoidal_positions")


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


EXAMPLES = [
    convnet_from_scratch, mnist_convnet, mini_xception, unet, deeplab_v3_plus,
    siamese_contrastive, siamese_shared_layers, seq2seq_lstm, seq2seq_encoder_states,
    transformer_text_classifier, timeseries_conv1d, timeseries_transformer,
    bidirectional_lstm_imdb, gru_masked_text, masking_lstm, conv_autoencoder,
    multi_input_multi_output, ensemble, einsum_dense, group_norm_cnn, preprocessing_layers,
    attention_qa, video_time_distributed, conv_lstm_next_frame, keras_ops_block, slicing_ops,
    collaborative_filtering, pointnet_tnet, text_cnn, volumetric_cnn, mlp_mixer, ocr_crnn,
    structured_wide_deep, attention_scores_output, frozen_transfer, noise_and_activations,
    sinusoidal_positions, list_arguments,
]
CUSTOM = [vae_encoder]  # need the custom layer's source
