"""Code for CustomLayer nodes: the class source embedded, registered, then used.

Each class a plan uses is written once, above `build_model()`: its source with
the import lines moved up among the module's imports, then a line registering
it with Keras under the node's `package>class_name`, so `keras.saving.load_model`
finds it again in a process that ran the generated module. Codegen only writes
text: the plan refuses untrusted code before this runs (its issues are errors).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph import pysource, training_code
from kerascanvas.graph.layers import custom
from kerascanvas.graph.spec import USER_BLOCK, get_spec

from .errors import CodegenError
from .literals import call
from .naming import RESERVED

KIND = custom.KIND
REGISTER = "keras.saving.register_keras_serializable"


def shared_trust(doc):
    """A `with` context in which the documents made from `doc` (a nested model's) trust
    its custom code as `doc` does, and read the shapes Keras computed for it."""
    return custom.active(custom.current(doc))


def constructor(params: Mapping[str, Any], name: str, indent: str = "", prefix: str = "",
                suffix: str = "", dtype: str | None = None) -> str:
    """`prefix + ClassName(k=v, ..., name='...') + suffix` from the node's JSON kwargs."""
    kwargs = custom.constructor_kwargs(params)
    if dtype:
        kwargs["dtype"] = dtype
    return call(params["class_name"], [], {**kwargs, "name": name}, indent, prefix, suffix)


def call_arguments(sources: Sequence[str]) -> str:
    """Its single input, or the list of its inputs."""
    return f"({sources[0]})" if len(sources) == 1 else f"([{', '.join(sources)}])"


def _custom_steps(steps, blocks: Mapping[str, Any]):
    """(node name, resolved params) of each CustomLayer: the plan's, then those inside the
    block definitions it uses (nested ones too)."""
    for step in steps:
        if step.spec.kind == KIND:
            yield step.name, step.params
    spec = get_spec(KIND)
    for node in custom.block_custom_nodes(_used_blocks(steps, blocks)):
        yield node.name, spec.resolve(node.params)


def _used_blocks(steps, blocks: Mapping[str, Any]) -> dict[str, Any]:
    names = [s.params.get("block") for s in steps if s.spec.kind == USER_BLOCK]
    used: dict[str, Any] = {}
    while names:
        name = names.pop()
        if name in blocks and name not in used:
            used[name] = blocks[name]
            names += [n.get("params", {}).get("block") for n in blocks[name].get("nodes", [])
                      if n.get("kind") == USER_BLOCK]
    return used


def used_classes(steps, blocks: Mapping[str, Any] | None = None) -> dict[str, dict]:
    """class name -> resolved params of the first node using it (in the plan, then in the
    blocks it uses); refuses a name two nodes define with different code."""
    found: dict[str, dict] = {}
    for node_name, params in _custom_steps(steps, blocks or {}):
        name = params["class_name"]
        if name in RESERVED or name in ("keras", "layers"):
            raise CodegenError(f"node {node_name!r}: class name {name!r} is taken by the "
                               "generated code; rename the class")
        first = found.setdefault(name, params)
        if (first["source"], first["package"]) != (params["source"], params["package"]):
            raise CodegenError(f"node {node_name!r}: class {name!r} is defined by another "
                               "node with different code or package; give one of them "
                               "another class name")
    return found


def user_names(doc) -> frozenset[str]:
    """Top-level names the user's code brings into a generated module: the classes of every
    CustomLayer (the document's and its blocks'), the training code's functions and classes,
    and the names their imports bind. Variables and helpers keep clear of them."""
    params = [n.params for n in doc.nodes.values() if n.kind == KIND]
    params += [n.params for n in custom.block_custom_nodes(doc.blocks)]
    names = {p.get("class_name") for p in params}
    texts = [p.get("source") for p in params] + [training_code.source(doc.training)]
    names.update(training_code.defined(texts[-1]))
    for text in texts:
        names.update(_imported(text))
    return frozenset(n for n in names if isinstance(n, str))


def _imported(text) -> set[str]:
    """The names the top-level imports of source `text` bind (none if it does not parse)."""
    try:
        tree = pysource.parse(text) if isinstance(text, str) else None
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for stmt in tree.body if tree else []:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            found.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return found


def _registered_by_source(source: str, name: str, package: str) -> bool:
    """Whether the class's own decorator already registers it as `package>name`."""
    tree = pysource.parse(source)
    found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    for deco in found[0].decorator_list if found else []:
        func = deco.func if isinstance(deco, ast.Call) else deco
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called != "register_keras_serializable" or not isinstance(deco, ast.Call):
            continue
        given = dict(zip(("package", "name"), deco.args, strict=False))
        given.update({k.arg: k.value for k in deco.keywords})
        values = {k: v.value if isinstance(v, ast.Constant) else object()
                  for k, v in given.items()}
        if values.get("package", custom.DEFAULT_PACKAGE) == package and \
                values.get("name", name) == name:
            return True
    return False


def class_block(params: Mapping[str, Any]) -> tuple[list[str], str]:
    """(import lines, the class source followed by its registration unless its own
    decorator registers it already)."""
    imports, body = custom.split_source(params["source"])
    name = params["class_name"]
    if _registered_by_source(params["source"], name, params["package"]):
        return imports, body
    register = call(REGISTER, [], {"package": params["package"], "name": name},
                    prefix=f"{name} = ", suffix=f"({name})")
    return imports, f"{body.rstrip()}\n\n\n{register}\n"


def embed(module, steps, blocks: Mapping[str, Any] | None = None):
    """`module` with the custom classes of `steps` (and of the user blocks they use, in
    `blocks`) written once, before its other blocks."""
    classes = used_classes(steps, blocks)
    if not classes:
        return module
    blocks, imports = [], list(module.imports)
    for params in classes.values():
        needed, block = class_block(params)
        imports += [line for line in needed if line not in imports]
        blocks.append(block)
    # A __future__ import is only legal before every other statement of the module.
    imports.sort(key=lambda line: not line.startswith("from __future__"))
    from .emit import Module  # emit reads this module's constructor: import it late

    return Module(imports=imports, blocks=[*blocks, *module.blocks], header=module.header)
