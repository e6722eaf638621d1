"""Names of layers and models: Keras' own default names, and what a name may be.

>>> default_name("BatchNormalization"), name_problem("a/b")
('batch_normalization', "a layer name cannot contain '/'. Received: name='a/b'")
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from typing import Any

from .spec_parts import APPLICATION

_WORD = re.compile(r"(.)([A-Z][a-z]+)")  # exactly Keras' to_snake_case
_HUMP = re.compile(r"([a-z])([A-Z])")


# keras.ops functions whose op class Keras names otherwise (RMSNorm: rms_norm).
OP_AUTO_NAMES = {"layer_normalization": "layer_norm", "rms_normalization": "rms_norm",
                 "cdist": "c_dist"}
# The names keras.applications gives its models (`MobileNetV2(weights=None).name`, Keras
# 3.15): a new Application node is named so after its architecture, not "application".
APPLICATION_NAMES = {
    "MobileNet": "mobilenet_1.00_224", "MobileNetV2": "mobilenetv2_1.00_224",
    "MobileNetV3Small": "MobileNetV3Small", "MobileNetV3Large": "MobileNetV3Large",
    "ResNet50": "resnet50", "ResNet50V2": "resnet50v2", "EfficientNetB0": "efficientnetb0",
    "EfficientNetV2B0": "efficientnetv2-b0", "DenseNet121": "densenet121", "VGG16": "vgg16",
    "VGG19": "vgg19", "ConvNeXtTiny": "convnext_tiny",
}


def default_name(kind: str) -> str:
    """Keras' own naming: `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`.

    >>> default_name("GlobalAveragePooling2D"), default_name("Conv2DTranspose")
    ('global_average_pooling2d', 'conv2d_transpose')
    >>> default_name("ops.rms_normalization")
    'rms_norm'
    """
    if kind.startswith("ops."):  # an operation kind: Keras names it as its op class
        kind = kind.removeprefix("ops.").rsplit(".", 1)[-1]  # ops.image.resize: resize
        kind = OP_AUTO_NAMES.get(kind, kind)
    return _HUMP.sub(r"\1_\2", _WORD.sub(r"\1_\2", kind)).lower()


def new_node_name(kind: str, params: dict | None = None) -> str:
    """The name of a new `kind` node with `params`, before it is made unique: Keras' own
    (`default_name`), and for an Application the name Keras gives its architecture's model.

    >>> new_node_name("Application", {"architecture": "ResNet50"}), new_node_name("Dense")
    ('resnet50', 'dense')
    """
    if kind == APPLICATION and params:
        return APPLICATION_NAMES.get(params.get("architecture"), default_name(kind))
    return default_name(kind)


def shown_name(name: str) -> str:
    """`name` as a title or a list shows it: a layer named "" (Keras keeps it so) or
    with spaces only would show as nothing, so it reads "(no name)" or "(name '  ')".

    >>> shown_name(""), shown_name("  "), shown_name("dense")
    ('(no name)', "(name '  ')", 'dense')
    """
    if name.strip():
        return name
    return f"(name {name!r})" if name else "(no name)"


def is_default_name(name: str, kind: str) -> bool:
    """Whether `name` is one Keras would give a `kind` layer on its own (`re_lu`, `re_lu_3`),
    so no user typed it.

    >>> is_default_name("leaky_re_lu_2", "LeakyReLU"), is_default_name("gate", "ReLU")
    (True, False)
    """
    return re.fullmatch(re.escape(default_name(kind)) + r"(_\d+)?", name) is not None


def is_auto_name(name: str, kind: str, params: dict | None = None) -> bool:
    """Whether `name` is one a new `kind` node with `params` gets (`new_node_name`, numbered
    `_1`, `_2` when taken) or Keras' plain one for the kind (`is_default_name`: an
    Application named before it took its architecture's name), so no user typed it.

    >>> arch = {"architecture": "MobileNetV2"}
    >>> [is_auto_name(n, "Application", arch) for n in
    ...  ("mobilenetv2_1.00_224_1", "application", "resnet50", "backbone")]
    [True, True, False, False]
    """
    own = re.fullmatch(re.escape(new_node_name(kind, params)) + r"(_\d+)?", name)
    return own is not None or is_default_name(name, kind)


def name_problem(name: Any, what: str = "layer") -> str | None:
    """Why `name` cannot be a Keras layer (or `what`) name, or None when it can.

    A layer takes any string without '/', as Keras' does: `Dense(2, name="")` is a layer
    named "" (Keras does not name it anew; only `name=None` does), which builds, trains
    and saves, so the code keeps `name=''`. Two such layers clash as any two names do.
    A model's name is not empty (the project's "" means Keras' default name).

    >>> name_problem(""), name_problem(" "), name_problem("", "model")
    (None, None, "a model name must be a non-empty string. Received: name=''")
    """
    if not isinstance(name, str):
        return f"a {what} name must be a string. Received: name={name!r}"
    if what != "layer" and not name.strip():
        return f"a {what} name must be a non-empty string. Received: name={name!r}"
    if "/" in name:
        return f"a {what} name cannot contain '/'. Received: name={name!r}"
    if len(name) > 200:
        return f"a {what} name must be at most 200 characters. Received {len(name)} characters"
    return None


def torch_name_problem(name: Any) -> str | None:
    """Why torch cannot build a layer with weights named `name` (Keras takes it), or None.

    torch names a layer's weights under the layer's name and refuses a '.' in them, so
    `keras.layers.Dense(3, name="a.b")` fails to build (KeyError: parameter name can't
    contain "."); a weightless `ReLU(name="a.b")` builds. An empty name, a space or a dash
    build.

    >>> torch_name_problem("dense 1"), torch_name_problem("a.b")[:38]
    (None, "a layer name cannot contain '.' on the")
    """
    if isinstance(name, str) and "." in name:
        return ("a layer name cannot contain '.' on the torch backend (torch refuses it in "
                f"the names of the layer's weights). Received: name={name!r}")
    return None


def torch_safe_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name` with each '.' made '_', numbered `_2`, `_3`, ... while `taken` says it is used.

    >>> torch_safe_name("a.b", lambda n: n == "a_b")
    'a_b_2'
    """
    base = name.replace(".", "_")
    found, n = base, 1
    while taken(found):
        n += 1
        found = f"{base}_{n}"
    return found


def model_name_problem(name: Any) -> str | None:
    """Why `name` cannot be a Keras model name, or None when it can. Keras takes any string
    without '/' (the code quotes it), so a Python identifier is not required.

    >>> model_name_problem("my model (v2)"), model_name_problem("a/b")
    (None, "a model name cannot contain '/'. Received: name='a/b'")
    """
    return name_problem(name, "model")


KEY_LIMIT = 200  # as the project file's schema (`model_section.SCHEMA`)


def key_problem(key: Any) -> str | None:
    """Why `key` cannot be a key of the model's input or output dict, or None when it can.

    >>> key_problem("query ids"), key_problem("")
    (None, "a dict key must be a non-empty string. Received: key=''")
    """
    if not isinstance(key, str) or not key.strip():
        return f"a dict key must be a non-empty string. Received: key={key!r}"
    if len(key) > KEY_LIMIT:
        return f"a dict key must be at most {KEY_LIMIT} characters. Received {len(key)}"
    return None


def identifier_problem(name: Any) -> str | None:
    """What `name` lacks to be a Python name the generated code can use as it is, or None.

    ASCII only: Python folds other identifiers by NFKC, so `ｎａｍｅ` would become `name`.

    >>> identifier_problem("conv_bn"), identifier_problem("class")
    (None, 'an ASCII Python identifier that is not a keyword')
    """
    if (not isinstance(name, str) or not name.isascii() or not name.isidentifier()
            or keyword.iskeyword(name) or keyword.issoftkeyword(name)
            or name.startswith("__")):
        return "an ASCII Python identifier that is not a keyword"
    return None
