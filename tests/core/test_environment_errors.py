"""Unwritable output folders and a full disk end with one clear line, not a traceback."""

import errno

import pytest

from gans.core.run import common_flags
from tests.testing_utils import make_idx_dir, run_script


def test_output_folder_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    result = run_script(
        "gans/mnist/mnist_gan.py",
        f"--source_dir={make_idx_dir(tmp_path / 'idx', 40)}",
        f"--gen_dir={blocker}/gen",
        "--epochs=1",
        "--batch_size=8",
        "--steps_per_epoch=1",
        "--width=8",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not_a_folder" in lines[0], result.stderr


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EACCES, "no permission"),
        (errno.EROFS, "read-only"),
    ],
)
def test_os_errors_become_one_line_with_a_hint(code, hint, capsys):
    """A full disk (simulated: the write raises ENOSPC), no permission, read-only."""

    def main(argv):
        raise OSError(code, "simulated", "/out/mnist_epoch_0001.png")

    common_flags.define_common_flags()
    with pytest.raises(SystemExit) as exit_info:
        common_flags.run_app(main, argv=["prog"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/out/mnist_epoch_0001.png" in err[0] and hint in err[0]


def test_settings_that_cannot_work_are_one_line(tmp_path):
    """A flag clash found while the run is configured (FastGAN at 28 px) is a user error."""
    result = run_script(
        "gans/mnist/mnist_gan.py",
        f"--source_dir={make_idx_dir(tmp_path / 'idx', 40)}",
        "--network=fastgan",
        "--image_size=28",
        "--epochs=1",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "fastgan" in lines[0] and "28" in lines[0], result.stderr
