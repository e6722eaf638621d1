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
