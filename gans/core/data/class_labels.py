"""Class labels of image folders: from class subfolders, or from a mapping file.

``--labels`` chooses where a folder's labels come from:

* ``auto`` (default): class subfolders when every image sits exactly one folder down
  (``root/<class>/<image>``, the Keras ``image_dataset_from_directory`` layout); else the
  ``labels.csv`` the crawlers write beside their downloads, if the folder has one (its
  entries for images deleted since are ignored); else a
  dataset's own rule (flags: the continent of the country code), else no labels.
* ``subfolders``: the first folder below the root is the class (images deeper inside a
  class folder belong to it, as in Keras); an image directly in the root is an error.
* ``none``: no labels.
* a path ``FILE.csv`` / ``FILE.json``: a mapping from file name to class. CSV: a header row
  with the columns ``file`` and ``class`` (``filename``/``path`` and ``label``/``category``
  also work), or two columns without a header. JSON: ``{"file": "class", ...}`` or a list of
  ``{"file": ..., "class": ...}``. A file is named by its path relative to the source
  folder or, when that is unique, by its bare file name.

Classes are numbered in sorted order (numerically when every name is a number), so the
same folder always gives the same indices; the names go into the conversion's manifest
(``class_names``), and from there into the epoch grids' column titles and ``generate
--label=NAME``. Every problem (an unknown file in the mapping, an image without a class,
a conflicting entry, ...) is one line naming the file and what to do.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from gans.core.data.record_keys import escape_name
from gans.core.errors import DataError

LABEL_MODES = ("auto", "subfolders", "none")
LABELS_FILE_NAME = "labels.csv"  # what the crawlers write beside the images they download
MAPPING_SUFFIXES = (".csv", ".json")
FILE_COLUMNS = ("file", "filename", "path", "image")
CLASS_COLUMNS = ("class", "label", "category")
_EXAMPLES = 3


@dataclasses.dataclass(frozen=True)
class ClassLabels:
    """The classes of a folder's images.

    Attributes:
      names: class names; a label is an index into them.
      of_key: image key (its path relative to the source folder) → label.
      origin: where they came from: ``"subfolders"``, ``"file"`` or ``"names"`` (a
        dataset's rule on the file names).
      file: the mapping file, for ``origin == "file"``.
    """

    names: tuple[str, ...]
    of_key: Mapping[str, int]
    origin: str
    file: str | None = None

    def label(self, key: str) -> int:
        """The label of an image key, -1 if it has none."""
        return self.of_key.get(key, -1)

    def manifest_entry(self, setting: str) -> dict:
        """What the conversion's manifest records (names, and how they were found)."""
        labels = {"setting": setting, "from": self.origin}
        if self.file:
            labels["file"] = os.path.abspath(self.file)
            labels["digest"] = file_digest(self.file)
        return {"class_names": list(self.names), "num_classes": len(self.names), "labels": labels}


def unlabelled_manifest_entry(setting: str) -> dict:
    """The manifest entry of a conversion without labels."""
    return {"class_names": [], "num_classes": 0, "labels": {"setting": setting, "from": "none"}}


def valid_labels_setting(text: str | None) -> bool:
    """Whether ``--labels`` is a mode or names a .csv/.json file (for the flag validator)."""
    return not text or text in LABEL_MODES or Path(text).suffix.lower() in MAPPING_SUFFIXES


def file_digest(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes (a changed mapping file makes the conversion stale)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    """Class names in index order: numeric order when all are integers, else sorted."""
    unique = set(names)
    if unique and all(_is_int(n) for n in unique):
        return tuple(sorted(unique, key=int))
    return tuple(sorted(unique))


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _examples(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_EXAMPLES])
    return f"{shown}, ..." if len(items) > _EXAMPLES else shown


def is_image_name(key: str) -> bool:
    """Whether a key has an image file suffix (other files do not decide the layout)."""
    from gans.core.data.image_io import IMAGE_EXTENSIONS

    return Path(key).suffix.lower() in IMAGE_EXTENSIONS


# --- sources of labels ----------------------------------------------------------------------
def labels_from_subfolders(root: str | os.PathLike, keys: Sequence[str]) -> ClassLabels:
    """The first folder below ``root`` of each key is its class."""
    images = [k for k in keys if is_image_name(k)]
    loose = [k for k in images if len(Path(k).parts) < 2]
    if loose:
        raise DataError(
            f"{root}: --labels=subfolders needs every image inside a class folder "
            f"(<source>/<class>/<image>); {len(loose)} are not ({_examples(loose)}): move "
            "them into one, or use --labels=none or --labels=FILE"
        )
    if not images:
        raise DataError(f"{root}: no images in class subfolders; check --source_dir")
    names = sorted_names(Path(k).parts[0] for k in images)
    index = {name: i for i, name in enumerate(names)}
    return ClassLabels(names, {k: index[Path(k).parts[0]] for k in images}, "subfolders")


def read_mapping(path: str | os.PathLike) -> dict[str, str]:
    """File name → class name from a CSV or JSON mapping file (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MAPPING_SUFFIXES:
        raise DataError(f"--labels={path}: a mapping file must end in .csv or .json")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(
            f"--labels={path}: no such file; give a CSV/JSON mapping file name -> class"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"--labels={path}: unreadable ({err})") from None
    pairs = _json_pairs(path, text) if suffix == ".json" else _csv_pairs(path, text)
    mapping: dict[str, str] = {}
    for where, file, name in pairs:
        file, name = str(file).strip(), str(name).strip()
        if not file or not name:
            raise DataError(f"{path}: {where}: empty file name or class; fill it in or remove it")
        if mapping.get(file, name) != name:
            raise DataError(
                f"{path}: {where}: {file} is listed as {mapping[file]!r} and as {name!r}; "
                "keep one class per file"
            )
        mapping[file] = name
    if not mapping:
        raise DataError(f"{path}: no entries; list one file → class per row")
    return mapping


def _csv_pairs(path: Path, text: str) -> list[tuple[str, str, str]]:
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    file_col = next((header.index(c) for c in FILE_COLUMNS if c in header), None)
    class_col = next((header.index(c) for c in CLASS_COLUMNS if c in header), None)
    start = 1
    if file_col is None or class_col is None:
        if any(c in header for c in FILE_COLUMNS + CLASS_COLUMNS):
            raise DataError(
                f"{path}: the header needs a file column ({'/'.join(FILE_COLUMNS)}) and a "
                f"class column ({'/'.join(CLASS_COLUMNS)}); got {rows[0]}"
            )
        file_col, class_col, start = 0, 1, 0  # two columns, no header
    pairs = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if len(row) <= max(file_col, class_col):
            raise DataError(
                f"{path}: row {number} has {len(row)} column(s): {row}; give file,class"
            )
        pairs.append((f"row {number}", row[file_col], row[class_col]))
    return pairs


def _json_pairs(path: Path, text: str) -> list[tuple[str, str, str]]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise DataError(f"{path}: not JSON ({err})") from None
    if isinstance(data, dict):
        return [(f"key {k!r}", k, v) for k, v in data.items() if _scalar(path, k, v)]
    if isinstance(data, list):
        pairs = []
        for i, entry in enumerate(data):
            file = entry.get("file") if isinstance(entry, dict) else None
            name = next((entry[c] for c in CLASS_COLUMNS if c in entry), None) if file else None
            if file is None or name is None:
                raise DataError(
                    f'{path}: entry {i} is not {{"file": ..., "class": ...}}: {entry!r}'
                )
            _scalar(path, file, name)
            pairs.append((f"entry {i}", file, name))
        return pairs
    raise DataError(f'{path}: expected {{"file": "class"}} or a list of {{"file", "class"}}')


def _scalar(path: Path, file: object, name: object) -> bool:
    if not isinstance(name, str | int) or isinstance(name, bool):
        raise DataError(f"{path}: the class of {file!r} must be a string or integer, got {name!r}")
    return True


def labels_from_mapping(
    mapping_file: str | os.PathLike,
    root: str | os.PathLike,
    keys: Sequence[str],
    ignore_unknown: bool = False,
) -> ClassLabels:
    """Labels of ``keys`` (paths relative to ``root``) from a mapping file.

    Every image must have an entry, and every entry must name an image of the folder
    unless ``ignore_unknown`` (a crawler's ``labels.csv`` still lists the images that were
    deleted since).
    """
    mapping = read_mapping(mapping_file)
    images = [k for k in keys if is_image_name(k)]
    by_path = set(images)
    by_name: dict[str, list[str]] = {}
    for key in images:
        by_name.setdefault(Path(key).name, []).append(key)
    of_key: dict[str, str] = {}
    unknown, ambiguous = [], []
    for file, name in mapping.items():
        rel = escape_name(Path(file).as_posix().removeprefix("./"))
        if rel in by_path:
            key = rel
        elif len(by_name.get(rel, ())) == 1:
            key = by_name[rel][0]
        elif rel in by_name:
            ambiguous.append(rel)
            continue
        else:
            unknown.append(file)
            continue
        if of_key.get(key, name) != name:
            raise DataError(
                f"{mapping_file}: {key} is given the classes {of_key[key]!r} and {name!r}; "
                "keep one entry per image"
            )
        of_key[key] = name
    if ambiguous:
        raise DataError(
            f"{mapping_file}: {len(ambiguous)} file name(s) match several images in {root} "
            f"({_examples(ambiguous)}); name them by their path inside the folder"
        )
    if unknown and not ignore_unknown:
        raise DataError(
            f"{mapping_file}: {len(unknown)} file(s) are not images in {root} "
            f"({_examples(unknown)}); remove them from the mapping or add the images"
        )
    missing = [k for k in images if k not in of_key]
    if missing:
        raise DataError(
            f"{mapping_file}: {len(missing)} image(s) of {root} have no class "
            f"({_examples(missing)}); add them to the mapping or remove them from the folder"
        )
    names = sorted_names(of_key.values())
    index = {name: i for i, name in enumerate(names)}
    return ClassLabels(
        names, {k: index[v] for k, v in of_key.items()}, "file", file=str(mapping_file)
    )


def labels_from_names(
    keys: Sequence[str], class_of: Callable[[str], str | None]
) -> ClassLabels | None:
    """Labels from a dataset's rule on the file names; ``None`` unless it names every image."""
    images = [k for k in keys if is_image_name(k)]
    named = {k: class_of(k) for k in images}
    if not images or any(v is None for v in named.values()):
        return None
    names = sorted_names(named.values())
    index = {name: i for i, name in enumerate(names)}
    return ClassLabels(names, {k: index[v] for k, v in named.items()}, "names")


def plan_labels(
    setting: str,
    root: str | os.PathLike,
    keys: Sequence[str],
    class_of: Callable[[str], str | None] | None = None,
) -> ClassLabels | None:
    """The labels ``--labels=setting`` gives the images ``keys`` of ``root`` (or ``None``)."""
    setting = setting or "auto"
    if setting == "none":
        return None
    if setting == "subfolders":
        return labels_from_subfolders(root, keys)
    if setting != "auto":
        return labels_from_mapping(setting, root, keys)
    images = [k for k in keys if is_image_name(k)]
    if images and all(len(Path(k).parts) == 2 for k in images):
        return labels_from_subfolders(root, keys)
    crawled = Path(root) / LABELS_FILE_NAME
    if crawled.is_file():
        return labels_from_mapping(crawled, root, keys, ignore_unknown=True)
    if class_of is not None:
        return labels_from_names(keys, class_of)
    return None


def labels_stale_reason(manifest: dict, setting: str, need_labels: bool = False) -> str | None:
    """Why a conversion's labels no longer match ``--labels`` (``None`` if they do).

    A conversion made before labels were stored is kept unless ``need_labels`` (a
    conditional or class-balanced run) or ``--labels`` asks for something.
    """
    setting = setting or "auto"
    recorded = manifest.get("labels")
    if recorded is None:  # converted before labels were stored
        if need_labels or setting not in ("auto", "none"):
            return "it was converted before class labels were stored"
        return None
    if recorded.get("setting", "auto") != setting:
        return f"--labels={setting}, it was converted with --labels={recorded.get('setting')}"
    file = recorded.get("file")
    if file and Path(file).is_file() and file_digest(file) != recorded.get("digest"):
        return f"its label file {file} changed"
    return None


# --- use of labels --------------------------------------------------------------------------
def label_index(text: str | int | None, names: Sequence[str]) -> int | None:
    """A class given by name or by index → its index (``None`` stays ``None``).

    Names match exactly first, then ignoring case; a number is an index unless it is also
    a class name (then the name wins).
    """
    if text is None:
        return None
    text = str(text).strip()
    if not names:
        raise DataError(f"--label={text}: this model is not class-conditional; drop --label")
    if text in names:
        return list(names).index(text)
    folded = [n.lower() for n in names]
    if text.lower() in folded:
        return folded.index(text.lower())
    if _is_int(text) and 0 <= int(text) < len(names):
        return int(text)
    listed = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    raise DataError(f"--label={text}: no such class; use a name or an index of {listed}")


def manifest_class_names(manifest: dict) -> tuple[str, ...]:
    """The class names a conversion stored (numbered ones for a labelled set without names)."""
    names = manifest.get("class_names")
    if names:
        return tuple(names)
    return tuple(str(i) for i in range(manifest.get("num_classes", 0) or 0))


def describe_classes(manifest: dict) -> str:
    """``"; 3 classes: cat 12, dog 30, fox 7"`` for a labelled conversion, else ``""``."""
    names = manifest_class_names(manifest)
    if not names:
        return ""
    counts = manifest.get("label_counts", {})
    listed = ", ".join(f"{n} {counts.get(str(i), 0)}" for i, n in enumerate(names))
    return f"; {len(names)} classes: {listed}"
