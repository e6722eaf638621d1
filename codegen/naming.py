"""Python identifiers for generated code, derived from node names.

Node names are user text: they may hold spaces, quotes, unicode or Python
keywords. Variables and attributes are made from them by keeping ASCII letters,
digits and underscores only (NFKC folding of unicode identifiers could make two
different names collide), then made unique. Names that the generated code itself
uses, Python keywords and builtins get a trailing underscore.

>>> names = Namer()
>>> names.take("conv 1"), names.take("conv_1"), names.take("class"), names.take("!!")
('conv_1', 'conv_1_1', 'class_', 'x')
>>> names.take("3x3")
'x_3x3'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The script's own top-level names (with keywords and builtins: RESERVED) live in graph, so
# that validation warns of a user's class or function taking one before code is generated.
from kerascanvas.graph.script_names import (  # noqa: F401 - importable here as before
    GENERATED_NAMES,
    RESERVED,
    SCRIPT_NAMES,
)

_INVALID = re.compile(r"[^0-9A-Za-z_]+")

# Public attributes of a keras.Model instance on the torch backend (Keras 3.15): a layer
# stored under one of these names in a subclassed model would break the model. A test
# checks this list against Keras so a newer Keras with more attributes is noticed.
MODEL_ATTRIBUTES = frozenset("""
T_destination activity_regularizer add_loss add_metric add_module add_variable add_weight
apply autocast bfloat16 buffers build build_from_config built call call_signature_parameters
call_super_init children compile compile_from_config compiled compute_dtype compute_loss
compute_mask compute_metrics compute_output_shape compute_output_spec count_params cpu cuda
double dtype dtype_policy dump_patches eval evaluate export extra_repr fit float forward
from_config get_buffer get_build_config get_compile_config get_config get_extra_state get_layer
get_metrics_result get_parameter get_quantization_layer_structure get_state_tree get_submodule
get_weights half input input_dtype input_spec ipu jit_compile layers load_own_variables
load_state_dict load_weights loss losses make_predict_function make_test_function
make_train_function metrics metrics_names metrics_variables modules mtia name named_buffers
named_children named_modules named_parameters non_trainable_variables non_trainable_weights
output parameters path predict predict_function predict_on_batch predict_step
quantization_mode quantize quantized_build quantized_call register_backward_hook
register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook rematerialized_call
requires_grad_ reset_metrics run_eagerly save save_own_variables save_weights
set_extra_state set_state_tree set_submodule set_weights share_memory state_dict
stateless_call stateless_compute_loss steps_per_execution summary supports_jit
supports_masking symbolic_call test_function test_on_batch test_step to to_empty to_json
torch_params train train_function train_on_batch train_step trainable trainable_variables
trainable_weights training type variable_dtype variables weights xpu zero_grad
""".split())


def argument(key: str) -> str:
    """The helper argument for a block param `key` (an identifier the block checks): `key`,
    or `key_` when `key` less its trailing underscores is a name the generated code uses
    (a param `layers` would hide the `layers` module inside its helper). One-to-one, so
    two params never share an argument.

    >>> argument("filters"), argument("layers"), argument("layers_"), argument("filters_")
    ('filters', 'layers_', 'layers__', 'filters_')
    """
    return f"{key}_" if key.rstrip("_") in RESERVED else key


def arguments(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """`kwargs` of a block helper call, keyed by `argument`."""
    return {argument(k): v for k, v in kwargs.items()}


def identifier(text: str) -> str:
    """An ASCII identifier made from `text`; not yet checked for clashes."""
    base = _INVALID.sub("_", text).strip("_")
    base = re.sub("__+", "_", base)
    if not base:
        return "x"
    if base[0].isdigit():
        return f"x_{base}"
    return base


class Namer:
    """Hands out unique identifiers, avoiding `reserved` and everything already given."""

    def __init__(self, reserved: frozenset[str] = RESERVED) -> None:
        self._reserved = reserved
        self._taken: set[str] = set()
        self._chain: str | None = None

    def chain(self) -> str:
        """The variable of a chain's tensors (`codegen.chains`): `x`, or the fresh name
        `x` gives when taken; the same at every call."""
        if self._chain is None:
            self._chain = self.take("x")
        return self._chain

    @property
    def chain_taken(self) -> str | None:
        """The chain variable once a tensor took it, else None."""
        return self._chain

    def take(self, text: str) -> str:
        """A fresh identifier for `text`, recorded so no later call returns it."""
        base = identifier(text)
        if base in self._reserved:
            base += "_"
        name, i = base, 1
        while name in self._taken or name in self._reserved:
            name = f"{base}_{i}"
            i += 1
        self._taken.add(name)
        return name
