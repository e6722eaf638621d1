"""Image augmentation kinds (RandomFlip, RandomRotation, RandAugment, ...).

They take images (batch, height, width, channels), or channels first, and
return the same shape; most act only while training. Keras also accepts a
single unbatched image (rank 3), so the rules accept ranks 3 and 4. Factors are
a number or a (low, high) range, as in Keras; `value_range` is the range of the
pixel values. None has weights.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import REQUIRED, ParamSpec
from ..shapes import fmt, require_rank
from ..spec import LayerSpec, Sample, register
from .common import data_format, seed_param

# Interpolations and fill modes of Keras' affine image transform on the torch backend.
AFFINE_INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def factor(name: str = "factor", default=REQUIRED, initial=0.2, doc: str = "") -> ParamSpec:
    return ParamSpec(name, "float_or_list", default=default, initial=initial,
                     allow_none=default is None,
                     doc=doc or "Strength: a number, or a (low, high) range drawn from")


def value_range() -> ParamSpec:
    return ParamSpec("value_range", "floats", default=(0, 255), length=2,
                     doc="Range of the pixel values, e.g. [0, 1] or [0, 255]")


def interpolation() -> ParamSpec:
    return ParamSpec("interpolation", "choice", default="bilinear",
                     choices=AFFINE_INTERPOLATIONS, doc="How new pixels are computed")


def fill() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("fill_mode", "choice", default="reflect", choices=FILL_MODES,
                  doc="How points outside the image are filled"),
        ParamSpec("fill_value", "float", default=0.0,
                  doc="Value outside the image with fill_mode='constant'"),
    )


# Colour operations need RGB images (or grayscale, for some): Keras refuses others.
CHANNELS = {"RandomHue": (3,), "RandomSaturation": (3,), "RandomGrayscale": (1, 3),
            "RandomColorDegeneration": (1, 3), "RandAugment": (1, 3), "AugMix": (1, 3)}


def image_shape(kind: str):
    def rule(params, inputs):
        shape = inputs[0]
        require_rank(shape, (3, 4), kind)
        allowed = CHANNELS.get(kind)
        channels = shape[1] if params["data_format"] == "channels_first" else shape[-1]
        if allowed and channels is not None and channels not in allowed:
            names = " or ".join(str(c) for c in allowed)
            raise ShapeError(f"{kind} works on images with {names} channels. Received: "
                             f"input_shape={fmt(shape)} ({channels} channels)", port=0)
        return tuple(shape)

    return rule


def _samples(required: dict, seeded: bool) -> tuple[Sample, ...]:
    return (
        Sample(required, ((None, 8, 8, 3),)),
        Sample({**required, "seed": 3} if seeded else required, ((2, None, None, 3),)),
        Sample({**required, "data_format": "channels_first"}, ((None, 3, 6, 7),)),
        Sample(required, ((None, 8),)),
    )


_SEEDED = (seed_param(),)
_RANGE = (value_range(),)
# kind -> (doc, params besides data_format, required params of the samples)
AUGMENTATIONS = {
    "RandomFlip": ("Flips images horizontally and/or vertically at random", (
        ParamSpec("mode", "choice", default="horizontal_and_vertical",
                  choices=("horizontal", "vertical", "horizontal_and_vertical"),
                  doc="Which flips may happen"), *_SEEDED), {}),
    "RandomRotation": ("Rotates images by a random fraction of a full turn", (
        factor(doc="Fraction of 2*pi: a number (+/-) or a (low, high) range"),
        *fill(), interpolation(), *_SEEDED), {"factor": 0.2}),
    "RandomTranslation": ("Shifts images by a random fraction of their size", (
        factor("height_factor", doc="Vertical shift, a fraction of the height"),
        factor("width_factor", doc="Horizontal shift, a fraction of the width"),
        *fill(), interpolation(), *_SEEDED), {"height_factor": 0.2, "width_factor": 0.1}),
    "RandomZoom": ("Zooms images in or out by a random factor", (
        factor("height_factor", doc="Vertical zoom: a fraction, or a (low, high) range"),
        factor("width_factor", default=None, doc="Horizontal zoom; empty keeps the aspect"),
        *fill(), interpolation(), *_SEEDED), {"height_factor": 0.2}),
    "RandomShear": ("Shears images by a random angle along x and/or y", (
        factor("x_factor", default=0.0, doc="Shear along x: a number or a (low, high) range"),
        factor("y_factor", default=0.0, doc="Shear along y: a number or a (low, high) range"),
        interpolation(), *fill(), *_SEEDED), {"x_factor": 0.3}),
    "RandomBrightness": ("Adds a random brightness delta to images", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomContrast": ("Scales the contrast of images by a random factor", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomSaturation": ("Changes the saturation of images by a random factor", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomHue": ("Shifts the hue of images by a random amount", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomSharpness": ("Sharpens or blurs images by a random factor", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomColorDegeneration": ("Blends images with their grayscale by a random factor", (
        factor(), *_RANGE, *_SEEDED), {"factor": 0.2}),
    "RandomPosterization": ("Reduces the bits per colour channel at random", (
        ParamSpec("factor", "int_or_list", initial=4, min=1, max=8,
                  doc="Bits kept per channel (1-8), or a (low, high) range"),
        *_RANGE, *_SEEDED), {"factor": 4}),
    "RandomInvert": ("Inverts the colours of images with a probability", (
        factor(default=1.0, doc="Probability of inverting, or a range"), *_RANGE, *_SEEDED), {}),
    "RandomGrayscale": ("Turns images to grayscale with a probability", (
        ParamSpec("factor", "float", default=0.5, min=0.0, max=1.0,
                  doc="Probability of turning an image gray"),), {}),
    "RandomColorJitter": ("Random brightness, contrast, saturation and hue in one layer", (
        *_RANGE,
        factor("brightness_factor", default=None, doc="As RandomBrightness; empty: none"),
        factor("contrast_factor", default=None, doc="As RandomContrast; empty: none"),
        factor("saturation_factor", default=None, doc="As RandomSaturation; empty: none"),
        factor("hue_factor", default=None, doc="As RandomHue; empty: none"),
        *_SEEDED), {"brightness_factor": 0.2}),
    "RandomGaussianBlur": ("Blurs images with a Gaussian kernel of random strength", (
        factor(default=1.0, doc="Probability strength of the blur, or a range"),
        ParamSpec("kernel_size", "ints", default=(3, 3), length=2, min=1,
                  doc="Size of the blur kernel"),
        factor("sigma", default=1.0, doc="Standard deviation of the kernel, or a range"),
        *_RANGE, *_SEEDED), {}),
    "RandomErasing": ("Erases a random rectangle of each image", (
        factor(default=1.0, doc="Probability of erasing, or a range"),
        factor("scale", default=(0.02, 0.33), doc="Area of the rectangle, as a range"),
        ParamSpec("fill_value", "float", default=None, allow_none=True,
                  doc="Fill of the rectangle, or empty for noise"),
        *_RANGE, *_SEEDED), {}),
    "RandomPerspective": ("Applies a random perspective warp", (
        factor(default=1.0, doc="Probability of warping, or a range"),
        ParamSpec("scale", "float", default=1.0, min=0.0, doc="Strength of the warp"),
        interpolation(),
        ParamSpec("fill_value", "float", default=0.0, doc="Value outside the image"),
        *_SEEDED), {}),
    "RandomElasticTransform": ("Applies a random elastic distortion", (
        factor(default=1.0, doc="Probability of distorting, or a range"),
        factor("scale", default=1.0, doc="Strength of the distortion, or a range"),
        interpolation(), *fill(), *_RANGE, *_SEEDED), {}),
    "Solarization": ("Inverts the pixels above a random threshold, after a random shift", (
        factor("addition_factor", default=0.0, doc="Shift added to the pixels, or a range"),
        factor("threshold_factor", default=0.0, doc="Threshold of the inversion, or a range"),
        *_RANGE, *_SEEDED), {}),
    "AutoContrast": ("Stretches each image's channels to the full value range", (*_RANGE,), {}),
    # Keras 3.15 hands the input tensor back when it is called symbolically: a functional
    # model leaves it out, so a node of it is an error (graph.keras_quirks); inside a
    # Pipeline (or TimeDistributed) it runs.
    "Equalization": ("Equalizes the histogram of each channel, spreading the intensities", (
        *_RANGE,
        ParamSpec("bins", "int", default=256, min=1, doc="Histogram bins (256 for 8-bit)"),
    ), {}),
    "ContrastLimitedAdaptiveHistogramEqualization": (
        "Equalizes histograms tile by tile, with a contrast limit (CLAHE)", (
            *_RANGE,
            ParamSpec("clip_limit", "float", default=4.0, min=0.0, doc="Contrast limit"),
            ParamSpec("tile_grid_size", "ints", default=(8, 8), length=2, min=1,
                      doc="Tiles along the height and width"),
        ), {}),
    "AugMix": ("Mixes several random augmentation chains of each image (AugMix)", (
        *_RANGE,
        ParamSpec("num_chains", "int", default=3, min=1, doc="Number of chains mixed"),
        ParamSpec("chain_depth", "int_or_list", default=3, min=1,
                  doc="Augmentations per chain, or a (low, high) range"),
        factor(default=0.3, doc="Strength of each augmentation, or a range"),
        ParamSpec("alpha", "float", default=1.0, min=0.0, min_exclusive=True,
                  doc="Dirichlet/Beta concentration of the mixing weights"),
        ParamSpec("all_ops", "bool", default=True, doc="Include the colour operations"),
        interpolation(), *_SEEDED), {}),
    "RandAugment": ("Applies num_ops random augmentations of a given strength (RandAugment)", (
        *_RANGE,
        ParamSpec("num_ops", "int", default=2, min=1, doc="Augmentations per image"),
        factor(default=0.5, doc="Strength of the augmentations, or a range"),
        interpolation(), *_SEEDED), {}),
    "CutMix": ("Pastes a random patch of another image of the batch (CutMix)", (
        factor(default=1.0, doc="Beta distribution concentration, or a range"), *_SEEDED), {}),
    "MixUp": ("Blends each image with another of the batch (MixUp)", (
        ParamSpec("alpha", "float", default=0.2, min=0.0, min_exclusive=True,
                  doc="Beta distribution concentration of the mixing weight"),
        *_SEEDED), {}),
}

for _kind, (_doc, _params, _required) in AUGMENTATIONS.items():
    register(LayerSpec(
        kind=_kind,
        category="Augmentation",
        doc=_doc,
        params=(*_params, data_format()),
        shape=image_shape(_kind),
        samples=_samples(_required, any(p.name == "seed" for p in _params)),
    ))
