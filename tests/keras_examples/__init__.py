"""Small models written in the styles of the official Keras examples (keras.io/examples).

Each function builds a fresh, small model (weights initialised, nothing downloaded).
They feed the round-trip tests (tests/runtime/test_roundtrip_examples.py) and the
survey (benchmarks/bench_roundtrip.py). Layers keep Keras' automatic names unless the
example names them, as a user's model would. `CUSTOM` lists the models that need the
source of a custom layer class.
"""

from __future__ import annotations

from .image import (
    conv_autoencoder,
    convnet_from_scratch,
    deeplab_v3_plus,
    frozen_transfer,
    group_norm_cnn,
    mini_xception,
    mlp_mixer,
    mnist_convnet,
    noise_and_activations,
    pointnet_tnet,
    preprocessing_layers,
    unet,
    video_time_distributed,
    volumetric_cnn,
)
from .sequence import (
    attention_qa,
    attention_scores_output,
    bidirectional_lstm_imdb,
    conv_lstm_next_frame,
    gru_masked_text,
    masking_lstm,
    ocr_crnn,
    seq2seq_encoder_states,
    seq2seq_lstm,
    sinusoidal_positions,
    text_cnn,
    timeseries_conv1d,
    timeseries_transformer,
    transformer_text_classifier,
)
from .structure import (
    collaborative_filtering,
    einsum_dense,
    ensemble,
    keras_ops_block,
    list_arguments,
    multi_input_multi_output,
    siamese_contrastive,
    siamese_shared_layers,
    slicing_ops,
    structured_wide_deep,
    vae_encoder,
)

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
