"""The data loading of a generated training script: synthetic data, scikit-learn sets,
CSV and .npz files, labels in the form each output's loss expects, and the validation split.

Plain text with no user data in it (`codegen.script` writes the constants INPUTS,
LOSSES...). It mirrors `kerascanvas.runtime.data`, and for CSV files
`kerascanvas.runtime.csv_source` (read column by column, a chunk of rows at a time, into
one array per column), so `python train.py` reads the same arrays as the app, as fast,
without importing kerascanvas.
"""

DATA_FUNCTIONS = '''\
def packed(arrays, names):
    """Arrays as the model takes them: a single array alone, several as a list in model
    order, or a dict by the model's own keys when it takes (or returns) a dict."""
    keys = INPUT_KEYS if names is INPUTS else OUTPUT_KEYS
    if keys is not None:
        return {keys[name]: arrays[name] for name in names}
    items = [arrays[name] for name in names]
    return items[0] if len(items) == 1 else items


def label_form(loss):
    """What labels a loss expects: class ids, one-hot rows, 0/1 values, or any numbers."""
    name = loss if isinstance(loss, str) else getattr(loss, 'name', '')
    if name.startswith('sparse_categorical'):
        return 'sparse'
    if name in ('categorical_crossentropy', 'categorical_focal_crossentropy',
                'kl_divergence', 'categorical_hinge'):
        return 'onehot'
    if name in ('binary_crossentropy', 'binary_focal_crossentropy', 'hinge', 'squared_hinge'):
        return 'binary'
    return 'regression'


def output_shapes(model, x):
    """Each output's per-sample shape, from a forward pass on two samples. A direct call,
    not `predict`: its data loader draws from torch's random generator, which would change
    the seeded shuffle and Dropout masks of the training that follows."""
    preds = model(packed({k: v[:2] for k, v in x.items()}, INPUTS), training=False)
    if isinstance(preds, dict):
        preds = [preds[OUTPUT_KEYS[name]] for name in LOSSES]
    preds = preds if isinstance(preds, (list, tuple)) else [preds]
    return {name: tuple(p.shape[1:]) for name, p in zip(LOSSES, preds, strict=True)}


def random_input(rng, n, shape, dtype, int_limit):
    shape = (n, *(UNKNOWN_LENGTH if d is None else d for d in shape))
    dtype = np.dtype('float32' if dtype == 'bfloat16' else dtype)
    if int_limit is not None or dtype.kind in 'iu':
        return rng.integers(0, int_limit or 10, size=shape).astype(dtype)
    if dtype.kind == 'b':
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dtype)


def random_labels(rng, n, loss, shape):
    form = label_form(loss)
    if form in ('sparse', 'onehot'):
        ids = rng.integers(0, shape[-1], size=(n, *shape[:-1]))
        return ids if form == 'sparse' else np.eye(shape[-1], dtype='float32')[ids]
    if form == 'binary':
        return (rng.random((n, *shape)) < 0.5).astype('float32')
    return rng.standard_normal((n, *shape)).astype('float32')


def synthetic_data(model, n, seed):
    """Random inputs, and labels of the form each output's loss expects: the labels, then
    each input, drawn from a stream of their own spawned from the seed."""
    labels_rng, *input_rngs = [np.random.default_rng(s) for s in
                               np.random.SeedSequence(seed).spawn(1 + len(INPUTS))]
    x = {name: random_input(rng, n, *spec)
         for (name, spec), rng in zip(INPUTS.items(), input_rngs, strict=True)}
    shapes = output_shapes(model, x)
    y = {name: random_labels(labels_rng, n, loss, shapes[name]) for name, loss in LOSSES.items()}
    return x, y, None, None


def single_pair(source):
    if len(INPUTS) != 1 or len(LOSSES) != 1:
        raise SystemExit(f'{source} gives one input array and one label array, so the model '
                         f'needs one input and one output; it has {len(INPUTS)} and {len(LOSSES)}')
    return next(iter(INPUTS)), next(iter(LOSSES))


def sklearn_data(name, seed):
    """A set that scikit-learn ships (digits as 8x8x1 images), shuffled."""
    from sklearn import datasets

    if name not in ('digits', 'iris', 'wine', 'breast_cancer'):
        raise SystemExit(f'Expected sklearn:digits|iris|wine|breast_cancer, received {name!r}')
    bunch = getattr(datasets, f'load_{name}')()
    x, y = bunch.data.astype('float32'), bunch.target.astype('int64')
    if name == 'digits':
        x = x.reshape(-1, 8, 8, 1)
    order = np.random.default_rng(0 if seed is None else seed).permutation(len(x))
    input_name, output_name = single_pair(f'sklearn:{name}')
    x, shape = x[order], INPUTS[input_name][0]
    if None not in shape and np.prod(shape) == np.prod(x.shape[1:]):
        x = x.reshape(len(x), *shape)
    return {input_name: x}, {output_name: y[order]}, None, None


def pick(arrays, names, single, path, prefix='', optional=False):
    """`single` (x, y...) for a lone input or output, else one array per name."""
    if len(names) == 1 and single in arrays:
        return {names[0]: arrays[single]}
    keys = [prefix + name for name in names]
    if all(key in arrays for key in keys):
        return {name: arrays[key] for name, key in zip(names, keys, strict=True)}
    if optional and not any(key in arrays for key in keys):
        return None
    raise SystemExit(f'{path} needs an array {single!r} or arrays {keys}; it has {sorted(arrays)}')


def npz_data(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as exc:  # missing, not an .npz, truncated, or arrays of pickled objects
        raise SystemExit(f'--data {path}: cannot read it ({exc})') from None
    x_val = pick(arrays, list(INPUTS), 'x_val', path, 'val_', optional=True)
    y_val = pick(arrays, list(LOSSES), 'y_val', path, 'val_', optional=True)
    if (x_val is None) != (y_val is None):
        raise SystemExit(f'{path}: validation arrays need both inputs and labels')
    x, y = pick(arrays, list(INPUTS), 'x', path), pick(arrays, list(LOSSES), 'y', path)
    return x, y, x_val, y_val


def csv_columns(path, chunk_rows=4096):
    """The file's header and its columns of stripped texts ('' where a row is short), as
    Keras Canvas reads them: `chunk_rows` rows at a time become one array per column, so
    no list per row is kept. Blank lines are skipped."""
    import csv
    import itertools

    try:
        with open(path, newline='', encoding='utf-8-sig') as handle:
            reader = csv.reader(handle)
            header = next((row for row in reader if row), None)
            chunks = [[] for _ in header or ()]  # per column: an array per chunk of rows
            while read := list(itertools.islice(reader, chunk_rows)):
                rows = [row for row in read if row]
                cells = list(itertools.zip_longest(*rows, fillvalue=''))
                for i, column in enumerate(chunks):
                    texts = cells[i] if i < len(cells) else [''] * len(rows)
                    column.append(np.fromiter(map(str.strip, texts), dtype=object,
                                              count=len(texts)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SystemExit(f'--data csv:{path}: cannot read it ({exc})') from None
    columns = [np.concatenate(column) for column in chunks if column]
    if header is None or not columns or not len(columns[0]):
        raise SystemExit(f'--data csv:{path}: expected a header row and at least one data row')
    return [name.strip() for name in header], columns


def csv_column(header, columns, name, path):
    """The texts of column `name`; an empty one is refused, naming its row."""
    values = columns[header.index(name)]
    empty = np.flatnonzero(values == '')
    if len(empty):
        raise SystemExit(f'--data csv:{path}, row {empty[0] + 2}: column {name!r} is empty')
    return values


def csv_numbers(values, name, path):
    """The column's values as numbers, or None when one is no number; one that is no
    finite number ('nan', 'inf', '1e999') is refused, naming its row, as runs refuse it."""
    try:
        numbers = np.fromiter(map(float, values), dtype='float64', count=len(values))
    except ValueError:
        return None
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        raise SystemExit(f'--data csv:{path}, row {bad[0] + 2}: column {name!r} holds '
                         f'{values[bad[0]]!r}, expected a finite number')
    return numbers


def csv_features(header, columns, features, path):
    """The feature columns as float32 (rows, features); a text that is no number is
    refused, naming its row."""
    x = []
    for name in features:
        values = csv_column(header, columns, name, path)
        numbers = csv_numbers(values, name, path)
        if numbers is None:
            row, value = csv_not_a_number(values)
            raise SystemExit(f'--data csv:{path}, row {row}: feature column {name!r} '
                             f'must hold numbers. Received {value!r}')
        x.append(numbers)
    return np.stack(x, axis=1).astype('float32')


def csv_not_a_number(values):
    """The row (the header is row 1) and text of the first value that is no number."""
    for row, value in enumerate(values, start=2):
        try:
            float(value)
        except ValueError:
            return row, value
    raise ValueError('every value is a number')


def csv_labels(values, name, path, loss):
    """Class ids in the sorted order of the names when a value is no number; else the
    numbers: class ids when the loss takes them and all are whole, else a column."""
    numbers = csv_numbers(values, name, path)
    if numbers is None:
        ids = {name: i for i, name in enumerate(sorted(set(values)))}
        return np.fromiter(map(ids.__getitem__, values), dtype='int64', count=len(values))
    if label_form(loss) != 'regression' and np.all(numbers % 1 == 0):
        return numbers.astype('int64')
    return numbers.astype('float32')[:, None]


def csv_data(rest):
    """`FILE?features=a,b&target=y` as Keras Canvas reads it: a header row, numeric
    features (default: every column but the target), a target (default: the last column)
    whose values, unless all numbers, are class names that become ids in sorted order."""
    from urllib.parse import parse_qs

    path, _, query = rest.partition('?')
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    header, columns = csv_columns(path)
    target = options.get('target') or header[-1]
    features = ([f.strip() for f in options['features'].split(',')] if 'features' in options
                else [h for h in header if h != target])
    for name in (*features, target):
        if name not in header:
            raise SystemExit(f'--data csv:{path}: no column {name!r}. Columns: {header}')
    if not features:
        raise SystemExit(f'--data csv:{path}: expected a feature column besides the target')
    input_name, output_name = single_pair(f'csv:{path}')
    x = csv_features(header, columns, features, path)
    y = csv_labels(csv_column(header, columns, target, path), target, path,
                   LOSSES[output_name])
    shape = INPUTS[input_name][0]
    if None not in shape and np.prod(shape) == x.shape[1]:
        x = x.reshape(len(x), *shape)
    return {input_name: x}, {output_name: y}, None, None


def input_ranks(x):
    """Each input array given its Input's rank where a last axis of 1 is missing or extra
    (grey images (n, 28, 28) for an Input of (28, 28, 1)), as Keras' functional models
    take them and the app's run does; a subclassed model would refuse them."""
    for name, arr in x.items():
        shape = INPUTS[name][0]
        if arr.ndim == len(shape) + 2 and arr.shape[-1] == 1:
            x[name] = arr.reshape(arr.shape[:-1])
        elif arr.ndim == len(shape) and shape and shape[-1] == 1:
            x[name] = arr.reshape(*arr.shape, 1)
    return x


def one_hot(model, x, y):
    """Class ids become one-hot rows for outputs trained with a categorical loss."""
    shapes = output_shapes(model, x)
    for name, labels in y.items():
        shape = shapes[name]
        if label_form(LOSSES[name]) == 'onehot' and labels.dtype.kind in 'iu' and (
                labels.ndim == len(shape)):
            y[name] = np.eye(shape[-1], dtype='float32')[labels]
    return y


def load_data(spec, model, seed):
    """(x, y, x_val, y_val) dicts by name for spec synthetic[:N], sklearn:NAME, csv:FILE or
    FILE.npz."""
    kind, _, arg = spec.partition(':')
    if kind == 'synthetic':
        return synthetic_data(model, int(arg or SYNTHETIC_SAMPLES), seed)
    if kind == 'sklearn':
        x, y, x_val, y_val = sklearn_data(arg, seed)
    elif kind == 'csv':
        x, y, x_val, y_val = csv_data(arg)
    elif spec.endswith('.npz'):
        x, y, x_val, y_val = npz_data(spec)
    else:
        raise SystemExit(f'Expected --data synthetic[:N], sklearn:NAME, csv:FILE or FILE.npz, '
                         f'got {spec!r}')
    x = input_ranks(x)
    if x_val is not None:
        x_val = input_ranks(x_val)
        y_val = one_hot(model, x_val, y_val)
    return x, one_hot(model, x, y), x_val, y_val


def check_save_path(path):
    """Refuse a --save path Keras cannot write before training, not after it."""
    if not path.endswith(('.keras', '.h5')):
        raise SystemExit(f'--save {path}: expected a file name ending in .keras')
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SystemExit(f'--save {path}: the folder {folder} does not exist; create it '
                         f'first (nothing was trained)')


def split_validation(x, y, fraction):
    """Hold out the last `fraction` of the samples, as Keras' validation_split does."""
    n = len(next(iter(x.values())))
    cut = int(n * (1.0 - fraction))
    if fraction <= 0 or cut in (0, n):
        return x, y, None, None
    head = ({k: v[:cut] for k, v in x.items()}, {k: v[:cut] for k, v in y.items()})
    return (*head, {k: v[cut:] for k, v in x.items()}, {k: v[cut:] for k, v in y.items()})
'''
