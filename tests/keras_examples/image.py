"""Image, video and point-cloud models in the styles of the Keras examples."""

from __future__ import annotations

import keras
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


def video_time_distributed():
    """Video classification: a CNN applied frame by frame, then a GRU over the frames."""
    frames = keras.Input((4, 16, 16, 3))
    x = layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu"))(frames)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D())(x)
    x = layers.GRU(8)(x)
    return keras.Model(frames, layers.Dense(5, activation="softmax")(x), name="video")


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
