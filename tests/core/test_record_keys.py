"""Record keys name exactly one file: plain names unchanged, everything else escaped."""

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image

from gans.core.data.class_labels import labels_from_mapping
from gans.core.data.record_keys import escape_name, record_key


def test_plain_names_are_their_own_keys():
    for name in ["a.png", "pikachu/025.png", "flag ü 🇫🇷.png", "new\nline.png"]:
        assert escape_name(name) == name


def test_escapes():
    assert escape_name("a\\b.png") == "a\\\\b.png"
    assert escape_name(os.fsdecode(b"x\xff.png")) == "x\\xff.png"
    assert escape_name("x\ud800.png") == "x\\ud800.png"  # a lone UTF-16 half (Windows)


def test_escaping_is_injective():
    tricky = [b"x\xff.png", b"x\\xff.png", b"x\\\\xff.png", b"x\\udcff.png", b"x\xfe.png"]
    names = [os.fsdecode(n) for n in tricky] + ["x\udcff.png", "x\\\udcff.png"]
    keys = [escape_name(n) for n in names]
    assert len(set(keys)) == len(set(names))
    for key in keys:
        key.encode("utf-8")  # valid text, so it can go into the manifest and the records


def test_keys_are_slash_separated_on_every_platform(tmp_path):
    assert record_key(tmp_path / "a" / "b.png", tmp_path) == "a/b.png"
    windows = PureWindowsPath("C:\\data\\a\\b.png")
    assert record_key(windows, PureWindowsPath("C:\\data")) == "a/b.png"
    assert record_key(PurePosixPath("/data/a/b.png"), PurePosixPath("/data")) == "a/b.png"


def test_outside_root_keeps_the_whole_path(tmp_path):
    other = Path("/elsewhere/c.png")
    assert record_key(other, tmp_path) == "/elsewhere/c.png"


def test_label_file_finds_a_name_with_a_backslash(tmp_path):
    """A mapping entry names the file as it is on disk; the key's escaping is matched."""
    name = "odd\\name.png"
    Image.new("RGB", (4, 4)).save(tmp_path / name)
    mapping = tmp_path / "labels.csv"
    mapping.write_text(f"{name},cats\n")
    labels = labels_from_mapping(mapping, tmp_path, [record_key(tmp_path / name, tmp_path)])
    assert labels.label(escape_name(name)) == 0
    assert labels.names == ("cats",)
