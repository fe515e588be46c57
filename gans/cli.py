"""The suite's commands (console scripts of the installed package; entry scripts, so they
read absl flags and may know every dataset package).

    gans-train DATASET [--flagfile=NAME|FILE] [flags]    train (``--help`` lists the flags)
    gans-convert DATASET [--inspect] [--force] [flags]  convert a dataset to TFRecords
    gans-generate --model_dir=DIR [--num=64] ...        sample, walk, export a generator
    gans-evaluate --model_dir=DIR [--extractor=...]     FID/KID, SWD, diversity, copies
    gans-report --run_dir=DIR [--model_dir=DIR]         rebuild a run's index.html
    gans-data-service [--port=P | --worker --dispatcher=HOST:PORT]
    gans-preprocess TOOL [flags]                        preprocess/<TOOL>.py
    gans-crawl --spider=NAME [...]                      datasets/crawler/crawl.py

``python -m gans.cli COMMAND ...`` runs the same (``train``, ``convert``, ``generate``,
``evaluate``, ``report``, ``data_service``). DATASET is a name of ``gans.registry`` or,
for any other name, an image folder (with ``--source_dir``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from gans.core.errors import DataError, MissingDataError
from gans.core.run.common_flags import FLAGS, define_flag, run_app

REPO_FOLDERS = {"preprocess": "preprocess", "crawler": "datasets/crawler"}


def _dataset_argv(command: str, argv: list[str] | None) -> tuple[str, list[str]]:
    """``DATASET`` (the first argument) and the argv absl parses (program + the rest)."""
    from gans.registry import SPECS

    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1].startswith("-"):
        names = ", ".join(sorted(SPECS))
        print(
            f"usage: {command} DATASET [flags]   (DATASET: {names}, or any name for an image "
            f"folder with --source_dir); {command} DATASET --help lists the flags",
            file=sys.stderr,
        )
        sys.exit(0 if any(a in ("-h", "--help", "-help") for a in argv[1:]) else 2)
    return argv[1], [f"{Path(argv[0]).name} {argv[1]}", *argv[2:]]


def _usage(command: str, name: str) -> str:
    return f"{command} {name} [--flagfile=NAME|FILE] [flags]"


def train(argv: list[str] | None = None) -> None:
    """``gans-train DATASET [flags]``: the dataset's entry script, by name."""
    from gans.core.run.entry import run_training
    from gans.registry import get_spec

    name, argv = _dataset_argv("gans-train", argv)
    doc = f"{_usage('gans-train', name)}\n\nTrain a GAN on {name} with its defaults."
    run_training(lambda: get_spec(name), argv=argv, doc=doc)


def convert(argv: list[str] | None = None) -> None:
    """``gans-convert DATASET [flags]``: convert a dataset without training."""
    from gans.core.run.entry import run_conversion
    from gans.registry import get_spec

    name, argv = _dataset_argv("gans-convert", argv)
    doc = f"gans-convert {name} [--inspect] [--force] [flags]\n\nConvert {name} to TFRecords."
    run_conversion(lambda: get_spec(name), argv=argv, doc=doc)


def _experiment(model_dir: str | None, **overrides):
    from gans.core.run.experiment import GANExperiment
    from gans.registry import get_spec

    if not model_dir:
        raise MissingDataError("--model_dir is required (a trained model directory)")
    return GANExperiment.from_model_dir(model_dir, find_spec=get_spec, **overrides)


def generate(argv: list[str] | None = None) -> None:
    """``gans-generate --model_dir=DIR``: sample ``--num`` images (and optionally a walk
    GIF and an export) from a trained model; default ``--out_dir`` is
    ``<gen_dir>/<run_name>/generated/``."""
    from gans.core.data.class_labels import label_index
    from gans.core.model.latent import check_truncation
    from gans.core.run import generate as gen

    group = "generate"
    define_flag("string", "model_dir", None, "Trained model directory (holds config.json).", group)
    define_flag("integer", "num", 64, "Number of images to generate.", group, lower_bound=0)
    define_flag(
        "string", "out_dir", None, "Output folder (default <gen_dir>/<run>/generated).", group
    )
    define_flag("integer", "seed", 0, "Noise seed: the same seed gives the same images.", group)
    define_flag(
        "float",
        "truncation",
        None,
        "Truncation trick (BigGAN): redraw noise outside ±T (default none). Lower T is "
        "less varied; on the FastGAN defaults it also blurs (docs/ablation.md).",
        group,
    )
    define_flag(
        "string", "checkpoint", None, "Checkpoint path, ckpt-N or epoch N (default latest).", group
    )
    define_flag("bool", "grid", True, "Write grid.png.", group)
    define_flag("bool", "individual", True, "Write one PNG per image.", group)
    define_flag(
        "string",
        "label",
        None,
        "Class of every image, by name or index (conditional GANs; default: cycle).",
        group,
    )
    define_flag(
        "string", "prefix", None, "Individual file prefix (default: the dataset name).", group
    )
    define_flag("integer", "batch_size", 256, "Images per generator call.", group, lower_bound=1)
    define_flag("bool", "interpolate", False, "Also write interpolation.gif (a slerp walk).", group)
    define_flag(
        "string", "export_dir", None, "Also export the generator (.keras + SavedModel).", group
    )

    def main(argv: list[str]) -> None:
        f = FLAGS
        if len(argv) > 1:
            raise DataError(f"unexpected arguments: {' '.join(argv[1:])}")
        check_truncation(f.truncation)
        experiment = _experiment(f.model_dir)
        label = label_index(f.label, experiment.class_names) if f.label else None
        out_dir = Path(f.out_dir) if f.out_dir else experiment.run.image_dir / "generated"
        path = gen.restore_checkpoint(experiment, f.checkpoint)
        epoch = experiment.epochs_done
        print(f"restored {path} (epoch {epoch})")
        if f.num and (f.grid or f.individual):
            dataset = experiment.config.dataset
            if label is not None:  # first, so a narrow grid still shows it
                dataset += f" · {experiment.class_names[label]}"
            title = f"{dataset} · epoch {epoch} · seed {f.seed}"
            if f.truncation is not None:
                title += f" · truncation {f.truncation:g}"
            per_class = bool(experiment.num_classes) and label is None
            written, note = gen.stream_images(
                experiment,
                f.num,
                out_dir,
                f.seed,
                f.batch_size,
                label,
                prefix=f.prefix or experiment.config.dataset,
                grid=f.grid,
                individual=f.individual,
                title=title,
                columns=experiment.num_classes if per_class else None,
                column_titles=experiment.class_names if per_class else None,
                checkpoint=path,
                truncation=f.truncation,
            )
            print(f"wrote {len(written)} file(s) to {out_dir}" + (f" ({note})" if note else ""))
        if f.interpolate:
            gif = gen.interpolation_gif(
                experiment,
                out_dir / gen.INTERPOLATION_NAME,
                seed=f.seed,
                checkpoint=path,
                labels=label,
                truncation=f.truncation,
            )
            print(f"wrote {gif}")
        if f.export_dir:
            files = gen.export_generator(experiment, f.export_dir, checkpoint=path)
            print(f"exported {files['keras']}, {files['saved_model']} and {files['json']}")

    run_app(main, argv=argv, doc=generate.__doc__)


def evaluate(argv: list[str] | None = None) -> None:
    """``gans-evaluate --model_dir=DIR``: score the latest checkpoint (FID/KID with a
    classifier or InceptionV3, SWD, MS-SSIM diversity, mode coverage, memorization) into
    ``<model_dir>/evaluation_epoch_<N>.json`` (``_trunc<T>`` added with ``--truncation``)."""
    group = "evaluate"
    define_flag("string", "model_dir", None, "A trained model directory.", group)
    define_flag(
        "enum",
        "extractor",
        "classifier",
        "FID net.",
        group,
        enum_values=["classifier", "inception", "none"],
    )
    define_flag("string", "inception_weights", None, "Local InceptionV3 notop .h5 weights.", group)
    define_flag("integer", "num_samples", 1000, "Generated images to score.", group)
    define_flag("integer", "seed", 0, "Sampling seed.", group)
    define_flag(
        "float", "truncation", None, "Score samples drawn with the truncation trick.", group
    )

    def main(argv: list[str]) -> None:
        from gans.core.metrics.evaluation import evaluate_experiment
        from gans.core.model.latent import check_truncation

        f = FLAGS
        check_truncation(f.truncation)
        experiment = _experiment(f.model_dir, strategy="one_device")
        result = evaluate_experiment(
            experiment,
            f.num_samples,
            extractor=f.extractor,
            inception_weights=f.inception_weights,
            seed=f.seed,
            truncation=f.truncation,
        )
        for key in sorted(result):
            if isinstance(result[key], float | int | str) and not key.startswith("mode_hist"):
                print(f"{key}: {result[key]}")

    run_app(main, argv=argv, doc=evaluate.__doc__)


def report(argv: list[str] | None = None) -> None:
    """``gans-report --run_dir=DIR``: rebuild a run's ``index.html``, GIF and curves."""
    group = "report"
    define_flag(
        "string", "run_dir", None, "Run image folder, e.g. gen_img/mnist/dcgan_gan_28px.", group
    )
    define_flag(
        "string",
        "model_dir",
        None,
        "Model folder with history.csv / metrics.jsonl (default: models/<dataset>/<run> "
        "beside gen_img, if it exists).",
        group,
    )

    def main(argv: list[str]) -> None:
        from gans.core.report.run_report import build_run_report, guess_model_dir

        del argv
        if not FLAGS.run_dir:
            raise MissingDataError("--run_dir is required (a run's image folder)")
        model_dir = FLAGS.model_dir or guess_model_dir(FLAGS.run_dir)
        for name, path in build_run_report(FLAGS.run_dir, model_dir).items():
            print(f"{name}: {path}")

    run_app(main, argv=argv, doc=report.__doc__)


def data_service(argv: list[str] | None = None) -> None:
    """``gans-data-service``: a tf.data service dispatcher (``--port``) or worker
    (``--worker --dispatcher=HOST:PORT``) for ``--data_service=grpc://HOST:PORT``."""
    group = "data service"
    define_flag("integer", "port", 0, "Port to listen on (0: any free port).", group)
    define_flag("bool", "worker", False, "Run a worker instead of the dispatcher.", group)
    define_flag("string", "dispatcher", "", "Dispatcher HOST:PORT (workers only).", group)

    def main(argv: list[str]) -> None:
        import tensorflow as tf

        f = FLAGS
        service = tf.data.experimental.service
        if f.worker:
            if not f.dispatcher:
                raise MissingDataError("--worker needs --dispatcher=HOST:PORT")
            server = service.WorkerServer(
                service.WorkerConfig(dispatcher_address=f.dispatcher, port=f.port)
            )
            print(f"tf.data worker (port {f.port or 'any'}) serving dispatcher {f.dispatcher}")
        else:
            server = service.DispatchServer(service.DispatcherConfig(port=f.port))
            print(f"tf.data dispatcher at {server.target}")
        server.join()

    run_app(main, argv=argv, doc=data_service.__doc__)


def tool_folder(name: str) -> Path:
    """Where the packaged command-line tools are: ``gans/tools/<name>`` in an installed
    wheel, the repo's own folder in a checkout."""
    installed = Path(__file__).resolve().parent / "tools" / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[1] / REPO_FOLDERS[name]


def _run_script(path: Path, argv: list[str]) -> None:
    if not path.is_file():
        raise SystemExit(f"error: {path}: no such tool")
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    runpy.run_path(str(path), run_name="__main__")


def preprocess(argv: list[str] | None = None) -> None:
    """``gans-preprocess TOOL [flags]``: one of the OpenCV tools in ``preprocess/``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    folder = tool_folder("preprocess")
    tools = sorted(p.stem for p in folder.glob("*.py") if (p.read_text().find("__main__") >= 0))
    if not argv or argv[0].startswith("-"):
        raise SystemExit(f"usage: gans-preprocess TOOL [flags]; TOOL: {', '.join(tools)}")
    _run_script(folder / f"{argv[0]}.py", argv[1:])


def crawl(argv: list[str] | None = None) -> None:
    """``gans-crawl --spider=NAME``: the image crawler (needs the ``[crawl]`` extra)."""
    _run_script(tool_folder("crawler") / "crawl.py", list(sys.argv[1:] if argv is None else argv))


COMMANDS = {
    "train": train,
    "convert": convert,
    "generate": generate,
    "evaluate": evaluate,
    "report": report,
    "data_service": data_service,
    "preprocess": preprocess,
    "crawl": crawl,
}


def main(argv: list[str] | None = None) -> None:
    """``python -m gans.cli COMMAND ...``."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] not in COMMANDS:
        raise SystemExit(f"usage: python -m gans.cli {{{','.join(COMMANDS)}}} ...")
    command = COMMANDS[argv[1]]
    if command in (preprocess, crawl):
        command(argv[2:])
    else:
        command([f"gans.cli {argv[1]}", *argv[2:]])


if __name__ == "__main__":
    main()
