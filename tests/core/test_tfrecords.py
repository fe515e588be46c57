"""Shared TFRecord writer + provider: round trip, duplicates, atomic output, clear errors."""

import json

import numpy as np
import pytest

from gans.core.data.provider import decode_images, provide_dataset, verify_records
from gans.core.data.tfrecord_writer import ImageRecord, SkippedFile, read_manifest, write_tfrecords
from gans.core.errors import DataError, MissingDataError


def records(count, size=8, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(count):
        yield ImageRecord(rng.integers(0, 256, (size, size, channels), np.uint8), f"img{i}", i % 3)


def test_round_trip_counts_shapes_and_range(tmp_path):
    out = tmp_path / "tf"
    items = [*records(20), SkippedFile("bad.png", "truncated image")]
    items.append(ImageRecord(items[0].image.copy(), "copy-of-0"))
    manifest = write_tfrecords(items, out, "toy", 8, 3, source="test", shard_bytes=1500)
    assert manifest["count"] == 20
    assert manifest["skipped"] == [{"file": "bad.png", "reason": "truncated image"}]
    assert manifest["duplicates"] == [{"file": "copy-of-0", "duplicate_of": "img0"}]
    assert len(manifest["shards"]) > 1
    assert manifest["shards"][0].startswith("toy-train.tfrecord-00000-of-")
    assert json.loads((out / "manifest.json").read_text())["count"] == 20
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left

    images = np.stack(list(decode_images(out, 8, 3).as_numpy_iterator()))
    assert images.shape == (20, 8, 8, 3)
    assert images.min() >= -1.0 and images.max() <= 1.0
    originals = np.stack([r.image for r in records(20)]).astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(np.sort(images.ravel()), np.sort(originals.ravel()), atol=1e-6)


def test_provider_batches_noise_and_epochs(tmp_path):
    write_tfrecords(records(20), tmp_path / "tf", "toy", 8, 3, source="test")
    ds, steps = provide_dataset(tmp_path / "tf", 8, 16, 3, noise_dim=5, start_epoch=1, end_epoch=3)
    assert steps == 2
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 4
    images, noise = batches[0]
    assert images.shape == (8, 16, 16, 3) and noise.shape == (8, 5)
    # Noise is a function of (seed, epoch, step): a run resumed at epoch 2 draws the same.
    resumed, _ = provide_dataset(tmp_path / "tf", 8, 16, 3, noise_dim=5, start_epoch=2, end_epoch=3)
    np.testing.assert_array_equal(next(resumed.as_numpy_iterator())[1], batches[2][1])


def test_channel_mismatch_names_the_folder(tmp_path):
    write_tfrecords(records(4), tmp_path / "tf", "toy", 8, 3, source="test")
    with pytest.raises(ValueError, match="3 channels, training asks for 1"):
        decode_images(tmp_path / "tf", 8, 1)


def test_too_few_images_for_a_batch(tmp_path):
    write_tfrecords(records(4), tmp_path / "tf", "toy", 8, 3, source="test")
    with pytest.raises(ValueError, match="lower --batch_size"):
        provide_dataset(tmp_path / "tf", 8, 8, 3, noise_dim=2)


def test_no_images_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="no usable images"):
        write_tfrecords([SkippedFile("x", "not an image")], tmp_path / "tf", "toy", 8, 3, "t")
    assert read_manifest(tmp_path / "tf") is None


def test_wrong_image_shape_is_rejected(tmp_path):
    bad = ImageRecord(np.zeros((4, 4, 3), np.uint8), "small")
    with pytest.raises(ValueError, match="small: image is uint8"):
        write_tfrecords([bad], tmp_path / "tf", "toy", 8, 3, source="test")


def test_interrupted_conversion_keeps_previous_output(tmp_path):
    write_tfrecords(records(6), tmp_path / "tf", "toy", 8, 3, source="first")

    def exploding():
        yield from records(3)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_tfrecords(exploding(), tmp_path / "tf", "toy", 8, 3, source="second")
    assert read_manifest(tmp_path / "tf")["source"] == "first"


def test_data_error_is_user_error():
    assert issubclass(DataError, ValueError)


def _converted(tmp_path, name="tf", size=8):
    write_tfrecords(records(30, size=size), tmp_path / name, "toy", size, 3, source="test")
    return tmp_path / name


def test_truncated_shard_is_named_before_training(tmp_path):
    out = _converted(tmp_path)
    shard = out / read_manifest(out)["shards"][0]
    shard.write_bytes(shard.read_bytes()[:-7])
    with pytest.raises(DataError, match=f"{shard.name}: .* bytes, the manifest says"):
        verify_records(out, 3)


def test_corrupt_shard_is_named_before_training(tmp_path):
    out = _converted(tmp_path)
    shard = out / read_manifest(out)["shards"][0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, broken CRC
    shard.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"{shard.name}: corrupt TFRecord shard"):
        verify_records(out, 3)


def test_shard_of_another_image_size_is_named(tmp_path):
    out = _converted(tmp_path)
    other = _converted(tmp_path, "other", size=16)
    manifest = read_manifest(out)
    shard = out / manifest["shards"][0]
    shard.write_bytes((other / read_manifest(other)["shards"][0]).read_bytes())
    manifest["shard_bytes"][shard.name] = shard.stat().st_size
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="holds 16x16x3 images, the manifest says 8x8x3"):
        verify_records(out, 3)


def test_missing_dataset_is_a_missing_data_error(tmp_path):
    with pytest.raises(MissingDataError, match="run the converter"):
        verify_records(tmp_path, 3)
