"""CSV and image-folder sources, with their data made on the fly."""

import csv

import numpy as np
import pytest
from PIL import Image

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.runtime.data import DataError, check_data
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.sources import ImageFolder, check_images, open_source

keras = import_keras()
rng = np.random.default_rng(3)


def chain(shape, units, activation=None, loss=None, flatten=False):
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": list(shape)})
    last = x
    if flatten:
        last_node = doc.add_node("Flatten")
        doc.connect(Edge(last.id, 0, last_node.id, 0))
        last = last_node
    params = {"units": units, **({"activation": activation} if activation else {})}
    out = doc.add_node("Dense", name="out", params=params)
    doc.connect(Edge(last.id, 0, out.id, 0))
    doc.outputs = [out.id]
    if loss:
        doc.training = {"loss": loss}
    return doc


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def iris_like(tmp_path):
    values = rng.normal(size=(30, 3)).round(3)
    species = rng.choice(["setosa", "virginica", "versicolor"], size=30)
    path = tmp_path / "t.csv"
    write_csv(path, ["a", "b", "c", "species"], [[*v, s] for v, s in zip(values, species,
                                                                           strict=True)])
    return path, values, species


def test_csv_named_features_and_a_categorical_target(iris_like):
    path, values, species = iris_like
    doc = chain((2,), 3, "softmax")
    data = open_source(f"csv:{path}?features=a,c&target=species", doc)
    np.testing.assert_allclose(data.x["x"], values[:, [0, 2]], rtol=1e-6)
    names = sorted(set(species))
    assert data.class_names == {"out": names}
    assert [names[i] for i in data.y["out"]] == list(species)
    assert check_data(doc, data) == []


def test_csv_defaults_to_last_column_and_one_hot_for_categorical_loss(iris_like):
    path, values, species = iris_like
    doc = chain((3,), 3, "softmax", loss="categorical_crossentropy")
    data = open_source(f"csv:{path}", doc)
    np.testing.assert_allclose(data.x["x"], values, rtol=1e-6)
    ids = np.array([sorted(set(species)).index(s) for s in species])
    np.testing.assert_array_equal(data.y["out"], np.eye(3)[ids])
    assert check_data(doc, data) == []


def test_csv_numeric_target_is_regression_for_a_linear_output(tmp_path):
    values = rng.normal(size=(12, 3))
    write_csv(tmp_path / "r.csv", ["u", "v", "price"], values.tolist())
    doc = chain((2,), 1)
    data = open_source(f"csv:{tmp_path / 'r.csv'}", doc)
    np.testing.assert_allclose(data.y["out"][:, 0], values[:, 2], rtol=1e-6)
    assert check_data(doc, data) == []


@pytest.mark.parametrize("query, message", [
    ("?features=a,zz&target=species", r"no column 'zz'\. Columns: a, b, c, species"),
    ("?features=a,species&target=b", r"feature column 'species' must hold numbers"),
])
def test_csv_errors_name_the_column(iris_like, query, message):
    with pytest.raises(DataError, match=message):
        open_source(f"csv:{iris_like[0]}{query}", chain((2,), 3, "softmax"))


def test_csv_empty_cell_names_its_row(tmp_path):
    write_csv(tmp_path / "e.csv", ["a", "y"], [["1", "0"], ["", "1"]])
    with pytest.raises(DataError, match=r"row 3: column 'a' is empty"):
        open_source(f"csv:{tmp_path / 'e.csv'}", chain((1,), 2, "softmax"))


@pytest.mark.parametrize("column, cell, message", [
    ("a", "nan", r"row 3: column 'a' holds 'nan', expected a finite number"),
    ("a", "-inf", r"row 3: column 'a' holds '-inf', expected a finite number"),
    ("a", "1e999", r"row 3: column 'a' holds '1e999', expected a finite number"),
    ("y", "NaN", r"row 3: column 'y' holds 'NaN', expected a finite number"),
    ("a", "abc", r"row 3: feature column 'a' must hold numbers\. Received 'abc'"),
])
def test_csv_cell_that_is_no_finite_number_names_its_row(tmp_path, column, cell, message):
    rows = [["1", "0"], ["2", "1"], ["3", "0"]]
    rows[1][["a", "y"].index(column)] = cell
    write_csv(tmp_path / "n.csv", ["a", "y"], rows)
    doc = chain((1,), 2, "softmax")
    with pytest.raises(DataError, match=message):
        open_source(f"csv:{tmp_path / 'n.csv'}", doc)


def test_csv_class_named_nan_stays_a_class(tmp_path):
    """A target of names may hold the name "nan": it is a class, not a missing number."""
    write_csv(tmp_path / "c.csv", ["a", "y"], [["1", "cat"], ["2", "nan"], ["3", "cat"]])
    data = open_source(f"csv:{tmp_path / 'c.csv'}", chain((1,), 2, "softmax"))
    assert data.class_names == {"out": ["cat", "nan"]}
    assert data.y["out"].tolist() == [0, 1, 0]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "imgs"
    made = {}
    for k, name in enumerate(["cat", "dog", "eel"]):
        (root / name).mkdir(parents=True)
        for i in range(5):
            size = (10 + i, 7 + 2 * k)
            pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype="uint8")
            path = root / name / f"{i}.{'png' if i % 2 else 'jpg'}"
            Image.fromarray(pixels).save(path)
            made[path] = k
    (root / "dog" / "notes.txt").write_text("not an image")
    return root, made


@pytest.mark.parametrize("channels, mode", [(3, "rgb"), (1, "grayscale")])
def test_image_folder_batches_match_keras_image_loading(folder, channels, mode):
    root, made = folder
    doc = chain((6, 5, channels), 3, "softmax", flatten=True)
    data = open_source(f"images:{root}", doc, seed=1, validation_split=0.2, batch_size=4)
    assert isinstance(data, ImageFolder) and data.class_names == ["cat", "dog", "eel"]
    train, val = data.train, data.validation
    assert (len(train.files), len(val.files)) == (12, 3)
    assert sorted(map(str, train.files + val.files)) == sorted(map(str, made))
    x, y = train[0]
    assert x.shape == (4, 6, 5, channels) and x.dtype == np.float32
    for image, label, path in zip(x, y, [train.files[i] for i in train._order[:4]],
                                  strict=True):
        assert label == made[path]
        reference = keras.utils.img_to_array(keras.utils.load_img(
            path, color_mode=mode, target_size=(6, 5), interpolation="bilinear"))
        np.testing.assert_array_equal(image, reference)


def test_image_folder_reshuffles_and_trains_with_fit(folder):
    root, _ = folder
    doc = chain((8, 8, 3), 3, "softmax", flatten=True, loss="categorical_crossentropy")
    data = open_source(f"images:{root}", doc, seed=0, validation_split=0.0, batch_size=5)
    assert data.validation is None and len(data.train) == 3
    first = data.train._order.copy()
    data.train.on_epoch_end()
    assert sorted(first) == sorted(data.train._order) and list(first) != list(data.train._order)
    assert data.train[0][1].shape == (5, 3)  # one-hot rows for categorical crossentropy
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(data.train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_image_folder_refuses_inputs_that_are_not_images(folder, tmp_path):
    with pytest.raises(DataError, match=r"shape \(height, width, channels\)"):
        open_source(f"images:{folder[0]}", chain((12,), 3, "softmax"))
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DataError, match="found no image files"):
        open_source(f"images:{tmp_path / 'empty'}", chain((4, 4, 3), 2, "softmax",
                                                         flatten=True))


def test_files_that_are_no_images_are_named_before_any_batch(folder):
    """A file with an image's suffix that Pillow cannot identify is refused when the data
    is opened, naming it, not when the first epoch reaches it."""
    root, _ = folder
    (root / "dog" / "broken.png").write_bytes(b"this is not a png")
    (root / "cat" / "empty.jpg").write_bytes(b"")
    doc = chain((6, 5, 3), 3, "softmax", flatten=True)
    with pytest.raises(DataError) as caught:
        open_source(f"images:{root}", doc, seed=1, batch_size=4)
    message = str(caught.value)
    assert "2 of 17 image file(s) cannot be read as images" in message
    assert "dog/broken.png (cannot identify image file)" in message
    assert "cat/empty.jpg (" in message and "nothing was trained" in message


def test_an_image_cut_short_is_named_when_its_batch_is_read(folder):
    root, made = folder
    whole = next(p for p in made if p.suffix == ".png")
    data = whole.read_bytes()
    (root / "eel" / "cut.png").write_bytes(data[:len(data) // 2])
    doc = chain((6, 5, 3), 3, "softmax", flatten=True)
    batches = open_source(f"images:{root}", doc, seed=1, batch_size=16).train
    with pytest.raises(DataError, match=r"Could not read image .*eel/cut\.png"):
        batches[0]


def test_more_classes_than_units_get_one_unit_per_class_from_the_issue(folder):
    from kerascanvas.runtime.build import build_model

    root, _ = folder
    doc = chain((6, 5, 3), 2, "softmax", flatten=True, loss="sparse_categorical_crossentropy")
    data = open_source(f"images:{root}", doc, seed=0, validation_split=0.0, batch_size=5)
    (issue,) = check_images(doc, data)
    assert issue.code == "label_range" and issue.fixes == ("set_units_to_labels",)
    assert issue.data == {"units": len(data.class_names)} == {"units": 3}
    apply_fix(doc, issue, "set_units_to_labels", UndoStack())
    assert check_images(doc, data) == []
    model = build_model(doc)
    model.compile("adam", "sparse_categorical_crossentropy")
    assert model.output.shape[-1] == 3 and model.fit(data.train, epochs=1, verbose=0)


def test_classes_are_the_subfolders_keras_counts_and_an_empty_one_is_warned_of(folder):
    """A hidden subfolder (.ipynb_checkpoints) was counted as a class, which Keras'
    image_dataset_from_directory leaves out; an empty class folder counted silently."""
    from keras.src.utils.dataset_utils import index_directory

    from kerascanvas.runtime.sources import check_source, list_folder

    root, _ = folder
    (root / ".ipynb_checkpoints").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), "uint8")).save(root / ".ipynb_checkpoints" / "1.png")
    (root / "bee").mkdir()  # empty: still a class in Keras
    files, labels, names = index_directory(str(root), "inferred", formats=(".png", ".jpg"),
                                           shuffle=False)
    listing = list_folder(str(root))
    assert listing.class_names == names == ["bee", "cat", "dog", "eel"]
    assert sorted(map(str, listing.files)) == sorted(files)
    assert sorted(listing.labels.tolist()) == sorted(np.asarray(labels).tolist())
    assert listing.empty == ["bee"]
    doc = chain((6, 5, 3), 4, "softmax", flatten=True)
    for data in (listing, open_source(f"images:{root}", doc)):
        found = [i for i in check_source(doc, data) if i.code == "empty_class"]
        assert len(found) == 1 and found[0].severity == "warning"
        assert found[0].node == doc.outputs[0]
        assert "'bee' holds no image" in found[0].message and "class id 0 of 4" in found[0].message
