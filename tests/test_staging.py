"""Outputs written together: all appear, or every target stays as it was."""
import os

import numpy as np
import pytest

from coarseseg_tf.staging import staged


def test_all_targets_appear_together_replacing_what_was_there(tmp_path):
    old_dir = tmp_path / "split"
    old_dir.mkdir()
    (old_dir / "old.txt").write_text("old")
    targets = [str(tmp_path / "a.npz"), str(tmp_path / "deeper" / "b.png"), str(old_dir)]
    with staged(*targets) as paths:
        assert paths[0].endswith(".npz") and paths[1].endswith(".png")
        np.savez_compressed(paths[0], x=np.arange(3))  # numpy keeps the name: it ends in .npz
        open(paths[1], "wb").write(b"png")
        os.makedirs(paths[2])
        open(os.path.join(paths[2], "new.txt"), "w").write("new")
        assert not any(os.path.exists(t) for t in targets[:2])  # nothing in place before the end
    assert np.load(targets[0])["x"].tolist() == [0, 1, 2]
    assert open(targets[1], "rb").read() == b"png"
    assert sorted(os.listdir(old_dir)) == ["new.txt"]
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "deeper", "split"]  # no temporary left


def test_a_failure_leaves_every_target_as_it_was(tmp_path):
    kept = tmp_path / "kept.npz"
    kept.write_bytes(b"earlier data")
    with pytest.raises(RuntimeError, match="half-way"):
        with staged(str(kept), str(tmp_path / "new" / "dir" / "other.png")) as paths:
            open(paths[0], "wb").write(b"new data")
            raise RuntimeError("failed half-way")
    assert kept.read_bytes() == b"earlier data"
    assert sorted(os.listdir(tmp_path)) == ["kept.npz"]
