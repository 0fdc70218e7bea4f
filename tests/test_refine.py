"""The classical two-step baselines: refiners, their registry, and fit() on refined masks."""
import numpy as np
import pytest
from scipy import ndimage

from coarseseg_tf.data.examples import ImageRecord
from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.refine import REFINERS, refine_drawings, refine_example


def disk_case(seed=0, size=48, radius=10):
    """A bright disk on a dark, slightly noisy background; a loose positive drawing (the
    disk grown by 2 px, with a 5-row gap across it) and a negative stroke away from it."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    disk = (yy - 24) ** 2 + (xx - 22) ** 2 <= radius ** 2
    image = np.clip(0.2 + 0.6 * disk + rng.normal(0, 0.05, disk.shape), 0, 1)[..., None].astype(np.float32)
    drawn = ndimage.binary_dilation(disk, iterations=2)
    drawn[22:27] = False
    positive = np.where(drawn, 1, IGNORE_LABEL).astype(np.uint8)
    negative = np.full(disk.shape, IGNORE_LABEL, np.uint8)
    negative[5:8, 30:44] = 1  # "not the object"
    return image, positive, negative, disk


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


#: refiners that decide every pixel; "agreement" and "sure" leave some to the model
FULL_MASK = ("grabcut", "random_walker")


@pytest.mark.parametrize("method", FULL_MASK)
def test_refiner_recovers_the_disk_better_than_the_drawing(method):
    image, positive, negative, disk = disk_case()
    mask = REFINERS[method].refine(image, positive, negative, 2)
    assert mask.shape == disk.shape and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 1}
    drawing_iou, refined_iou = iou(positive == 1, disk), iou(mask == 1, disk)
    assert refined_iou > 0.8 and refined_iou > drawing_iou, (drawing_iou, refined_iou)


@pytest.mark.parametrize("method", FULL_MASK)
def test_refine_drawings_batch_and_images_without_drawings(method):
    image, positive, negative, disk = disk_case()
    images = np.stack([image, image])
    nothing = np.full_like(positive, IGNORE_LABEL)
    masks = refine_drawings(images, np.stack([positive, nothing]), np.stack([negative, nothing]), method, 2)
    assert masks.shape == (2, *disk.shape) and masks.dtype == np.uint8
    assert iou(masks[0] == 1, disk) > 0.8
    assert (masks[1] == IGNORE_LABEL).all()  # nothing drawn: nothing known
    reported = []
    refine_drawings(images, np.stack([positive, nothing]), None, method, 2,
                    progress=lambda done, total: reported.append((done, total)))
    assert reported[-1] == (2, 2)


def test_agreement_keeps_what_both_refiners_say():
    image, positive, negative, disk = disk_case()
    agreed = REFINERS["agreement"].refine(image, positive, negative, 2)
    cut, walked = (REFINERS[m].refine(image, positive, negative, 2) for m in FULL_MASK)
    np.testing.assert_array_equal(agreed == IGNORE_LABEL, cut != walked)
    labelled = agreed != IGNORE_LABEL
    assert labelled.mean() > 0.9 and ((agreed == 1) == disk)[labelled].mean() > 0.98


def test_seeds_are_the_sure_part_of_the_drawings():
    image, positive, negative, disk = disk_case()
    seeds = REFINERS["sure"].refine(image, positive, negative, 2)
    # the spill and the outer band stay undecided; what is labelled is right
    assert 0.3 < (seeds != IGNORE_LABEL).mean() < 0.95
    assert ((seeds == 1) <= disk).all() and not ((seeds == 0) & disk).any()


def test_full_maps_are_sure_where_they_agree():
    """Maps that label every pixel contradict each other where the brush erred."""
    image, _, _, disk = disk_case()
    positive = np.where(ndimage.binary_dilation(disk, iterations=2), 1, 0).astype(np.uint8)
    negative = np.where(~ndimage.binary_erosion(disk, iterations=2), 1, IGNORE_LABEL).astype(np.uint8)
    sure = REFINERS["sure"].refine(image, positive, negative, 2)
    contradicted = (positive == 1) & (negative == 1)
    assert (sure[contradicted] == IGNORE_LABEL).all()
    np.testing.assert_array_equal(sure[~contradicted], positive[~contradicted])


def test_a_full_map_is_sure_only_inside_where_no_negative_drawing_covers_it():
    """Every class filled (class 0 too) with a spill past the object, negatives as strokes
    on part of the edge only: the spill nothing contradicts is not sure, the interior is."""
    image, _, _, disk = disk_case()
    spilled = ndimage.binary_dilation(disk, iterations=2)
    positive = np.where(spilled, 1, 0).astype(np.uint8)
    negative = np.full(disk.shape, IGNORE_LABEL, np.uint8)
    ring = spilled & ~disk
    stroke = ring & (np.arange(disk.shape[1]) < 22)[None, :]  # "not the object" on the left half of the spill
    negative[stroke] = 1
    sure = REFINERS["sure"].refine(image, positive, negative, 2)
    assert (sure[stroke] == IGNORE_LABEL).all()  # the maps contradict each other there
    assert (sure[ring & ~stroke] == IGNORE_LABEL).all()  # nothing contradicts this spill
    assert (sure[ndimage.binary_erosion(disk, iterations=2)] == 1).all()
    assert (sure[~ndimage.binary_dilation(spilled, iterations=5)] == 0).all()
    labelled = sure != IGNORE_LABEL
    assert ((sure == 1) == disk)[labelled].all()
    # the image's colours then label the spill the erosion opened (it is background-coloured);
    # where the maps contradict each other, the network decides
    checked = REFINERS["checked_sure"].refine(image, positive, negative, 2)
    assert (checked[ring & ~stroke] == 0).mean() > 0.9
    assert (checked[stroke] == IGNORE_LABEL).all()


def test_a_stroke_does_not_make_the_far_background_sure():
    """A scribble marks where the object is, not its extent: with negative seeds of its
    own, the pixels far from it stay undecided instead of becoming background."""
    image, _, negative, disk = disk_case()
    scribble = np.full(disk.shape, IGNORE_LABEL, np.uint8)
    scribble[24, 16:28] = 1  # a one-pixel line across the disk
    seeds = REFINERS["sure"].refine(image, scribble, negative, 2)
    assert not ((seeds == 0) & disk).any()
    filled = np.where(ndimage.binary_dilation(disk, iterations=1), 1, IGNORE_LABEL).astype(np.uint8)
    far = REFINERS["sure"].refine(image, filled, negative, 2)
    assert (far == 0).sum() > (seeds == 0).sum()  # a fill does make its far outside background


def test_random_walker_handles_more_classes():
    yy, xx = np.mgrid[:48, :48]
    disks = {1: (yy - 14) ** 2 + (xx - 14) ** 2 <= 64, 2: (yy - 33) ** 2 + (xx - 33) ** 2 <= 64}
    image = 0.1 + 0.4 * disks[1] + 0.8 * disks[2] + np.random.default_rng(0).normal(0, 0.03, (48, 48))
    positive = np.full((48, 48), IGNORE_LABEL, np.uint8)
    for label, disk in disks.items():
        positive[ndimage.binary_dilation(disk, iterations=2)] = label
    mask = REFINERS["random_walker"].refine(np.clip(image, 0, 1), positive, None, 3)
    assert set(np.unique(mask)) == {0, 1, 2}
    for label, disk in disks.items():
        assert iou(mask == label, disk) > 0.8, label


@pytest.mark.parametrize("method", sorted(REFINERS))
def test_bad_inputs_name_the_problem(method):
    image, positive, negative, _ = disk_case()
    refine = REFINERS[method].refine
    with pytest.raises(ValueError, match=r"negative is \(40, 48\) but the image is \(48, 48\)"):
        refine(image, positive, negative[:40], 2)
    with pytest.raises(ValueError, match="positive holds label 7"):
        refine(image, np.where(positive == 1, 7, positive), negative, 2)
    with pytest.raises(ValueError, match="positive.* must have shape"):
        refine_drawings(image[None], positive, None, method, 2)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]: float images must be in \[0, 1\]"):
        refine(image * 255, positive, negative, 2)
    with pytest.raises(ValueError, match="refiner must be one of"):
        refine_drawings(image[None], positive[None], None, "lazy_snapping", 2)


def test_grabcut_refuses_more_than_two_classes():
    image, positive, negative, _ = disk_case()
    with pytest.raises(ValueError, match="grabcut refines binary drawings only"):
        refine_drawings(image[None], positive[None], None, "grabcut", 3)


def test_refine_example_fills_the_mask_of_a_record():
    image, positive, negative, disk = disk_case()
    record = ImageRecord("disk-0", np.round(image * 255).astype(np.uint8), None, positive, negative)
    refined = refine_example(record, "random_walker", 2)
    assert refined.key == "disk-0" and refined.positive is positive
    assert iou(refined.mask == 1, disk) > 0.8


def test_fit_random_walker_trains_on_refined_masks(capsys):
    from coarseseg_tf import fit
    cases = [disk_case(seed=s) for s in range(4)]
    images, positive, negative = (np.stack([c[i] for c in cases]) for i in range(3))
    result = fit(images, positive, negative, num_classes=2, method="random_walker", epochs=1,
                 batch_size=4, width=4, depth=2, verbose=2)
    history = result.history.history
    assert history["mask_loss"][0] > 0 and history["loss"] == history["mask_loss"]
    assert "refining drawings (random_walker): 4/4" in capsys.readouterr().out


def test_fit_refines_a_dataset_once_and_repeats_it_for_steps(monkeypatch):
    import tensorflow as tf
    from coarseseg_tf import fit
    from coarseseg_tf.refine import Refiner
    grabcut, refined = REFINERS["grabcut"], []

    def counted(image, positive, negative, num_classes):
        refined.append(1)
        return grabcut.refine(image, positive, negative, num_classes)
    monkeypatch.setitem(REFINERS, "grabcut", Refiner(counted, grabcut.check_classes))
    cases = [disk_case(seed=s) for s in range(4)]
    images, positive, negative = (np.stack([c[i] for c in cases]) for i in range(3))
    dataset = tf.data.Dataset.from_tensor_slices({"image": images, "positive": positive, "negative": negative})
    # 3 epochs of 3 steps of 2 images: 18 images drawn from 4, each refined once
    result = fit(dataset, num_classes=2, method="grabcut", epochs=3, steps_per_epoch=3, batch_size=2,
                 width=4, depth=2, verbose=0)
    assert len(result.history.history["mask_loss"]) == 3 and result.history.history["mask_loss"][0] > 0
    assert len(refined) == 4
    refined.clear()  # without the cache: refined on every pass, each of 18 images drawn
    # (and not the 256 more the batch norms' statistics would read after training)
    fit(dataset, num_classes=2, method="grabcut", epochs=3, steps_per_epoch=3, batch_size=2, width=4, depth=2,
        verbose=0, cache_refined=False, recalibrate_batch_norm=False)
    assert len(refined) >= 18


def test_cli_train_takes_a_two_step_method(tmp_path):
    from coarseseg_tf.cli import main
    cases = [disk_case(seed=s) for s in range(2)]
    images, positive, negative = (np.stack([c[i] for c in cases]) for i in range(3))
    np.savez(tmp_path / "d.npz", images=images, positive=positive, negative=negative)
    main(["train", "--data", str(tmp_path / "d.npz"), "-o", str(tmp_path / "m.keras"),
          "--method", "grabcut", "--epochs", "1", "--width", "4", "--depth", "2"])
    assert (tmp_path / "m.keras").exists()


def thin_line_case():
    """A 2-px bright line on black under a fill 8 px wide: the fill's eroded interior
    still holds dark pixels beside the line, and its border is mostly dark."""
    image = np.zeros((40, 40, 1), np.float32)
    image[8:32, 19:21] = 0.9
    line = image[..., 0] > 0.5
    positive = np.full((40, 40), IGNORE_LABEL, np.uint8)
    positive[5:35, 16:24] = 1
    return image, positive, line


def test_checked_sure_labels_withdraw_what_the_image_contradicts():
    image, positive, line = thin_line_case()
    sure = REFINERS["sure"].refine(image, positive, None, 2)
    checked = REFINERS["checked_sure"].refine(image, positive, None, 2)
    assert ((sure == 1) & ~line).any()  # the unchecked interior is partly background
    assert not ((checked == 1) & ~line).any() and (checked == 1).any()
    # the fill's dark border (unlabelled in the sure labels) is labelled background
    border = (positive == 1) & (sure == IGNORE_LABEL) & ~line
    assert border.any() and (checked[border] == 0).all()
    # labels never contradict the far background, which only fits the models
    np.testing.assert_array_equal(checked[sure == 0], 0)


def test_checked_sure_labels_leave_a_blurred_edges_rim_to_the_side_its_colour_is_nearer():
    """A bright bar with a 1-px grey rim (0.3: below half-way, so outside the object as
    the true edge lies) under a fill that spills past it. The object's labels hold a few
    greys and the black background none, so the histograms give the rim to the object;
    the classes' mean colours do not."""
    image = np.zeros((40, 40, 1), np.float32)
    image[6:34, 18:22] = 0.95
    image[6:34, 17] = image[6:34, 22] = image[5, 18:22] = image[34, 18:22] = 0.3
    positive = np.full((40, 40), IGNORE_LABEL, np.uint8)
    positive[3:37, 14:26] = 1
    bar = image[..., 0] > 0.5
    rim = (image[..., 0] > 0) & ~bar
    sure = REFINERS["sure"].refine(image, positive, None, 2)
    checked = REFINERS["checked_sure"].refine(image, positive, None, 2)
    assert (sure[rim] == 1).sum() > 40  # the erosion alone keeps most of the rim
    assert not (checked[rim] == 1).any()
    assert (checked[bar] == 1).all()


def test_checked_sure_labels_do_not_place_edges_by_colour_in_noise():
    """Under noise as strong as noisy MNIST's (σ = 0.5) one pixel's colour does not say
    which side of the half-way point it lies on: the nearer mean withdraws nothing, and
    the fill keeps the object's labels that the histograms keep."""
    from coarseseg_tf.refine.appearance import noise_level
    image = np.zeros((40, 40, 1), np.float32)
    image[10:30, 14:26] = 0.9
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 0.5, image.shape), 0, 1).astype(np.float32)
    assert noise_level(image) == 0 and noise_level(noisy) > 0.15
    positive = np.full((40, 40), IGNORE_LABEL, np.uint8)
    positive[7:33, 11:29] = 1
    checked = REFINERS["checked_sure"].refine(noisy, positive, None, 2)
    square = image[..., 0] > 0.5
    assert (checked[square] == 1).mean() > 0.85  # 0.73 when the noisy pixels are withdrawn too
    assert not (checked[~square] == 1).any()


def test_checked_sure_labels_keep_labels_alike_classes_share():
    """Two classes of the same colour (two white digits) do not withdraw each other."""
    image = np.zeros((40, 40, 1), np.float32)
    image[5:35, 8:14] = image[5:35, 22:28] = 0.9  # within RADIUS of each other
    image[5:35, 10] = 0.6  # some texture, so the two histograms are not trivially equal
    positive = np.full((40, 40), IGNORE_LABEL, np.uint8)
    positive[3:37, 6:16], positive[3:37, 20:30] = 1, 2
    sure = REFINERS["sure"].refine(image, positive, None, 3)
    checked = REFINERS["checked_sure"].refine(image, positive, None, 3)
    for label in (1, 2):
        assert (checked == label).sum() >= (sure == label).sum()


def test_checked_sure_labels_withdraw_inferred_background_that_looks_like_the_object():
    """A drawing of reduced area covers part of the object; the rest is far from it and
    inferred background, unless the object's colour says otherwise."""
    image, positive, line = thin_line_case()
    partial = positive.copy()
    partial[20:] = IGNORE_LABEL  # the drawing stops halfway along the line
    sure = REFINERS["sure"].refine(image, partial, None, 2)
    checked = REFINERS["checked_sure"].refine(image, partial, None, 2)
    from coarseseg_tf.refine.appearance import RADIUS
    # within RADIUS of the object's sure pixels the object's colour model competes
    near = ndimage.distance_transform_edt(sure != 1) <= RADIUS
    left_out = line & (sure == 0) & near
    assert left_out.sum() >= 10 and (checked[left_out] == IGNORE_LABEL).all()
    assert (checked[~line & (sure == 0)] == 0).mean() > 0.95  # the black background stays


def test_checked_sure_labels_label_around_a_fill_where_two_classes_compete():
    """An under-fill stays inside the object: the object's border outside the fill is the
    object's colour, so the background assumed there is withdrawn (never kept); the dark
    band around it is background; a stroke far from the object's sure pixels, next to the
    background only, has no rival class to be told from and stays unlabelled."""
    image = np.zeros((48, 48, 1), np.float32)
    image[6:26, 6:26] = 0.9  # the object, under-filled below
    image[40:43, 30:46] = 0.9  # a stroke of it far from the fill (> RADIUS)
    positive = np.full((48, 48), IGNORE_LABEL, np.uint8)
    positive[8:24, 8:24] = 1
    sure = REFINERS["sure"].refine(image, positive, None, 2)
    checked = REFINERS["checked_sure"].refine(image, positive, None, 2)
    border = (image[..., 0] > 0.5) & (positive == IGNORE_LABEL) & (sure == IGNORE_LABEL)
    border[30:] = False
    assert border.sum() >= 40 and (checked[border] != 0).all()
    dark_band = (image[..., 0] == 0) & (sure == IGNORE_LABEL)
    dark_band[30:] = False
    assert dark_band.any() and (checked[dark_band] == 0).all()
    far_stroke = np.zeros_like(border)
    far_stroke[40:43, 30:46] = True
    assert (checked[far_stroke] == IGNORE_LABEL).all()


def test_checked_sure_labels_keep_a_loose_fill_off_a_soft_edged_objects_rim():
    """Fluorescent nuclei fade into the background over a few pixels, and a loose fill
    spills over that rim. The ring outside the fill is assumed background, so the
    background's colour model learns the rim's colours and the fill's labels there are
    withdrawn: on the stardist training tiles at most 9 % of the pixels labelled
    nucleus are background (16 % when the ring was left open, 10 % before labels nearer
    the background's mean colour were withdrawn too), while three quarters of the
    nucleus stay labelled (92 % before: what the mean withdraws is the dim rim)."""
    from coarseseg_tf.data.datasets.nuclei import make_nuclei
    from coarseseg_tf.data.synthesis.draw import draw_all
    train, _ = make_nuclei(tile=64)
    keys = [f"nuclei-{i}" for i in range(16)]
    positives, negatives = draw_all(train.masks[:16], keys, "loose_fill", 2, seed=0)
    labels = np.stack([REFINERS["checked_sure"].refine(image, p, n, 2)
                       for image, p, n in zip(train.images[:16], positives, negatives)])
    nucleus = train.masks[:16] == 1
    labelled_nucleus = labels == 1
    assert (labelled_nucleus & ~nucleus).sum() <= 0.09 * labelled_nucleus.sum()
    assert (labelled_nucleus & nucleus).sum() >= 0.75 * nucleus.sum()


def test_appearance_check_never_labels_from_one_class_alone():
    """Near a positive scribble, far from any negative one, only the object's class is
    nearby: a dark pixel there has nothing to be told apart from and stays unlabelled."""
    from coarseseg_tf.refine.appearance import appearance_check
    image = np.zeros((48, 48, 1), np.float32)
    image[4:20, 4:20] = 0.9
    labels = np.full((48, 48), IGNORE_LABEL, np.uint8)
    labels[11:13, 6:18] = 1  # a scribble on the object
    labels[44:46, 30:46] = 0  # "not the object", far away
    everywhere = np.ones((48, 48), bool)
    checked = appearance_check(image, labels, labels != IGNORE_LABEL, open_to=everywhere)
    assert (checked[21:24, 4:20] == IGNORE_LABEL).all()  # dark, near the object's class only
    assert (checked[38:44, 28:48] == IGNORE_LABEL).all()  # near the background's labels only
    np.testing.assert_array_equal(checked[labels != IGNORE_LABEL], labels[labels != IGNORE_LABEL])


def test_checked_sure_labels_give_the_background_what_strokes_leave_in_its_colour():
    """Binary scribbles infer no background near or far, but the open pixels the
    background's colour model explains with confidence against the object's are
    background. An object no stroke touched is not: it looks like the drawn one (and is
    never labelled as it)."""
    image = np.full((48, 48, 1), 0.05, np.float32)
    image[4:20, 4:20] = 0.9   # the drawn object
    image[28:44, 28:44] = 0.9  # another one, undrawn
    image[4:12, 36:44] = 0.5   # a colour no stroke labelled
    positive = np.full((48, 48), IGNORE_LABEL, np.uint8)
    positive[11:13, 6:18] = 1  # a scribble on the first object
    negative = np.full((48, 48), IGNORE_LABEL, np.uint8)
    negative[44:46, 4:20] = 1  # "not the object", far away
    checked = REFINERS["checked_sure"].refine(image, positive, negative, 2)
    assert (checked[24:27, 4:20] == 0).all() and (checked[4:20, 24:30] == 0).all()
    assert (checked[28:44, 28:44] == IGNORE_LABEL).all()
    assert (checked[4:12, 36:44] == IGNORE_LABEL).all()
    # for L > 2 a stroke names one class of many: the open pixels stay open
    three = REFINERS["checked_sure"].refine(image, positive, negative, 3)
    assert (three[24:27, 4:20] == IGNORE_LABEL).all()


def test_checked_sure_labels_grow_a_stroke_over_its_object_when_classes_are_many():
    """L = 3: a scribble names one object's class; its labels grow over the object it
    lies on, up to the grey rim (nearer the background's colour), and not onto an
    object of the same colour that no stroke touched, which may be of another class.
    For L = 2 the object's labels stay on the stroke."""
    image = np.full((48, 48, 1), 0.05, np.float32)
    image[3:21, 3:21] = 0.3    # the drawn object's blurred rim
    image[4:20, 4:20] = 0.9    # the drawn object
    image[28:44, 28:44] = 0.9  # another one, undrawn
    positive = np.full((48, 48), IGNORE_LABEL, np.uint8)
    positive[11:13, 6:18] = 2  # a scribble on the first object
    negative = np.full((48, 48), IGNORE_LABEL, np.uint8)
    negative[44:46, 4:20] = 2  # "not 2", far away
    drawn_object = image[..., 0] == 0.9
    drawn_object[24:] = False
    three = REFINERS["checked_sure"].refine(image, positive, negative, 3)
    assert (three[drawn_object] == 2).all()
    assert (three[(image[..., 0] == 0.3)] == IGNORE_LABEL).all()
    assert (three[28:44, 28:44] == IGNORE_LABEL).all()
    binary = [np.where(drawing == 2, 1, IGNORE_LABEL).astype(np.uint8) for drawing in (positive, negative)]
    two = REFINERS["checked_sure"].refine(image, *binary, 2)
    assert (two[drawn_object] == 1).mean() < 0.2


def test_checked_sure_labels_grow_classes_alike_in_colour_apart_only_where_unshared():
    """L = 3, two white objects of classes 1 and 2, each with a stroke: colour tells
    each from the background, not from the other, so each grows over its own object;
    where the two objects touch, the joined piece is left open."""
    image = np.full((48, 64, 1), 0.05, np.float32)
    image[4:20, 4:20] = image[4:20, 40:56] = 0.9   # apart
    image[28:44, 4:20] = image[28:44, 20:36] = 0.9  # touching
    positive = np.full((48, 64), IGNORE_LABEL, np.uint8)
    positive[11:13, 6:18] = positive[35:37, 6:18] = 1
    positive[11:13, 42:54] = positive[35:37, 22:34] = 2
    negative = np.full((48, 64), IGNORE_LABEL, np.uint8)
    negative[1:3, 24:36] = negative[46:48, 40:60] = 1  # "not 1" over the background
    checked = REFINERS["checked_sure"].refine(image, positive, negative, 3)
    assert (checked[4:20, 4:20] == 1).all() and (checked[4:20, 40:56] == 2).all()
    touching = (image[..., 0] == 0.9) & (np.arange(48) >= 24)[:, None]
    np.testing.assert_array_equal(checked[touching & (positive == IGNORE_LABEL)], IGNORE_LABEL)


def test_checked_sure_labels_check_a_negative_fill_and_trust_a_negative_stroke():
    """A painted negative region crosses the object's thin line: its interior there is
    withdrawn, as a positive fill's spill is. A thin negative stroke is trusted."""
    from coarseseg_tf.refine.seeds import negative_fills
    image = np.zeros((64, 40, 1), np.float32)
    image[4:60, 19:21] = 0.9  # a thin bright line
    positive = np.full((64, 40), IGNORE_LABEL, np.uint8)
    positive[4:24, 16:24] = 1  # its top, filled
    negative = np.full((64, 40), IGNORE_LABEL, np.uint8)
    negative[26:46, 8:32] = 1  # a region "not the object" across the line
    negative[52:54, 12:28] = 1  # a stroke across it
    assert negative_fills(negative)[30, 10] and not negative_fills(negative)[53, 14]
    sure = REFINERS["sure"].refine(image, positive, negative, 2)
    checked = REFINERS["checked_sure"].refine(image, positive, negative, 2)
    crossed = np.zeros((64, 40), bool)
    crossed[29:33, 19:21] = True  # the region's sure interior within RADIUS of the object's
    assert (sure[crossed] == 0).all() and (checked[crossed] == IGNORE_LABEL).all()
    assert (checked[29:43, 11:16] == 0).all()  # the region's dark interior stays
    np.testing.assert_array_equal(checked[52:54][sure[52:54] == 0], 0)  # the stroke's core stays


def test_checked_sure_labels_withdraw_what_not_k_only_assumed():
    """L = 3: "not 1" implies background only by assumption; where the stroke crosses an
    undrawn object of another class, the colours withdraw that background."""
    image = np.zeros((40, 40, 1), np.float32)
    image[5:35, 6:12] = 0.9  # object of class 1, filled
    image[5:35, 26:32] = 0.9  # object of class 2 (alike: two white digits), not drawn
    positive = np.full((40, 40), IGNORE_LABEL, np.uint8)
    positive[3:37, 4:14] = 1
    negative = np.full((40, 40), IGNORE_LABEL, np.uint8)
    negative[20:22, 18:38] = 1  # "not 1": over background, then across object 2
    sure = REFINERS["sure"].refine(image, positive, negative, 3)
    checked = REFINERS["checked_sure"].refine(image, positive, negative, 3)
    across = np.zeros((40, 40), bool)
    across[20:22, 26:32] = True
    assert (sure[across] == 0).any() and (checked[across] == IGNORE_LABEL).all()
    assert (checked[20:22, 18:24] == 0).any()  # over the background it stays background
