"""`LayerSpec`: one layer kind, what it is in Keras and how its params, ports and
shapes are read. The table of kinds (`register`, `get_spec`) is `graph.spec`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import KerasCanvasError, ParamError
from .params import ParamSpec
from .spec_parts import (
    AS_LISTS,
    CountRule,
    KeywordPorts,
    Sample,
    Shape,
    ShapeRule,
    no_weights,
    one_output,
)


@dataclass(frozen=True)
class LayerSpec:
    """One layer kind.

    Attributes:
        kind: the Keras class name (`Input` stands for `keras.Input`).
        category: palette group, one of `CATEGORIES`.
        doc: one line.
        params: the constructor arguments, Keras names and defaults.
        shape: the pure shape rule.
        count: the pure parameter-count rule, giving (trainable, non_trainable).
        min_inputs, max_inputs: input port counts; `max_inputs=None` means any number.
        input_names: port labels, e.g. ("query", "value", "key").
        outputs: a function of the resolved params giving the number of output ports.
        check: cross-parameter rule; returns a message or None.
        samples: cases for the tests against Keras.
        expand: for blocks, params and input shapes -> `blocks.Expansion`.
        keras_module: where the class lives, for codegen (`keras.layers` by default).
        unexposed: `get_config()` keys deliberately not offered as params (tests check
            that every other key is covered).
        start: (name, value) pairs a freshly placed node stores besides the required
            params, where Keras needs one of several optional params set.
        noise: the layer perturbs its input in training only (dropout and the like),
            so it makes no sense as a model output.
        activation: for a layer that is an activation (ReLU, Softmax...), the name of
            the activation function it applies.
        composite: the node builds several layers or a nested model, not one layer
            (user blocks, applications); block kinds (`expand`) are composite too.
        call_params: params that are keywords of the layer's call, not of its constructor
            (MultiHeadAttention's return_attention_scores); `constructor_kwargs` leaves
            them out and `call_kwargs` gives them.
        freezable: the Keras constructor takes `trainable` (all but a few do), so
            `register` adds the common `trainable` param.
        keyword_ports: input ports a param adds after `max_inputs`, given to the call as
            one list keyword (see `KeywordPorts`); `max_ports`, `min_ports` and
            `port_name` count and name them for a node's params.
        nested_outputs: (params) -> whether the layer's call gives its outputs as nested
            lists (an RNN over a stack of cells, with return_state: a list of states per
            cell); the build and the generated code flatten them onto the output ports,
            in Keras' flat order. None: the outputs are never nested.
    """

    kind: str
    category: str
    doc: str
    params: tuple[ParamSpec, ...]
    shape: ShapeRule
    count: CountRule = no_weights
    min_inputs: int = 1
    max_inputs: int | None = 1
    input_names: tuple[str, ...] = ()
    outputs: Callable[[Mapping[str, Any]], int] = one_output
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    samples: tuple[Sample, ...] = ()
    expand: Callable | None = None
    keras_module: str = "keras.layers"
    unexposed: tuple[str, ...] = ()
    start: tuple[tuple[str, Any], ...] = ()
    noise: bool = False
    activation: str | None = None
    composite: bool = False
    call_params: tuple[str, ...] = ()
    freezable: bool = True
    keyword_ports: KeywordPorts | None = None
    nested_outputs: Callable[[Mapping[str, Any]], bool] | None = None

    @property
    def is_block(self) -> bool:
        return self.expand is not None

    @property
    def is_merge(self) -> bool:
        return self.max_inputs is None

    @property
    def is_composite(self) -> bool:
        """Whether a node of this kind stands for more than one Keras layer."""
        return self.composite or self.is_block

    def nests_outputs(self, params: Mapping[str, Any]) -> bool:
        """Whether a call with these (raw or resolved) params gives nested outputs (see
        `nested_outputs`); unreadable params read as no.

        >>> from kerascanvas.graph.spec import get_spec
        >>> cells = [{"kind": "LSTMCell", "params": {"units": 2}}] * 2
        >>> get_spec("RNN").nests_outputs({"cell": cells, "return_state": True})
        True
        """
        if self.nested_outputs is None:
            return False
        try:
            return bool(self.nested_outputs(params))
        except (KerasCanvasError, KeyError, TypeError, ValueError, AttributeError):
            return False

    def final_activation(self, params: Mapping[str, Any]) -> str | None:
        """The activation a node applies last, or None when it is not plain to see.

        >>> from kerascanvas.graph.spec import get_spec
        >>> get_spec("Dense").final_activation({"activation": None})
        'linear'
        >>> get_spec("Softmax").final_activation({})
        'softmax'
        """
        if self.activation is not None:
            return self.activation
        if "activation" in params:
            return params["activation"] or "linear"
        return None

    @cached_property
    def _param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def port_name(self, port: int, params: Mapping[str, Any] | None = None) -> str:
        """The label of input `port`; a keyword port's needs the node's `params`.

        >>> from kerascanvas.graph.spec import get_spec
        >>> get_spec("LSTM").port_name(1, {"units": 4, "initial_state": True})
        'initial h'
        """
        if port < len(self.input_names):
            return self.input_names[port]
        extra = self.keyword_port_names(params or {})
        if self.max_inputs is not None and 0 <= port - self.max_inputs < len(extra):
            return extra[port - self.max_inputs]
        return f"in_{port}"

    def keyword_port_names(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """Labels of the ports `keyword_ports` adds for `params` (raw or resolved): none
        when the kind has none, when its param is off, or when the params are unreadable."""
        ports = self.keyword_ports
        if ports is None:
            return ()
        try:
            if self.param(ports.param).coerce(params.get(ports.param, False)) is not True:
                return ()
            return tuple(ports.names(params))
        except (KerasCanvasError, KeyError, TypeError, ValueError, AttributeError):
            return ()

    def max_ports(self, params: Mapping[str, Any]) -> int | None:
        """How many input ports a node with `params` has (None: any number)."""
        if self.max_inputs is None:
            return None
        return self.max_inputs + len(self.keyword_port_names(params))

    def min_ports(self, params: Mapping[str, Any]) -> int:
        """How many input ports a node with `params` needs connected."""
        return self.min_inputs + len(self.keyword_port_names(params))

    def split_inputs(self, items: list, params: Mapping[str, Any]) -> tuple[list, dict]:
        """(positional inputs, call keywords) of a call on port-ordered `items`: the
        keyword ports' items go, as one list (one bare item for a `single` port, nested
        lists where the layer reads them so), to their keyword.

        >>> from kerascanvas.graph.spec import get_spec
        >>> get_spec("LSTM").split_inputs(["x", "h", "c"], {"units": 4, "initial_state": True})
        (['x'], {'initial_state': ['h', 'c']})
        """
        extra = len(self.keyword_port_names(params))
        if not extra or self.max_inputs is None:
            return list(items), {}
        ports = self.keyword_ports
        return list(items[:self.max_inputs]), {ports.param: ports.keyword(items[-extra:],
                                                                         params)}

    def initial_params(self) -> dict[str, Any]:
        """Params a freshly placed node stores: the required ones and `start`."""
        return {**{p.name: p.initial for p in self.params if p.required}, **dict(self.start)}

    def output_count(self, params: Mapping[str, Any]) -> int:
        """The output ports of a node with these (unresolved) params: 1 at once for a kind
        whose count never varies (resolving took a millisecond a node, a tenth of a paste's
        node items), else `outputs` of the resolved params, raising as `resolve` does."""
        if self.outputs is one_output:
            return 1
        return self.outputs(self.resolve(params))

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Fill in defaults and coerce every value; raise `ParamError` on the first bad one."""
        unknown = [n for n in params if n not in self._param_names and n != AS_LISTS]
        if unknown:
            unknown.sort()
            names = ", ".join(p.name for p in self.params)
            raise ParamError(
                f"{self.kind} has no parameter {unknown[0]!r}. Expected one of: {names}",
                param=unknown[0],
            )
        out = {}
        for p in self.params:
            if p.name in params:
                out[p.name] = p.coerce(params[p.name])
            elif p.required:
                raise ParamError(f"{self.kind} needs a value for {p.name}", param=p.name)
            else:
                out[p.name] = p.normal_default()
        if self.check is not None:
            problem = self.check(out)
            if problem:
                raise ParamError(problem)
        lists = self.as_lists(params)
        return {**out, AS_LISTS: lists} if lists else out

    def as_lists(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The names in the params' `AS_LISTS` note (none without one), or ParamError."""
        if AS_LISTS not in params:
            return ()
        names = params[AS_LISTS]
        known = self._param_names
        if not isinstance(names, list | tuple) or len(set(map(str, names))) != len(names) \
                or any(not isinstance(n, str) or n not in known for n in names):
            raise ParamError(f"{self.kind}: {AS_LISTS} must be a list of distinct names of "
                             f"its parameters ({', '.join(sorted(known))}). "
                             f"Received: {names!r}", param=AS_LISTS)
        return tuple(names)

    def non_default(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The params that differ from Keras' defaults, in spec order, normal form; those
        the `AS_LISTS` note names are kept even at their default, and given as lists."""
        lists = self.as_lists(params)
        out = {}
        for p in self.params:
            if p.name in params and (p.name in lists or not p.is_default(params[p.name])):
                value = p.coerce(params[p.name])
                out[p.name] = list(value) if p.name in lists and type(value) is tuple else value
        return out

    @property
    def call_only(self) -> tuple[str, ...]:
        """Params that are no constructor keyword: the call keywords and the switch of
        the keyword ports."""
        ports = (self.keyword_ports.param,) if self.keyword_ports else ()
        return (*self.call_params, *ports)

    def constructor_kwargs(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """`kwargs` (non-default params) without the call keywords."""
        return {k: v for k, v in kwargs.items() if k not in self.call_only}

    def call_kwargs(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The call keywords among `params` that differ from their defaults.

        >>> from kerascanvas.graph.spec import get_spec
        >>> spec = get_spec("MultiHeadAttention")
        >>> spec.call_kwargs({"num_heads": 2, "return_attention_scores": True})
        {'return_attention_scores': True}
        """
        return {k: v for k, v in self.non_default(params).items() if k in self.call_params}

    def output_shapes(self, params: Mapping[str, Any], inputs: list[Shape]) -> list[Shape]:
        """Run the shape rule on resolved params; always a list of shapes."""
        result = self.shape(params, inputs)
        return list(result) if isinstance(result, list) else [tuple(result)]
