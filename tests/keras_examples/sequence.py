"""Text, time-series and sequence-to-sequence models in the styles of the Keras examples."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops


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


def text_cnn():
    """Text classification from scratch: Embedding, strided Conv1D, max pooling."""
    inputs = keras.Input((None,), dtype="int64")
    x = layers.Dropout(0.5)(layers.Embedding(60, 8)(inputs))
    x = layers.Conv1D(8, 3, padding="valid", activation="relu", strides=2)(x)
    x = layers.GlobalMaxPooling1D()(layers.Conv1D(8, 3, activation="relu", strides=2)(x))
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="text_cnn")


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


def attention_scores_output():
    """MultiHeadAttention with its attention scores as a second model output."""
    tokens = keras.Input((6, 8))
    attended, scores = layers.MultiHeadAttention(num_heads=2, key_dim=4)(
        tokens, tokens, return_attention_scores=True)
    return keras.Model(tokens, [layers.GlobalAveragePooling1D()(attended), scores],
                       name="mha_scores")


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
