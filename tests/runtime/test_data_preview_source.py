"""What the data preview reads: the labels and first samples of a source without the rest,
equal to what a run loads (`open_source`, the arrays training is fed) for the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.runtime.data import load_preview
from kerascanvas.runtime.sources import csv_data, csv_target, open_source
from tests.runtime.test_data import classifier, two_headed


def _assert_same(preview, count, full):
    assert count == full.num_samples
    assert preview.y.keys() == full.y.keys()
    for name, labels in full.y.items():
        np.testing.assert_array_equal(preview.y[name], labels)
        assert preview.y[name].dtype == labels.dtype
    for name, samples in full.x.items():
        np.testing.assert_array_equal(preview.x[name], samples[:len(preview.x[name])])
        assert preview.x[name].shape[1:] == samples.shape[1:]


@pytest.mark.parametrize("doc, spec, seed", [
    (classifier(shape=(12, 12, 3), loss="categorical_crossentropy"), "synthetic:40", 7),
    (classifier(units=5), "synthetic", 0),
    (two_headed(), "synthetic:30", 3),  # several inputs, an unknown length, three heads
    (classifier(shape=(64,)), "sklearn:digits", 5),
    (classifier(units=3, shape=(4,)), "sklearn:iris", None),
])
def test_the_preview_reads_the_labels_and_first_samples_a_run_loads(doc, spec, seed):
    preview, count = load_preview(spec, doc, seed, head=8)
    _assert_same(preview, count, open_source(spec, doc, seed))
    assert all(len(a) == min(8, count) for a in preview.x.values())


def test_synthetic_inputs_are_drawn_only_for_the_first_samples(monkeypatch):
    """256 images of 224 x 224 x 3 were drawn (~150 MB) to show shapes and 8 thumbnails."""
    import kerascanvas.runtime.synthetic as synthetic

    drawn = []
    original = synthetic._random_input
    monkeypatch.setattr(synthetic, "_random_input", lambda rng, doc, node, n: drawn.append(
        n) or original(rng, doc, node, n))
    preview, count = load_preview("synthetic", classifier(shape=(224, 224, 3)), 1, head=8)
    assert drawn == [8] and count == 256 and len(preview.y["out"]) == 256


@pytest.mark.parametrize("query, column, features", [
    ("?features=a,n", "species", 2), ("?features=a,n&target=kind", "kind", 2),
    ("?features=a&target=n", "n", 1)])
def test_csv_counts_are_those_of_the_target_a_run_reads(tmp_path, query, column, features):
    """The preview counted the last column whatever `target=` named, and by its text
    (so '1' and '1.0' were two classes where training sees one)."""
    path = tmp_path / "t.csv"
    rows = [f"{i % 3},{'xy'[i % 2]},{['1', '1.0', '2'][i % 3]},{'abc'[i % 4 % 3]}"
            for i in range(23)]
    path.write_text("a,kind,n,species\n" + "\n".join(rows) + "\n")
    doc = classifier(units=3, shape=(features,), loss="sparse_categorical_crossentropy")
    header, count, target, labels, classes = csv_target(f"{path}{query}", doc)
    full = csv_data(f"{path}{query}", doc)
    assert (header, count, target) == (["a", "kind", "n", "species"], 23, column)
    np.testing.assert_array_equal(labels, full.y["out"])
    assert classes == full.class_names.get("out")


def _files(tmp_path, kind):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 8, 8, 1)).astype("float32"), rng.integers(0, 10, 30)
    if kind == "npz x/y":
        np.savez(tmp_path / "d.npz", x=x, y=y, x_val=x[:5], y_val=y[:5])
    elif kind == "npz by name, compressed":
        np.savez_compressed(tmp_path / "d.npz", image=x, out=y)
    elif kind == "npz in Fortran order":
        np.savez(tmp_path / "d.npz", x=np.asfortranarray(x), y=y)
    else:
        np.save(tmp_path / "x.npy", x)
        np.save(tmp_path / "y.npy", y)
        return f"{tmp_path / 'x.npy'},{tmp_path / 'y.npy'}"
    return str(tmp_path / "d.npz")


@pytest.mark.parametrize("kind", ["npz x/y", "npz by name, compressed", "npz in Fortran order",
                                  "npy pair"])
def test_a_data_files_labels_and_first_samples_are_those_a_run_loads(tmp_path, kind,
                                                                      monkeypatch):
    """The inputs were read whole (np.load) to show their shapes and 8 thumbnails."""
    spec, doc = _files(tmp_path, kind), classifier(loss="categorical_crossentropy")
    full = open_source(spec, doc)
    if kind != "npz in Fortran order":  # its rows are not contiguous: it is read whole
        monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("an array read whole"))
    preview, count = load_preview(spec, doc, None, head=8)
    _assert_same(preview, count, full)
    assert len(preview.x["image"]) == 8


def test_a_data_files_unpaired_validation_arrays_are_refused_as_a_run_refuses_them(tmp_path):
    from kerascanvas.runtime.data import DataError

    np.savez(tmp_path / "d.npz", x=np.zeros((4, 8, 8, 1)), y=np.zeros(4, "int64"),
             x_val=np.zeros((2, 8, 8, 1)))
    with pytest.raises(DataError) as run:
        open_source(str(tmp_path / "d.npz"), classifier())
    with pytest.raises(DataError) as preview:
        load_preview(str(tmp_path / "d.npz"), classifier())
    assert str(preview.value) == str(run.value)
