"""Layer kinds of the LayerSpec table, one module per palette family.

Importing this package registers every kind in `graph.spec.LAYER_SPECS`.
"""

from . import (  # noqa: F401
    activations,
    aliases,
    application,
    attention,
    audio,
    augmentation,
    conv,
    conv_recurrent,
    core,
    custom,
    einsum,
    generic,
    merging,
    noise,
    normalization,
    op_arrays,
    op_einsum,
    op_elementwise,
    op_integers,
    op_linalg,
    op_losses,
    op_matrices,
    op_norms,
    op_parts,
    op_products,
    op_quantiles,
    op_select,
    op_space,
    operations,
    pooling,
    preprocessing,
    recurrent,
    recurrent_rnn,
    reshaping,
    shared,
    spatial,
    wrappers,  # last: TimeDistributed offers the kinds registered before it
)
