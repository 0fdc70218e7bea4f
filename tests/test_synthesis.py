import numpy as np
import pytest
from skimage import measure

from coarseseg_tf.data.synthesis import morpho
from coarseseg_tf.data.synthesis.draw import draw, draw_all, key_rng
from coarseseg_tf.data.synthesis.morpho import DrawingRecipe, keep_fraction, perturb_region, synthesize_drawings
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES, DrawingStyle, get_style


@pytest.fixture(scope="module")
def digit_masks(digits):
    return digits.masks[:20]


def _areas(masks, recipe, seed=0):
    rng = np.random.default_rng(seed)
    return np.array([perturb_region(m.astype(bool), recipe, rng).sum() for m in masks])


def test_thinning_lowers_area_and_thickening_raises_it(digit_masks):
    true_area = digit_masks.reshape(len(digit_masks), -1).sum(1)
    thinned = _areas(digit_masks, DrawingRecipe(perturbations=("thin",)))
    thickened = _areas(digit_masks, DrawingRecipe(perturbations=("thicken",)))
    assert (thinned <= true_area).all() and thinned.mean() < 0.8 * true_area.mean()
    assert (thickened >= true_area).all() and thickened.mean() > 1.3 * true_area.mean()


def test_fractures_cut_strokes_into_more_components(digit_masks):
    rng = np.random.default_rng(0)
    before, after = [], []
    for m in digit_masks:
        cut = perturb_region(m.astype(bool), DrawingRecipe(perturbations=("fracture",), num_fractures=3), rng)
        before.append(measure.label(m, connectivity=2).max())
        after.append(measure.label(cut, connectivity=2).max())
        assert (cut <= m.astype(bool)).all()  # a fracture only removes pixels
    assert np.mean(after) > np.mean(before) + 0.5


def test_swelling_changes_the_stroke_locally(digit_masks):
    rng = np.random.default_rng(0)
    m = digit_masks[0].astype(bool)
    swollen = perturb_region(m, DrawingRecipe(perturbations=("swell",), swell_strength=3, swell_radius=7), rng)
    assert swollen.sum() > m.sum() and (swollen != m).sum() < m.size * 0.2


@pytest.mark.parametrize("ratio", [0.8, 0.5, 0.3, 0.1])
def test_ratio_controls_area(digit_masks, ratio):
    rng = np.random.default_rng(0)
    for m in digit_masks[:5]:
        kept = keep_fraction(m.astype(bool), ratio, rng)
        assert kept.sum() == max(1, round(ratio * m.sum()))
        assert (kept <= m.astype(bool)).all()


def test_tiny_ratio_gives_a_connected_scribble(digit_masks):
    rng = np.random.default_rng(0)
    for m in digit_masks[:10]:
        kept = keep_fraction(m.astype(bool), 0.03, rng)
        assert kept.any()
        assert measure.label(kept, connectivity=2).max() == 1


def test_seeds_reproduce_exactly(digit_masks):
    a = synthesize_drawings(digit_masks[3], np.random.default_rng(42))
    b = synthesize_drawings(digit_masks[3], np.random.default_rng(42))
    c = synthesize_drawings(digit_masks[3], np.random.default_rng(43))
    np.testing.assert_array_equal(a.positive, b.positive)
    np.testing.assert_array_equal(a.negative, b.negative)
    assert (a.positive != c.positive).any() or (a.negative != c.negative).any()


def test_binary_drawings_are_full_maps_with_the_right_labels(digit_masks):
    d = synthesize_drawings(digit_masks[0], np.random.default_rng(0))
    assert set(np.unique(d.positive)) <= {0, 1} and set(np.unique(d.negative)) <= {0, 1}
    # positive: over-segmentation covers most of the digit
    assert (d.positive[digit_masks[0] == 1] == 1).mean() > 0.8
    # negative: complementary label 1 ("not the digit") on most of the background
    assert (d.negative[digit_masks[0] == 0] == 1).mean() > 0.8


def test_partial_drawings_leave_the_rest_unannotated(digit_masks):
    recipe = DrawingRecipe(ratio=0.3)
    d = synthesize_drawings(digit_masks[1], np.random.default_rng(0), positive=recipe, negative=recipe)
    assert (d.positive == 255).any() and (d.positive == 1).any()
    assert set(np.unique(d.positive)) == {1, 255}


def test_multiclass_target_and_complement(rng):
    mask = np.zeros((64, 64), np.uint8)
    mask[2:20, 4:60] = 1
    mask[26:60, 10:44] = 2
    d = synthesize_drawings(mask, rng, num_classes=3, target_class=2)
    assert set(np.unique(d.positive)) == {2, 255}
    assert set(np.unique(d.negative)) == {2, 255}  # ȳ = 2: "not class 2"
    assert (mask[d.positive == 2] == 2).mean() > 0.5
    assert (mask[d.negative == 2] != 2).mean() > 0.85


def test_missing_drawing_kind_is_all_ignore(digit_masks):
    d = synthesize_drawings(digit_masks[0], np.random.default_rng(0), negative=None)
    assert (d.negative == 255).all() and (d.positive != 255).any()


def test_bad_inputs():
    with pytest.raises(ValueError, match="2-D"):
        synthesize_drawings(np.zeros((2, 3, 3)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="label 5"):
        synthesize_drawings(np.full((4, 4), 5), np.random.default_rng(0))
    with pytest.raises(ValueError, match="ratio"):
        DrawingRecipe(ratio=0.0)
    with pytest.raises(ValueError, match="unknown perturbation"):
        DrawingRecipe(perturbations=("blur",))


def test_upsample_downsample_round_trip(digit_masks):
    m = digit_masks[0].astype(bool)
    back = morpho.downsample(morpho.upsample(m))
    assert (back != m).sum() <= 0.05 * m.sum()


# ---------------------------------------------------------------- draw() and styles

def test_draw_is_the_style_seeded_by_the_key(digit_masks):
    style = STYLES[DEFAULT_STYLE]
    d = draw(digit_masks[2], "digit-2", seed=4)
    expected = synthesize_drawings(digit_masks[2], key_rng("digit-2", 4), 2,
                                   positive=style.positive, negative=style.negative)
    np.testing.assert_array_equal(d.positive, expected.positive)
    np.testing.assert_array_equal(d.negative, expected.negative)
    other = draw(digit_masks[2], "digit-3", seed=4)
    assert (other.positive != d.positive).any() or (other.negative != d.negative).any()


def test_draw_all_draws_each_mask_with_its_key(digit_masks):
    keys = ["a", "b", "c"]
    seen = []
    positive, negative = draw_all(digit_masks[:3], keys, seed=1, progress=lambda done, total: seen.append(done))
    for i, key in enumerate(keys):
        d = draw(digit_masks[i], key, seed=1)
        np.testing.assert_array_equal(positive[i], d.positive)
        np.testing.assert_array_equal(negative[i], d.negative)
    assert positive.dtype == np.uint8 and seen == [1, 2, 3]
    with pytest.raises(ValueError, match="3 masks but 2 keys"):
        draw_all(digit_masks[:3], keys[:2])


def test_a_style_object_draws_like_its_recipes(digit_masks):
    style = DrawingStyle(positive=DrawingRecipe(ratio=0.3), negative=None)
    d = draw(digit_masks[1], "k", style)
    assert (d.negative == 255).all() and set(np.unique(d.positive)) == {1, 255}
    assert DrawingStyle(STYLES["morpho"].positive, STYLES["morpho"].negative) == STYLES["morpho"]


def test_target_class_may_be_a_choice_made_by_the_key(rng):
    mask = np.zeros((48, 48), np.uint8)
    mask[2:20, 4:44] = 1
    mask[26:46, 10:40] = 2
    d = draw(mask, "scene", num_classes=3, target_class=[1, 2])
    choice = int(key_rng("scene").choice([1, 2]))
    assert set(np.unique(d.negative)) == {choice, 255}


def test_styles_are_checked():
    assert get_style("morpho") is STYLES["morpho"] and get_style(STYLES["morpho"]) is STYLES["morpho"]
    assert all(style.description for style in STYLES.values())
    with pytest.raises(ValueError, match="unknown drawing style 'scribblez'"):
        draw(np.zeros((4, 4), np.uint8), "k", "scribblez")
    with pytest.raises(ValueError, match="both None"):
        DrawingStyle(None, None)
    with pytest.raises(ValueError, match="DrawingRecipe"):
        DrawingStyle({"ratio": 0.5}, None)
