import numpy as np
import pytest
from scipy import ndimage
from skimage import measure

from coarseseg_tf.data.synthesis import morpho
from coarseseg_tf.data.synthesis.draw import draw, draw_all, key_rng
from coarseseg_tf.data.synthesis.morpho import DrawingRecipe, keep_fraction, perturb_region, synthesize_drawings
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES, DrawingStyle, RecipeStyle, get_style


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
    style = RecipeStyle(positive=DrawingRecipe(ratio=0.3), negative=None)
    d = draw(digit_masks[1], "k", style)
    assert (d.negative == 255).all() and set(np.unique(d.positive)) == {1, 255}
    assert RecipeStyle(STYLES["morpho"].positive, STYLES["morpho"].negative) == STYLES["morpho"]


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
        RecipeStyle(None, None)
    with pytest.raises(ValueError, match="DrawingRecipe"):
        RecipeStyle({"ratio": 0.5}, None)
    with pytest.raises(TypeError, match="abstract"):
        DrawingStyle(DrawingRecipe(), None)


# ---------------------------------------------------------------- the styles people draw in

def _disk(size=64, radius=14):
    yy, xx = np.mgrid[:size, :size]
    return (((yy - size // 2) ** 2 + (xx - size // 2) ** 2) < radius ** 2).astype(np.uint8)


@pytest.fixture(scope="module")
def binary_masks(digit_masks):
    """A few digits (thin strokes) and a disk (a blob)."""
    return [*digit_masks[:6], _disk()]


def _drawn(style, masks, **kwargs):
    """[(mask, object (H, W) bool, positive drawn, negative drawn)] for binary masks."""
    out = []
    for i, mask in enumerate(masks):
        d = draw(mask, f"example-{i}", style, **kwargs)
        assert set(np.unique(d.positive)) <= {1, 255} and set(np.unique(d.negative)) <= {1, 255}
        out.append((mask, mask == 1, d.positive == 1, d.negative == 1))
    return out


def _outside_distance(region):
    """Pixels' distance to the nearest pixel of the region (0 on it)."""
    return ndimage.distance_transform_edt(~region)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_style_is_seeded_by_key_and_seed(digit_masks, name):
    a, b = draw(digit_masks[5], "k", name, seed=1), draw(digit_masks[5], "k", name, seed=1)
    np.testing.assert_array_equal(a.positive, b.positive)
    np.testing.assert_array_equal(a.negative, b.negative)
    assert STYLES[name].description
    for other in (draw(digit_masks[5], "other", name, seed=1), draw(digit_masks[5], "k", name, seed=2)):
        assert (other.positive != a.positive).any() or (other.negative != a.negative).any()


@pytest.mark.parametrize("name", sorted(set(STYLES) - {"morpho"}))
def test_only_morpho_labels_the_whole_background(binary_masks, name):
    for mask, obj, positive, negative in _drawn(name, binary_masks):
        assert (positive | negative)[~obj].mean() < 0.9


def test_loose_fill_spills_past_the_object_and_negatives_keep_away(binary_masks):
    for mask, obj, positive, negative in _drawn("loose_fill", binary_masks):
        assert positive[obj].mean() > 0.7  # mostly covered: a few gaps
        spill = _outside_distance(obj)[positive & ~obj]
        assert spill.size and 1 <= spill.max() <= 3.5  # 1-3 px past the edge (a diagonal pixel: 3.5)
        assert negative.any() and not (negative & obj).any()
        assert _outside_distance(obj)[negative].min() >= 3
        assert _outside_distance(positive)[negative].min() >= 3  # clear of the spill too
        assert negative[~obj].mean() < 0.2


def test_under_fill_stays_inside_and_negatives_hug_the_outside(binary_masks):
    for mask, obj, positive, negative in _drawn("under_fill", binary_masks):
        assert positive.any() and (positive <= obj).all() and positive.sum() < obj.sum()
        distance = _outside_distance(obj)[negative]
        assert distance.size and distance.min() >= 1 and distance.max() <= 4


def test_scribbles_cover_a_few_percent_of_their_region(binary_masks):
    for mask, obj, positive, negative in _drawn("scribbles", binary_masks):
        assert (positive <= obj).all() and not (negative & obj).any()
        assert 0.005 <= positive.sum() / obj.sum() <= 0.06
        assert 0.005 <= negative.sum() / (~obj).sum() <= 0.06
        assert measure.label(positive, connectivity=2).max() == 1


def test_boundary_negatives_lie_in_the_band_the_fill_spills_into(binary_masks):
    for mask, obj, positive, negative in _drawn("boundary_negatives", binary_masks):
        assert 1 <= _outside_distance(obj)[positive & ~obj].max() <= 2.5
        distance = _outside_distance(obj)[negative]
        assert distance.size and distance.min() >= 1 and distance.max() <= 4


def test_boundary_negatives_draw_every_class_of_a_multiclass_mask():
    mask = np.zeros((48, 48), np.uint8)
    mask[4:24, 4:44] = 1
    mask[24:44, 4:24] = 2
    mask[28:40, 28:40] = 3
    d = draw(mask, "scene", "boundary_negatives", num_classes=4)
    assert d.target_class is None
    assert set(np.unique(d.positive)) == {0, 1, 2, 3, 255}
    labels = set(np.unique(d.negative))
    assert labels <= {0, 1, 2, 3, 255} and len(labels) > 2
    for k in range(4):
        region = mask == k
        assert (d.positive[region] == k).mean() > 0.5
        distance = _outside_distance(region)[d.negative == k]  # "not k": just outside class k
        assert (distance >= 1).all() and (distance <= 4).all()
    one = draw(mask, "scene", "boundary_negatives", num_classes=4, target_class=2)
    assert one.target_class == 2 and set(np.unique(one.positive)) == {2, 255}


@pytest.mark.parametrize("ratio", [0.3, 0.5, 0.8])
def test_area_ratio_keeps_that_part_of_morphos_drawing(binary_masks, ratio):
    negative_kept = []
    for i, mask in enumerate(binary_masks):
        full, reduced = draw(mask, f"k{i}", "morpho"), draw(mask, f"k{i}", f"area_ratio_{ratio}")
        # the positive drawing is perturbed first, from the same generator state
        drawn = (full.positive == 1).sum()
        assert (reduced.positive == 1).sum() == max(1, round(ratio * drawn))
        assert ((reduced.positive == 1) <= (full.positive == 1)).all()
        negative_kept.append((reduced.negative == 1).sum() / (full.negative == 1).sum())
    assert abs(np.mean(negative_kept) - ratio) < 0.1
