"""Initial weights in a generated training script, as `runtime.initial_weights` loads them.

A project whose `weights` section names a file (`graph.initial_weights`) gets a
`load_matching_weights(model, "m.keras")` call right after `build_model()` in the
script's main(), and the helper itself: each layer whose name (nested models: its path
of names) and variable shapes match a layer of the saved model takes its weights, the
others keep fresh ones, and the script says which. A file of which no layer fits stops
the script (`SystemExit`) with a message naming a layer, the variable shapes it expects
and those the file holds, as a run refuses such a file. The path is written as the project
holds it: a relative one is read from the folder the script runs in.
"""

from __future__ import annotations

from kerascanvas.graph.document import Document
from kerascanvas.graph.initial_weights import active_source, layer_paths

from .emit import Module
from .literals import call as call_text
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


def _layer_shapes(layer):
    return [tuple(w.shape) for w in layer.weights]


def _saved_path(name, paths):
    """The path in the saved model of the layer `name`: its entry in `paths`, else that of
    the longest key ending in '/' it is under, else `name` itself."""
    if name in paths:
        return paths[name]
    probe = name + '/'
    under = [key for key in paths if key.endswith('/') and probe.startswith(key)]
    if not under:
        return name
    key = max(under, key=len)
    return (paths[key] + probe[len(key):])[:-1]


def load_matching_weights(model, path, paths=None):
    """Give each layer of `model` the weights of the layer with the same name (and the
    same variable shapes) in the model saved at `path`; the others keep fresh weights.
    `paths` maps a layer's path to its path in the saved model where they differ (the
    layers of a nested model the import inlined). A .weights.h5 file names no layers:
    Keras matches those by position instead. A file of which no layer fits stops the
    script, naming a layer and the shapes on each side."""
    ours = weight_layers(model)
    if path.endswith('.weights.h5'):
        loaded, theirs = _load_by_position(model, path, ours), _h5_layer_shapes(path)
    else:
        saved = weight_layers(keras.saving.load_model(path, safe_mode=True, compile=False))
        theirs = {name: _layer_shapes(layer) for name, layer in saved.items()}
        found = {name: _saved_path(name, paths or {}) for name in ours}
        loaded = [name for name, layer in ours.items()
                  if theirs.get(found[name]) == _layer_shapes(layer)]
        for name in loaded:
            ours[name].set_weights(saved[found[name]].get_weights())
    fresh = [name for name in ours if name not in loaded]
    if fresh and not loaded:  # almost surely the wrong file: never a silent fresh start
        raise SystemExit(_no_fit_message(path, ours, theirs))
    print(f'loaded {len(loaded)} of {len(ours)} layers from {path}'
          + (f'; fresh: {", ".join(fresh)}' if fresh else ''))


def _load_by_position(model, path, ours):
    """Keras' own loading of a .weights.h5 file (by position, mismatches skipped); the
    names of the layers whose weights it changed."""
    before = {name: [np.array(w) for w in layer.get_weights()] for name, layer in ours.items()}
    model.load_weights(path, skip_mismatch=True)
    return [name for name, layer in ours.items()
            if any(not np.array_equal(a, b)
                   for a, b in zip(before[name], layer.get_weights(), strict=True))]


def _h5_layer_shapes(path):
    """{layer name: variable shapes} of the layers holding weights in a .weights.h5 file."""
    import h5py

    found = {}

    def visit(name, item):
        if name.startswith('layers/') and name.endswith('/vars') and len(item):
            key = item.attrs.get('name') or name[len('layers/'):-len('/vars')]
            found[str(key)] = [tuple(item[str(i)].shape) for i in range(len(item))]

    with h5py.File(path, 'r') as handle:
        handle.visititems(visit)
    return found


def _no_fit_message(path, ours, theirs):
    """Why no layer of the model could take the weights of `path`: a layer of the model
    (one the file also names, if any), the shapes it expects and those the file holds."""
    def shapes(found):
        return ', '.join(str(shape) for shape in found) or 'no variables'

    def held(name):
        return theirs.get(name, theirs.get(name.rsplit('/', 1)[-1]))

    name = next((name for name in ours if held(name) is not None), next(iter(ours)))
    if held(name) is not None:
        received = f"the file's {name.rsplit('/', 1)[-1]!r} holds {shapes(held(name))}"
    else:
        some = '; '.join(f'{key} {shapes(value)}' for key, value in list(theirs.items())[:5])
        received = f'the file has no layer {name!r}; it holds {some or "no layer with weights"}'
    how = ' (a .weights.h5 file is loaded by layer position)' if path.endswith('.h5') else ''
    return (f'{path}: its weights do not fit the model, no layer could be loaded{how}: '
            f'layer {name!r} expects shapes {shapes(_layer_shapes(ours[name]))}, but {received}. '
            f'Give the file saved from this model, or delete the load_matching_weights call '
            f'to start from fresh weights')
'''


def with_initial_weights(module: Module, doc: Document) -> Module:
    """`module` (a training script) loading the project's initial weights after its
    build, with the helpers before main(); `module` itself without a weights file."""
    source = active_source(doc)
    if source is None:
        return module
    paths = layer_paths(doc)
    call = call_text("load_matching_weights", ["model", literal(source)],
                     {"paths": paths} if paths else {}, "    ") + "\n"
    blocks = list(module.blocks)
    for i, block in enumerate(blocks):
        if block.startswith("def main(") and BUILD_LINE in block:
            blocks[i:i + 1] = [FUNCTIONS, block.replace(BUILD_LINE, BUILD_LINE + call, 1)]
            break
    return Module(imports=module.imports, blocks=blocks, header=module.header)
