"""The names a generated module or training script takes for itself at its top level. Pure.

A CustomLayer class or a training-code function of one of these names would replace the
script's own: code generation refuses it (`codegen.naming.RESERVED` is this `RESERVED`),
and validation warns of it as soon as the name is given (`script_name_issues`).
"""

from __future__ import annotations

import builtins
import keyword

# Names the generated module defines or imports itself.
GENERATED_NAMES = frozenset({
    "argparse", "build_model", "inputs", "keras", "layers", "main", "model", "np", "os",
    "outputs", "self", "training", "named_op", "CanvasModel", "DTYPE_POLICY", "previous_policy",
    "residual_block", "bottleneck_block", "inception_module", "dense_block", "transition_layer",
})

# Names a training script defines or imports at its top level (script_parts, script_data,
# script_weights, script_training, finetune, distributed): a helper or class of that name would
# replace one of them. tests/codegen/test_name_clashes.py checks generated scripts against it.
SCRIPT_NAMES = frozenset("""
INPUTS LOSSES METRICS LOSS_WEIGHTS SETTINGS INPUT_KEYS OUTPUT_KEYS SYNTHETIC_SAMPLES
UNKNOWN_LENGTH FINETUNE APPLICATIONS argparse os keras np layers torch dist
DistributedDataParallel DataLoader DistributedSampler TensorDataset SummaryWriter
make_optimizer make_callbacks TensorBoardLogger class_weights packed label_form output_shapes
random_input random_labels synthetic_data single_pair sklearn_data pick npz_data csv_columns
csv_column csv_numbers csv_features csv_not_a_number csv_labels csv_data input_ranks one_hot
load_data check_save_path split_validation faster_step main
weight_layers load_matching_weights _saved_path _layer_shapes _load_by_position _h5_layer_shapes
_no_fit_message compile_for_phase unfreeze join_process_group rank_loader split_batch rows
train_step global_results average_moving_statistics evaluate
""".split())

RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(
    dir(builtins)) | GENERATED_NAMES | SCRIPT_NAMES

TAKEN_CODE = "script_name"


def taken(name: str) -> bool:
    """Whether generated code refuses a class or function called `name`."""
    return name in RESERVED
