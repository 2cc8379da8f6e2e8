"""The data part of an exported script: load a data set the standard way, then what tuitrain does to it.

tuitrain's data layer (:mod:`tuitrain.data`) reads the same files as ``keras.datasets`` and processes
them the same way; the script uses ``keras.datasets`` itself (or scikit-learn, or ``numpy.load`` for
a user's file), then applies the experiment's subsets, validation split, scaling and label encoding
in the order :func:`tuitrain.data.load_dataset` does, so both see identical arrays.

``--data-dir`` lets the script read copied Keras files (an air-gapped server, the tests' data files):
``keras.datasets`` reads only its own cache and downloads again over a file whose checksum is not the
official one, so a copy is read with NumPy, as ``keras.datasets`` reads its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.data.sources import FASHION_MNIST_FILES
from tuitrain.data.usernpz import resolve_path
from tuitrain.spec import (
    DigitsDataset,
    Experiment,
    FashionMnistDataset,
    ImdbDataset,
    MnistDataset,
    NpzDataset,
)
from tuitrain.spec.derived import LabelFormat

IMAGE_SCALE = {"mnist": 255.0, "fashion_mnist": 255.0, "digits": 16.0}
"""What ``normalize`` divides the built-in image data sets by (their largest pixel value)."""


@dataclass
class DataCode:
    """The pieces of the script that deal with data."""

    imports: set[str] = field(default_factory=set)
    constants: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    argument: str = ""
    """The argparse ``add_argument`` call for where the data is (level 1)."""
    main_lines: list[str] = field(default_factory=list)
    """The lines in ``main()`` (level 1) from loading to encoded labels."""
    features: str = "self.x[rows]"
    """The feature batch for the sample indices ``rows`` inside ``Batches``."""
    input_dim: str = "x_train.shape[1]"


_MNIST_LOADER = '''
def load_data(data_dir):
    """MNIST as keras.datasets.mnist.load_data() returns it: uint8 28x28 images, labels 0..9."""
    if data_dir is None:
        return keras.datasets.mnist.load_data()
    # A copy of Keras' mnist.npz, read as keras.datasets reads its own.
    with np.load(os.path.join(data_dir, "mnist.npz"), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
'''

_FASHION_LOADER = f'''
def load_data(data_dir):
    """Fashion-MNIST as keras.datasets.fashion_mnist.load_data() returns it: uint8 28x28 images."""
    if data_dir is None:
        return keras.datasets.fashion_mnist.load_data()
    # Copies of the four gzipped IDX files Keras downloads (in DIR/fashion-mnist/ as Keras keeps
    # them, or in DIR), read as keras.datasets reads its own: labels after an 8-byte header,
    # images after a 16-byte one.
    folder = os.path.join(data_dir, "fashion-mnist")
    if not os.path.isdir(folder):
        folder = data_dir

    def read(name, header):
        with gzip.open(os.path.join(folder, name), "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=header)

    y_train = read("{FASHION_MNIST_FILES[1]}", 8)
    x_train = read("{FASHION_MNIST_FILES[0]}", 16).reshape(len(y_train), 28, 28)
    y_test = read("{FASHION_MNIST_FILES[3]}", 8)
    x_test = read("{FASHION_MNIST_FILES[2]}", 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
'''

_DIGITS_LOADER = '''
def load_data():
    """scikit-learn's 8x8 digits (pixel values 0..16), split as tuitrain splits them: stratified,
    with a fixed random_state, so every run gets the same test images."""
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size={test_fraction!r}, stratify=digits.target, random_state=0
    )
    return (x_train, y_train), (x_test, y_test)
'''

_IMDB_LOADER = '''
def load_data(data_dir):
    """IMDB as keras.datasets.imdb.load_data(num_words=NUM_WORDS) returns it: reviews as lists
    of word indices (1 = start of review, 2 = a word outside the NUM_WORDS most frequent ones),
    labels 0/1."""
    if data_dir is None:
        return keras.datasets.imdb.load_data(num_words=NUM_WORDS)
    # A copy of Keras' imdb.npz. Its reviews are pickled lists: only read a file you trust.
    with np.load(os.path.join(data_dir, "imdb.npz"), allow_pickle=True) as f:
        x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    if all(len(r) and r[0] == 1 for r in x_train) and all(len(r) and r[0] == 1 for r in x_test):
        # Saved after Keras' processing (every review starts with 1, e.g. a prepared subset):
        # used as stored, with the words beyond NUM_WORDS marked 2.
        def cut(reviews):
            return object_array([[w if w < NUM_WORDS else 2 for w in r] for r in reviews])

        return (cut(x_train), y_train), (cut(x_test), y_test)
    # The raw file: the steps keras.datasets.imdb.load_data takes. Shuffle train, then test,
    # with one RandomState(113); prefix each review with 1 and shift word indices by 3; words
    # beyond NUM_WORDS become 2.
    rng = np.random.RandomState(113)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    def encode(reviews):
        return object_array([[1] + [w + 3 if w + 3 < NUM_WORDS else 2 for w in r] for r in reviews])

    return (encode(x_train), y_train), (encode(x_test), y_test)


def object_array(rows):
    """A 1-D array of lists (np.array makes a 2-D array of lists that are all equally long)."""
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def multi_hot(reviews):
    """The seed example's vectorize_sequences, for one batch: a 1 at every word index a review has.

    tuitrain keeps all reviews as one sparse matrix and feeds sparse batches: the same numbers.
    Dense, the whole training set would take NUM_WORDS x 4 bytes per review (1 GB for 25,000
    reviews of 10,000 words); one batch takes a few MB.
    """
    out = np.zeros((len(reviews), NUM_WORDS), dtype="float32")
    for i, words in enumerate(reviews):
        out[i, words] = 1.0
    return out
'''

_NPZ_LOADER = '''
def load_data(path):
    """Your .npz file: x_train, y_train, x_test, y_test; labels as class ids or one-hot rows."""
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    return (x_train, class_ids(y_train)), (x_test, class_ids(y_test))


def class_ids(y):
    """Integer class ids from ids (n,) or (n, 1), or from one-hot rows (n, classes)."""
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    return y.reshape(-1).astype("int64")
'''

_DATA_DIR_ARGUMENT = (
    'parser.add_argument(\n        "--data-dir",\n        default=None,\n'
    '        help="a folder with copies of {files} (instead of the Keras cache)",\n    )'
)


def data_code(exp: Experiment, labels: LabelFormat, num_classes: int, base_dir: Path | None = None) -> DataCode:
    """Everything the script needs to load ``exp``'s data as tuitrain does, and to batch it."""
    ds = exp.dataset
    code = DataCode()
    load_call = "load_data(args.data_dir)"
    flatten = True
    scale: str | None = None
    if isinstance(ds, MnistDataset):
        code.imports.add("os")
        code.functions.append(_MNIST_LOADER)
        code.argument = _DATA_DIR_ARGUMENT.format(files="mnist.npz")
        scale = repr(IMAGE_SCALE["mnist"])
    elif isinstance(ds, FashionMnistDataset):
        code.imports.update({"os", "gzip"})
        code.functions.append(_FASHION_LOADER)
        code.argument = _DATA_DIR_ARGUMENT.format(files="the Fashion-MNIST .gz files")
        scale = repr(IMAGE_SCALE["fashion_mnist"])
    elif isinstance(ds, DigitsDataset):
        code.imports.add("sklearn")
        code.functions.append(_DIGITS_LOADER.format(test_fraction=ds.test_fraction))
        load_call = "load_data()"
        scale = repr(IMAGE_SCALE["digits"])
    elif isinstance(ds, ImdbDataset):
        code.imports.add("os")
        code.constants.append(f"NUM_WORDS = {ds.num_words}  # dataset.num_words: the vocabulary kept")
        code.functions.append(_IMDB_LOADER)
        code.argument = _DATA_DIR_ARGUMENT.format(files="imdb.npz")
        code.features = "multi_hot(self.x[rows])"
        code.input_dim = "NUM_WORDS"
        flatten = False
    elif isinstance(ds, NpzDataset):
        path = resolve_path(ds.path, base_dir).resolve()
        code.functions.append(_NPZ_LOADER)
        code.argument = (
            f'parser.add_argument("--data", default={str(path)!r}, help="the .npz file (default: the experiment\'s)")'
        )
        load_call = "load_data(args.data)"
        scale = None  # decided from the file's dtype, below
    else:  # pragma: no cover - the spec's discriminated union has no other kinds
        raise ValueError(f"unknown dataset {ds!r}")

    lines = code.main_lines
    lines.append(f"(x_train, y_train), (x_test, y_test) = {load_call}")
    if flatten:
        lines.append("# One flat vector per sample (an image's rows side by side), what a Dense stack takes.")
        lines.append("x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)")
        if isinstance(ds, NpzDataset):
            lines.append("if x_train.dtype == bool:  # tuitrain reads True/False features as 8-bit 1/0")
            lines.append('    x_train, x_test = x_train.astype("uint8"), x_test.astype("uint8")')
    if ds.train_subset is not None:
        lines.append(
            f"x_train, y_train = x_train[:{ds.train_subset}], y_train[:{ds.train_subset}]"
            f"  # dataset.train_subset: the first {ds.train_subset}"
        )
    if ds.validation == "holdout":
        code.imports.add("math")
        lines.append(f"# Validation: the last {ds.holdout_fraction:g} of the training samples, held out unshuffled")
        lines.append("# as Keras' validation_split does.")
        lines.append(f"split_at = math.floor(len(x_train) * (1.0 - {ds.holdout_fraction!r}))")
        lines.append("x_train, y_train, x_val, y_val = (")
        lines.append("    x_train[:split_at], y_train[:split_at], x_train[split_at:], y_train[split_at:]")
        lines.append(")")
    else:
        lines.append("x_val, y_val = x_test, y_test  # validation on the test split")
    if ds.val_subset is not None:
        lines.append(
            f"x_val, y_val = x_val[:{ds.val_subset}], y_val[:{ds.val_subset}]"
            f"  # dataset.val_subset: the first {ds.val_subset}"
        )
    lines.extend(_scaling_lines(getattr(ds, "scaling", None), scale, isinstance(ds, NpzDataset)))
    lines.extend(_label_lines(labels, num_classes))
    return code


def _scaling_lines(scaling: str | None, scale: str | None, from_file: bool) -> list[str]:
    if scaling is None:
        return []  # multi-hot words: 0/1 already
    cast = 'x_train, x_val = x_train.astype("float32"), x_val.astype("float32")'
    if scaling == "none":
        return ["# dataset.scaling = none: the raw values, as float32.", cast]
    if scaling == "normalize":
        lines = []
        if from_file:
            lines.append("# dataset.scaling = normalize: 8-bit values are divided by 255, others by the largest")
            lines.append("# absolute training value, so features lie in [-1, 1].")
            lines.append('scale = 255.0 if x_train.dtype == "uint8" else None')
            lines.append(cast)
            lines.append("scale = scale or float(np.abs(x_train).max(initial=0.0)) or 1.0")
        else:
            lines.append(f"# dataset.scaling = normalize: pixel values divided by {scale} into [0, 1].")
            lines.append(cast)
            lines.append(f"scale = {scale}")
        lines.append("x_train, x_val = x_train / np.float32(scale), x_val / np.float32(scale)")
        return lines
    return [
        "# dataset.scaling = standardize: zero mean, unit variance per feature, with statistics from the",
        "# training samples only (the validation data must not leak into training).",
        cast,
        'mean, std = x_train.mean(axis=0, dtype="float64"), x_train.std(axis=0, dtype="float64")',
        "std[std == 0] = 1.0  # a constant feature (an always-black corner) would divide by zero",
        'mean, std = mean.astype("float32"), std.astype("float32")',
        "x_train, x_val = (x_train - mean) / std, (x_val - mean) / std",
    ]


def _label_lines(labels: LabelFormat, num_classes: int) -> list[str]:
    if labels == "binary":
        return [
            "# Labels as a float 0/1 column, what binary crossentropy compares the sigmoid output with.",
            'y_train, y_val = (y.astype("float32").reshape(-1, 1) for y in (y_train, y_val))',
        ]
    if labels == "sparse":
        return [
            "# Labels as integer class ids, what sparse categorical crossentropy takes.",
            'y_train, y_val = (y.reshape(-1).astype("int32") for y in (y_train, y_val))',
        ]
    return [
        f"# Labels as one-hot rows of {num_classes}, what this loss and these metrics compare the output with.",
        f'y_train, y_val = (np.eye({num_classes}, dtype="float32")[y.reshape(-1).astype("int64")] '
        "for y in (y_train, y_val))",
    ]
