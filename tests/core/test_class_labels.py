"""Labelled folders: class subfolders, mapping files, the crawlers' labels.csv, and
conditional training, grids, contact sheets and balanced sampling on them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gans.core.data.class_labels import label_index, labels_stale_reason, plan_labels, read_mapping
from gans.core.data.contact_sheet import write_contact_sheet
from gans.core.data.folder_converter import ConvertOptions, convert_folder
from gans.core.data.provider import provide_dataset
from gans.core.errors import DataError
from gans.core.run.experiment import GANExperiment
from gans.image_folder.image_folder_dataset import image_folder_spec
from tests.testing_utils import REPO, tiny_config

CLASSES = {"cat": (220, 40, 40), "dog": (40, 200, 40), "fox": (40, 40, 220)}


def make_image(path: Path, colour: tuple[int, int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    pixels = np.full((20, 20, 3), colour, np.uint8)
    pixels[rng.integers(0, 15) :, : rng.integers(2, 10)] = rng.integers(0, 255)  # unique
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def class_folders(root: Path, counts=(4, 6, 8)) -> Path:
    """``root/<class>/<i>.png`` for three classes of ``counts`` images.

    Seeds are fixed and distinct per image: ``hash((name, i))`` changed with
    PYTHONHASHSEED, and two equal seeds in a class made two identical images, which the
    converter drops as duplicates (a flaky count)."""
    for k, ((name, colour), count) in enumerate(zip(CLASSES.items(), counts, strict=True)):
        for i in range(count):
            make_image(root / name / f"{i}.png", colour, seed=1000 * k + i)
    return root


def flat_folder(root: Path, count: int = 6) -> Path:
    names = list(CLASSES)
    for i in range(count):
        make_image(root / f"img{i}.png", CLASSES[names[i % 3]], seed=i)
    return root


def stored_labels(tfrecord_dir: Path) -> dict[str, int]:
    """key → label of every stored record."""
    import tensorflow as tf

    manifest = json.loads((tfrecord_dir / "manifest.json").read_text())
    feature = {
        "key": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
    }
    out = {}
    for shard in manifest["shards"]:
        for record in tf.data.TFRecordDataset(str(tfrecord_dir / shard)):
            parsed = tf.io.parse_single_example(record, feature)
            out[parsed["key"].numpy().decode()] = int(parsed["label"])
    return out


def test_three_class_subfolders_convert_and_train_one_conditional_step(tmp_path):
    source = class_folders(tmp_path / "pets")
    config = tiny_config(tmp_path, source_dir=source, conditional=True, image_size=32, grid_size=6)
    experiment = GANExperiment(image_folder_spec("pets"), config)
    assert experiment.class_names == ("cat", "dog", "fox") and experiment.num_classes == 3
    logs = experiment.train()
    assert np.isfinite(logs["d_loss"]) and np.isfinite(logs["g_loss"])

    manifest = json.loads((experiment.data.tfrecord_dir / "manifest.json").read_text())
    assert manifest["class_names"] == ["cat", "dog", "fox"]
    assert manifest["num_classes"] == 3
    assert manifest["label_counts"] == {"0": 4, "1": 6, "2": 8}
    assert manifest["labels"] == {"setting": "auto", "from": "subfolders"}
    labels = stored_labels(experiment.data.tfrecord_dir)
    assert {k: v for k, v in labels.items() if k.startswith("dog/")} == {
        f"dog/{i}.png": 1 for i in range(6)
    }
    # one column per class, titled: the grid is 3 cells wide, taller than it would be untitled
    grid = Image.open(experiment.run.image_dir / "pets_epoch_0001.png")
    assert abs(grid.width - (3 * (64 + 2) + 2)) <= 2
    assert grid.height > 2 * (64 + 2) + 2 + 24
    saved = json.loads((experiment.run.model_dir / "config.json").read_text())
    assert saved["class_names"] == ["cat", "dog", "fox"]
    # a generator rebuilt from the model dir alone knows the classes, by name and index
    again = GANExperiment.from_model_dir(experiment.run.model_dir)
    assert again.class_names == ("cat", "dog", "fox")
    foxes = again.generate(2, seed=1, labels=[label_index("fox", again.class_names)] * 2)
    cats = again.generate(2, seed=1, labels=[label_index("0", again.class_names)] * 2)
    assert foxes.shape == (2, 32, 32, 3) and not np.allclose(foxes, cats)
    # the command line takes the class by name; an unknown name is one line, exit 1
    command = [
        sys.executable,
        "-m",
        "gans.cli",
        "generate",
        f"--model_dir={experiment.run.model_dir}",
    ]
    ok = subprocess.run(
        [*command, "--label=Fox", "--num=2", f"--out_dir={tmp_path / 'fox'}"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (tmp_path / "fox" / "grid.png").is_file() and (
        tmp_path / "fox" / "pets_0001.png"
    ).is_file()
    bad = subprocess.run([*command, "--label=wolf"], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith("error: --label=wolf: no such class")


@pytest.mark.parametrize("kind", ["csv", "csv_noheader", "json", "json_list"])
def test_mapping_file_labels_a_flat_folder(tmp_path, kind):
    source = flat_folder(tmp_path / "src")
    truth = {f"img{i}.png": list(CLASSES)[i % 3] for i in range(6)}
    path = tmp_path / f"labels.{kind.split('_')[0]}"
    if kind == "csv":
        path.write_text("file,class\n" + "".join(f"{f},{c}\n" for f, c in truth.items()))
    elif kind == "csv_noheader":
        path.write_text("".join(f"./{f}, {c}\n" for f, c in truth.items()))
    elif kind == "json":
        path.write_text(json.dumps(truth))
    else:
        path.write_text(json.dumps([{"file": f, "label": c} for f, c in truth.items()]))
    out = tmp_path / "records"
    manifest = convert_folder(source, out, "pets", ConvertOptions(16, 3, labels=str(path)))
    assert manifest["class_names"] == ["cat", "dog", "fox"]
    assert manifest["labels"]["from"] == "file" and manifest["labels"]["digest"]
    assert manifest["label_counts"] == {"0": 2, "1": 2, "2": 2}
    names = manifest["class_names"]
    assert {k: names[v] for k, v in stored_labels(out).items()} == truth
    # the same setting is not stale; another setting or an edited file is
    assert labels_stale_reason(manifest, str(path)) is None
    assert "--labels=none" in labels_stale_reason(manifest, "none")
    path.write_text(path.read_text().replace("cat", "lynx"))
    assert "changed" in labels_stale_reason(manifest, str(path))


def one_line_error(setting: str, root: Path, keys) -> str:
    with pytest.raises(DataError) as err:
        plan_labels(setting, root, keys)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_mapping_file_errors_are_one_line(tmp_path):
    keys = ["a.png", "b.png", "sub/c.png", "other/c.png", "notes.txt"]
    mapping = tmp_path / "m.csv"
    mapping.write_text("file,class\na.png,x\nb.png,y\nsub/c.png,x\nother/c.png,y\nghost.png,x\n")
    assert "1 file(s) are not images" in one_line_error(str(mapping), tmp_path, keys)
    assert "ghost.png" in one_line_error(str(mapping), tmp_path, keys)
    mapping.write_text("file,class\na.png,x\nsub/c.png,x\nother/c.png,y\n")
    message = one_line_error(str(mapping), tmp_path, keys)
    assert "1 image(s)" in message and "b.png" in message and "have no class" in message
    mapping.write_text("file,class\na.png,x\nb.png,y\nc.png,x\n")
    assert "match several images" in one_line_error(str(mapping), tmp_path, keys)
    mapping.write_text("file,class\na.png,x\na.png,y\n")
    assert "listed as 'x' and as 'y'" in one_line_error(str(mapping), tmp_path, keys)
    mapping.write_text("file,kind\na.png,x\n")
    assert "class column" in one_line_error(str(mapping), tmp_path, keys)
    mapping.write_text("file,class\na.png,\n")
    assert "empty file name or class" in one_line_error(str(mapping), tmp_path, keys)
    bad_json = tmp_path / "m.json"
    bad_json.write_text("[1, 2]")
    assert "entry 0" in one_line_error(str(bad_json), tmp_path, keys)
    assert "no such file" in one_line_error(str(tmp_path / "nope.csv"), tmp_path, keys)
    assert "one folder down" not in one_line_error("subfolders", tmp_path, keys)
    assert "class folder" in one_line_error("subfolders", tmp_path, keys)


def test_auto_finds_subfolders_then_a_crawler_labels_csv_then_nothing(tmp_path):
    assert plan_labels("auto", tmp_path, ["a.png", "b.png", "manifest.jsonl"]) is None
    one_down = plan_labels("auto", tmp_path, ["x/a.png", "y/b.png", "labels.txt"])
    assert one_down.names == ("x", "y") and one_down.origin == "subfolders"
    # deeper or mixed: not auto; --labels=subfolders takes the first folder (Keras' rule)
    assert plan_labels("auto", tmp_path, ["x/a.png", "y/z/b.png"]) is None
    assert plan_labels("subfolders", tmp_path, ["x/a.png", "y/z/b.png"]).of_key == {
        "x/a.png": 0,
        "y/z/b.png": 1,
    }
    (tmp_path / "labels.csv").write_text("file,class\na.png,2\nb.png,10\n")
    crawled = plan_labels("auto", tmp_path, ["a.png", "b.png"])
    assert crawled.names == ("2", "10")  # numbers in numeric order
    assert plan_labels("none", tmp_path, ["x/a.png"]) is None
    assert read_mapping(tmp_path / "labels.csv") == {"a.png": "2", "b.png": "10"}


def test_label_index_by_name_or_index():
    names = ("blue", "Gray", "green")
    assert label_index("green", names) == 2
    assert label_index("gray", names) == 1
    assert label_index("0", names) == 0
    assert label_index(None, names) is None
    with pytest.raises(DataError, match="no such class; use a name or an index of 0=blue"):
        label_index("red", names)
    with pytest.raises(DataError, match="not class-conditional"):
        label_index("blue", ())


def test_relabelled_source_is_converted_again_and_the_old_run_refuses_it(tmp_path):
    source = class_folders(tmp_path / "pets", counts=(8, 8, 8))
    config = tiny_config(tmp_path, source_dir=source, conditional=True, image_size=32)
    GANExperiment(image_folder_spec("pets"), config).train()
    with pytest.raises(DataError, match="cannot change mid-run"):
        relabelled = config.replace(labels="subfolders", epochs=2)
        GANExperiment(image_folder_spec("pets"), relabelled).train()
    (source / "fox").rename(source / "wolf")  # same flags, other classes
    with pytest.raises(DataError, match=r"its classes \['cat', 'dog', 'wolf'\] are not the ones"):
        GANExperiment(image_folder_spec("pets"), config.replace(epochs=2)).train()


def test_contact_sheet_has_a_titled_column_per_class(tmp_path):
    source = class_folders(tmp_path / "pets")
    out = tmp_path / "records"
    convert_folder(source, out, "pets", ConvertOptions(16, 3))
    sheet = Image.open(write_contact_sheet(out))
    assert abs(sheet.width - (3 * (32 + 2) + 2)) <= 2  # 16 px cells drawn at 32
    plain = tmp_path / "plain"
    convert_folder(flat_folder(tmp_path / "flat", 18), plain, "flat", ConvertOptions(16, 3))
    assert Image.open(write_contact_sheet(plain)).height < sheet.height  # no title rows


def test_balanced_classes_draws_every_class_equally(tmp_path):
    source = class_folders(tmp_path / "pets", counts=(2, 4, 26))  # 2 : 4 : 26
    out = tmp_path / "records"
    convert_folder(source, out, "pets", ConvertOptions(16, 3))
    seen = Counter()
    dataset, steps = provide_dataset(
        out, 8, 16, 3, 4, seed=3, end_epoch=40, with_labels=True, balanced_classes=True
    )
    assert steps == 4
    for _, noise, labels in dataset.as_numpy_iterator():
        assert noise.shape == (8, 4)
        seen.update(labels.tolist())
    assert sum(seen.values()) == 40 * 4 * 8
    shares = np.array([seen[k] for k in range(3)]) / sum(seen.values())
    np.testing.assert_allclose(shares, 1 / 3, atol=0.04)
    # the same seed draws the same batches; unlabelled batches are (images, noise)
    again, _ = provide_dataset(out, 8, 16, 3, 4, seed=3, end_epoch=1, balanced_classes=True)
    first = next(iter(again))
    assert len(first) == 2 and first[0].shape == (8, 16, 16, 3)
    twice, _ = provide_dataset(out, 8, 16, 3, 4, seed=3, end_epoch=1, balanced_classes=True)
    np.testing.assert_array_equal(first[0], next(iter(twice))[0])


def test_flag_continents_from_file_names():
    from gans.flags.flags_continents import CONTINENT_OF, continent_of, country_code

    assert (
        country_code("1F1EB-1F1F7.png") == "FR" and continent_of("png/1f1eb-1f1f7.png") == "Europe"
    )
    assert continent_of("1f1ef-1f1f5.svg") == "Asia"
    assert continent_of("1f1e7-1f1f7.png") == "S. America"
    assert continent_of("1f600.png") is None and continent_of("1f1eb-0041.png") is None
    assert len(CONTINENT_OF) == 257  # every country flag of gemojione 3.3.0
