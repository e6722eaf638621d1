"""Initial weights in a generated training script, as `runtime.initial_weights` loads them.

A project whose `weights` section names a file (`graph.initial_weights`) gets a
`load_matching_weights(model, "m.keras")` call right after `build_model()` in the
script's main(), and the helper itself: each layer whose name (nested models: its path
of names) and variable shapes match a layer of the saved model takes its weights, the
others keep fresh ones, and the script says which. The path is written as the project
holds it: a relative one is read from the folder the script runs in.
"""

from __future__ import annotations

from kerascanvas.graph.document import Document
from kerascanvas.graph.initial_weights import active_source

from .emit import Module
from .literals import literal

BUILD_LINE = "    model = build_model()\n"

FUNCTIONS = '''\
def weight_layers(model, prefix=''):
    """{path of names: layer} of the layers holding weights, nested models walked into."""
    found = {}
    for layer in model.layers:
        path = prefix + layer.name
        if isinstance(layer, keras.Model):
            found.update(weight_layers(layer, path + '/'))
        elif layer.weights and all(layer is not seen for seen in found.values()):
            found[path] = layer
    return found


def load_matching_weights(model, path):
    """Give each layer of `model` the weights of the layer with the same name (and the
    same variable shapes) in the model saved at `path`; the others keep fresh weights.
    A .weights.h5 file names no layers: Keras matches those by position instead."""
    if path.endswith('.weights.h5'):
        model.load_weights(path, skip_mismatch=True)
        print(f'loaded the weights of {path} by layer position')
        return
    saved = keras.saving.load_model(path, safe_mode=True, compile=False)
    theirs = weight_layers(saved)
    loaded, fresh = [], []
    for name, layer in weight_layers(model).items():
        other = theirs.get(name)
        shapes = [tuple(w.shape) for w in layer.weights]
        if other is not None and [tuple(w.shape) for w in other.weights] == shapes:
            layer.set_weights(other.get_weights())
            loaded.append(name)
        else:
            fresh.append(name)
    if fresh and not loaded:  # almost surely the wrong file: never a silent fresh start
        raise ValueError(f'no layer of the model matches {path}: it holds '
                         f'{", ".join(list(theirs)[:5])}; the model has {", ".join(fresh[:5])}')
    print(f'loaded {len(loaded)} of {len(loaded) + len(fresh)} layers from {path}'
          + (f'; fresh: {", ".join(fresh)}' if fresh else ''))
'''


def with_initial_weights(module: Module, doc: Document) -> Module:
    """`module` (a training script) loading the project's initial weights after its
    build, with the helpers before main(); `module` itself without a weights file."""
    source = active_source(doc)
    if source is None:
        return module
    call = f"    load_matching_weights(model, {literal(source)})\n"
    blocks = list(module.blocks)
    for i, block in enumerate(blocks):
        if block.startswith("def main(") and BUILD_LINE in block:
            blocks[i:i + 1] = [FUNCTIONS, block.replace(BUILD_LINE, BUILD_LINE + call, 1)]
            break
    return Module(imports=module.imports, blocks=blocks, header=module.header)
