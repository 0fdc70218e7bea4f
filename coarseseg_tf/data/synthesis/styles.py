"""Drawing styles: named descriptions of how both drawings of an example are made.

A style is what a config, the CLI or a benchmark names (``"morpho"``); the recipes
behind it live here and nowhere else, so every path that draws (the MNIST data, the
Beam job, Cityscapes negatives, the CLI) draws the same way for the same name. A new
style is one more entry in :data:`STYLES`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from coarseseg_tf.data.synthesis.morpho import DEFAULT_NEGATIVE, DEFAULT_POSITIVE, DrawingRecipe


@dataclass(frozen=True)
class DrawingStyle:
    """How the positive and the negative drawing of an example are made.

    Attributes:
      positive, negative: recipes for
        :func:`~coarseseg_tf.data.synthesis.morpho.synthesize_drawings`; None makes no
        such drawing (its map is all 255). Not both None.
      description: what the drawings look like, for help texts. Not part of equality:
        two styles that draw the same are the same style.
    """

    positive: DrawingRecipe | None
    negative: DrawingRecipe | None
    description: str = field(default="", compare=False)

    def __post_init__(self):
        for name in ("positive", "negative"):
            if not isinstance(getattr(self, name), (DrawingRecipe, type(None))):
                raise ValueError(f"{name} must be a DrawingRecipe or None, got {getattr(self, name)!r}")
        if self.positive is None and self.negative is None:
            raise ValueError("positive and negative are both None: the style draws nothing")


STYLES: dict[str, DrawingStyle] = {
    "morpho": DrawingStyle(
        DEFAULT_POSITIVE, DEFAULT_NEGATIVE,
        "Morpho-MNIST perturbations of the true regions: the positive drawing is the object "
        "fractured and thickened; the negative drawing is the whole rest of the image, "
        "fractured and thickened into the object. Binary drawings label every pixel."),
}
DEFAULT_STYLE = "morpho"


def get_style(style: str | DrawingStyle) -> DrawingStyle:
    """A style given by its name in :data:`STYLES`, or the style itself.

    Raises:
      ValueError: an unknown name, or neither a name nor a :class:`DrawingStyle`.
    """
    if isinstance(style, DrawingStyle):
        return style
    if isinstance(style, str) and style in STYLES:
        return STYLES[style]
    raise ValueError(f"unknown drawing style {style!r}; styles are {sorted(STYLES)}")
