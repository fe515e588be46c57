"""``--data_service``: the input pipeline runs on a tf.data service (dispatcher + worker on
127.0.0.1, in this process), and training consumes it under one and two replicas."""

import numpy as np
import pytest
import tensorflow as tf

from gans.core.data.data_service import check_service_address
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import tiny_config


@pytest.fixture(scope="module")
def dispatcher():
    service = tf.data.experimental.service
    dispatch = service.DispatchServer(service.DispatcherConfig(port=0))
    address = dispatch.target.removeprefix("grpc://")
    worker = service.WorkerServer(service.WorkerConfig(dispatcher_address=address))
    yield dispatch.target
    worker.stop()
    dispatch.stop()


@pytest.mark.parametrize("strategy", ["one_device", "mirrored"])
def test_training_reads_batches_from_the_service(tmp_path, dispatcher, strategy):
    config = tiny_config(
        tmp_path,
        epochs=2,
        batch_size=16,
        steps_per_epoch=2,
        strategy=strategy,
        data_service=dispatcher,
    )
    exp = GANExperiment(mnist_spec(), config)
    exp.ensure_dataset()
    dataset, steps = exp._input(0)
    assert steps == 2
    images, noise = next(iter(dataset))
    local = exp.strategy.experimental_local_results(images)
    assert len(local) == exp.strategy.num_replicas_in_sync
    assert sum(int(x.shape[0]) for x in local) == 16
    values = np.concatenate([x.numpy() for x in local])
    assert values.min() >= -1 and values.max() <= 1 and values.std() > 0.1
    noises = [x.numpy() for x in exp.strategy.experimental_local_results(noise)]
    if len(noises) == 2:  # each replica gets its own images and draws its own noise
        assert not np.allclose(local[0].numpy(), local[1].numpy())
        assert not np.allclose(noises[0], noises[1])
    logs = exp.train()
    assert np.isfinite(logs["d_loss"]) and np.isfinite(logs["g_loss"])
    grids = sorted(p.name for p in (tmp_path / "gen/dcgan_gan_28px").glob("*_epoch_*.png"))
    assert grids == ["mnist_epoch_0001.png", "mnist_epoch_0002.png"]


@pytest.mark.parametrize("bad", ["localhost:5050", "grpc://nohostport", "http://x:1"])
def test_a_bad_service_address_is_named(bad):
    with pytest.raises(ValueError, match=r"--data_service=.*grpc://HOST:PORT"):
        check_service_address(bad)


def test_labels_are_not_served_yet(tmp_path):
    config = tiny_config(tmp_path, conditional=True, data_service="grpc://localhost:1")
    with pytest.raises(ValueError, match="--data_service does not serve labels"):
        GANExperiment(mnist_spec(), config)


def test_no_dispatcher_fails_in_seconds_instead_of_hanging(tmp_path):
    """TF's client retries an absent dispatcher forever; the suite checks first."""
    import socket

    from gans.core.errors import MissingDataError

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    config = tiny_config(tmp_path, data_service=f"grpc://127.0.0.1:{port}")
    exp = GANExperiment(mnist_spec(), config)
    exp.ensure_dataset()
    with pytest.raises(MissingDataError, match=r"no tf\.data dispatcher answers.*--port="):
        exp._input(0)
