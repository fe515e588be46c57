"""A killed worker of a two-process MultiWorkerMirrored run (127.0.0.1) makes the run *fail
clearly*, never hang: the survivor exits on its own, non-zero, with TensorFlow's error naming
the dead task. There is no in-process recovery: the way back is to start every worker again
with the same command, which resumes from the last checkpoint (not exercised here).

How it is detected (TF 2.21): MultiWorkerMirroredStrategy starts TF's coordination service
on worker 0, and every task sends it heartbeats.

- Worker 1 killed: the chief waits in a collective until the service misses worker 1's
  heartbeats (TF's default heartbeat timeout: 10 s), then every pending and later
  collective is aborted with ``UnavailableError: ... The following tasks are unhealthy
  (stopped sending heartbeats): /job:worker/replica:0/task:1``. Measured: 6.5-12 s after
  the kill (the timeout runs from the last heartbeat, sent before the kill).
- Chief killed: worker 1's gRPC calls to it fail (``Connection reset by peer`` or
  ``Socket closed`` ... ``remote target /job:worker/replica:0/task:0``). Measured: 1-10 s.

No collective timeout (``CommunicationOptions(timeout_seconds=...)``) is needed to bound
either wait; ``DETECTION_LIMIT`` below is generous for two busy shared cores.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest
import tensorflow as tf

from tests.core.crash_helpers import Training, checkpoint_epoch
from tests.core.test_precision_and_workers import _free_ports, tiny_experiment, worker_flags
from tests.testing_utils import make_idx_dir

pytestmark = pytest.mark.slow  # multi-process clusters on 127.0.0.1

START_LIMIT = 240  # both workers up, TF imported, step traced: ~20 s, much more when busy
DETECTION_LIMIT = 120  # measured ≤ 12 s
# The survivor's one-line error (run_app turns TF's lost-peer errors into it).
ERROR_RE = re.compile(r"^error: a worker of the cluster .*stopped or became unreachable", re.M)


def start_worker(monkeypatch, tmp_path, cluster: dict, index: int, epochs: int = 1000) -> Training:
    """``mnist_gan.py`` as task ``index`` of ``cluster`` (``--strategy=auto`` picks
    MultiWorkerMirrored from ``TF_CONFIG``), for far more epochs than the test waits."""
    with monkeypatch.context() as m:  # Training copies os.environ when it starts
        task = {"type": "worker", "index": index}
        m.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
        return Training(
            tmp_path, "--strategy=auto", *worker_flags(tmp_path, tmp_path / "prep/idx", epochs)
        )


@pytest.mark.parametrize("victim", ["worker", "chief"])
def test_a_killed_worker_makes_the_other_fail_clearly_not_hang(monkeypatch, tmp_path, victim):
    make_idx_dir(tmp_path / "prep/idx", 64)
    tiny_experiment(tmp_path / "prep").ensure_dataset()  # both workers read these records
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    try:
        for index in range(2):
            workers.append(start_worker(monkeypatch, tmp_path, cluster, index))
        chief = workers[0]
        # Epochs 1 and 2 done together (collectives, checkpoints): training is in full swing.
        line = chief.wait_for("Epoch 3/1000", timeout=START_LIMIT)
        assert line is not None, chief.tail()
        dead_index = 1 if victim == "worker" else 0
        dead, survivor = workers[dead_index], workers[1 - dead_index]
        assert dead.signal(signal.SIGKILL), dead.tail()
        killed = time.monotonic()
        assert dead.wait(timeout=30) == -signal.SIGKILL
        try:
            code = survivor.wait(timeout=DETECTION_LIMIT)
        except TimeoutError as err:
            pytest.fail(f"the survivor hangs after its peer was killed: {err}")
        detected = time.monotonic() - killed
        print(f"{victim} killed: the other exited with {code} after {detected:.1f} s")
        print(survivor.stderr.strip().splitlines()[-1])
        tail = survivor.stderr[-3000:]
        assert code > 0, tail  # exited by itself with an error, not killed or crashed
        assert ERROR_RE.search(tail), tail
        assert f"/job:worker/replica:0/task:{dead_index}" in tail, tail  # names the dead task
    finally:
        for worker in workers:
            worker.close()
    if victim == "chief":
        return
    # The way back: start both again with the same command; they resume together from the
    # chief's last checkpoint (a shared disk here) and finish.
    done = checkpoint_epoch(Path(tf.train.latest_checkpoint(str(tmp_path / "model/checkpoints"))))
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    try:
        for index in range(2):
            workers.append(start_worker(monkeypatch, tmp_path, cluster, index, done + 1))
        codes = [worker.wait(timeout=START_LIMIT) for worker in workers]
        assert codes == [0, 0], workers[0].tail() + workers[1].tail()
        assert f"(epoch {done})" in workers[0].stdout and f"(epoch {done})" in workers[1].stdout
        assert (
            checkpoint_epoch(Path(tf.train.latest_checkpoint(str(tmp_path / "model/checkpoints"))))
            == done + 1
        )
    finally:
        for worker in workers:
            worker.close()
