"""absl flags of the entry scripts, generated from ``TrainConfig`` (tensorflow/models style).

Entry scripts call ``define_common_flags()`` under ``__main__`` (never at import of a
library module), change defaults with ``set_defaults``, and hand ``main`` to ``run_app``,
which turns flags into a frozen ``TrainConfig`` (``config_from_flags``). Each flag's type,
default, help text and group come from the ``TrainConfig`` field of the same name; values
are checked by ``gans.core.run.config.validate``, and a bad one exits with one line.
``--help`` lists the suite's flags by group with their defaults; ``--helpfull`` is absl's.
"""

from __future__ import annotations

import dataclasses
import errno
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

import tensorflow as tf
from absl import app, flags, logging

from gans.core.errors import Interrupted, UserError
from gans.core.run.config import GROUPS, ConfigError, TrainConfig, flag_fields, validate

FLAGS = flags.FLAGS

# name -> group of every flag the suite defines (the rest are absl's own and TF's).
SUITE_FLAGS: dict[str, str] = {}
HELP_ARGS = ("-h", "-help", "--help", "-helpshort", "--helpshort", "-?")
RANGE_FIELDS = ("real_label_range", "fake_label_range")


def define_flag(kind: str, name: str, default, help_text: str, group: str, **kwargs) -> None:
    """``flags.DEFINE_<kind>`` for a suite flag (listed by ``--help`` under ``group`` and
    written to ``flags.txt``); a second definition of the same name is ignored."""
    if name in FLAGS:
        return
    if kind == "enum":
        flags.DEFINE_enum(name, default, kwargs.pop("enum_values"), help_text, **kwargs)
    else:
        getattr(flags, f"DEFINE_{kind}")(name, default, help_text, **kwargs)
    SUITE_FLAGS[name] = group


def _flag_kind(field: dataclasses.Field, hint) -> str:
    if field.metadata.get("choices") is not None:
        return "enum"
    base = {a for a in typing.get_args(hint) if a is not type(None)} or {hint}
    for kind, python_type in (("bool", bool), ("integer", int), ("float", float)):
        if python_type in base:
            return kind
    return "string"  # str, and "low,high" ranges


def define_common_flags() -> None:
    """Define one flag per ``TrainConfig`` field; safe to call twice."""
    if "epochs" in FLAGS:
        return
    hints = typing.get_type_hints(TrainConfig)
    for field in flag_fields():
        kind = _flag_kind(field, hints[field.name])
        default = field.default
        if field.name in RANGE_FIELDS and default is not None:
            default = ",".join(str(v) for v in default)
        extra = {"enum_values": list(field.metadata["choices"])} if kind == "enum" else {}
        meta = field.metadata
        define_flag(kind, field.name, default, meta["help"], meta["group"], **extra)


def set_defaults(**defaults) -> None:
    """A dataset's defaults for shared flags (e.g. ``epochs=200``)."""
    for name, value in defaults.items():
        if name in RANGE_FIELDS and value is not None:
            value = ",".join(str(v) for v in value)
        FLAGS.set_default(name, value)


def _range(name: str, text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--{name} must be 'low,high' with low <= high") from None
    return low, high


def flags_text() -> str:
    """The suite's flags as a flagfile (what ``flags.txt`` holds): absl's and TF's own
    flags (``--nohelp``, ``--test_tmpdir`` …) left out."""
    lines = [FLAGS[name].serialize() for name in SUITE_FLAGS if FLAGS[name].value is not None]
    return "".join(f"{line}\n" for line in lines)


def config_from_flags(dataset: str) -> TrainConfig:
    """A frozen, validated ``TrainConfig`` from the parsed flags (one loop over the fields)."""
    values = {}
    for field in flag_fields():
        value = FLAGS[field.name].value
        values[field.name] = _range(field.name, value) if field.name in RANGE_FIELDS else value
    return validate(TrainConfig(dataset=dataset, flags_text=flags_text(), **values))


def _wrap(text: str, indent: str, width: int = 96) -> str:
    import textwrap

    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)


def help_text(doc: str | None = None) -> str:
    """``--help``: the script's usage line(s), then the suite's flags by group, defaults."""
    out = [doc.strip() + "\n"] if doc else []
    groups = [*GROUPS, *sorted(set(SUITE_FLAGS.values()) - set(GROUPS))]
    for group in groups:
        names = [name for name, g in SUITE_FLAGS.items() if g == group]
        if not names:
            continue
        out.append(f"{group}:")
        for name in names:
            flag = FLAGS[name]
            default = flag.default
            if isinstance(default, bool):
                default = str(default).lower()
            prefix = "--[no]" if isinstance(flag.default, bool) else "--"
            out.append(f"  {prefix}{name} (default: {'none' if default is None else default})")
            out.append(_wrap(flag.help, "      "))
        out.append("")
    out.append("--flagfile=FILE reads flags from a file; --helpfull lists absl's and TF's flags.")
    return "\n".join(out)


def packaged_flagfile(name: str) -> str:
    """``--flagfile`` value: an existing file as it is, else the flagfile of that name
    shipped with the package (``recommended_pokemon`` or ``recommended_pokemon.flags``)."""
    if Path(name).exists():
        return name
    import gans

    package = Path(gans.__file__).resolve().parent
    for folder in (package / "flagfiles", package.parent / "flags"):  # wheel, checkout
        for candidate in (name, f"{name}.flags"):
            path = folder / Path(candidate).name
            if path.is_file():
                return str(path)
    return name


def _flagfiles(argv: Sequence[str]) -> list[str]:
    out = list(argv[:1])
    for arg in argv[1:]:
        for prefix in ("--flagfile=", "-flagfile="):
            if arg.startswith(prefix):
                arg = prefix + packaged_flagfile(arg[len(prefix) :])
        out.append(arg)
    return out


def _parse_or_exit(argv: Sequence[str], doc: str | None = None) -> list[str]:
    """Parse flags; ``--help`` prints ``help_text``; a bad value prints one line and exits 2
    (no usage wall). With the common flags defined, their values are validated here too."""
    if any(arg in HELP_ARGS for arg in argv[1:]):
        if doc is None:
            doc = getattr(sys.modules.get("__main__"), "__doc__", None)
        print(help_text(doc))
        sys.exit(0)
    try:
        rest = FLAGS(_flagfiles(argv))
        if "epochs" in SUITE_FLAGS:
            config_from_flags("")
        return rest
    except (flags.Error, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def describe_os_error(err: OSError) -> str:
    """One line naming the file and what to do, for the common OS failures."""
    where = err.filename or "a file"
    hints = {
        errno.ENOSPC: "the disk is full; free space or point --model_dir/--gen_dir elsewhere",
        errno.EDQUOT: "the disk quota is exhausted; free space or write elsewhere",
        errno.EACCES: "no permission to write there; choose another --model_dir/--gen_dir",
        errno.EPERM: "no permission to write there; choose another --model_dir/--gen_dir",
        errno.EROFS: "the file system is read-only; choose another --model_dir/--gen_dir",
        errno.ENOTDIR: "a path component is a file, not a folder; fix the path",
    }
    hint = hints.get(err.errno, "check the path and the disk")
    return f"{where}: {err.strerror or err} ({hint})"


def _lost_peer_reason(err: Exception) -> str:
    """The lines of a TF collective error that say what happened (the task, the cause),
    without the graph traceback TF puts first."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    useful = [line for line in lines if "/job:" in line and not line.startswith("File ")]
    reason = " ".join(dict.fromkeys(useful or lines[-1:]))
    return reason if len(reason) <= 500 else reason[:497] + "..."


def run_app(
    main: Callable[[list[str]], None], argv: list[str] | None = None, doc: str | None = None
) -> None:
    """``app.run`` with one-line errors for bad flags and for ``UserError``s; ``doc``
    heads ``--help`` (default: the ``__main__`` module's docstring)."""

    def guarded(argv: list[str]) -> None:
        if not FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # TF's INFO lines drown the progress bar
        try:
            main(argv)
        except Interrupted as err:
            print(f"{err}", file=sys.stderr)
            sys.exit(130)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(1)
        except (tf.errors.UnavailableError, tf.errors.AbortedError) as err:
            # A peer of a multi-worker run died: heartbeats stopped or the connection reset.
            print(
                "error: a worker of the cluster (or the tf.data service) stopped or became "
                "unreachable "
                f"({_lost_peer_reason(err)}); "
                "start every worker again with the same command to resume from the last "
                "checkpoint",
                file=sys.stderr,
            )
            sys.exit(1)
        except tf.errors.ResourceExhaustedError as err:  # a full disk inside TensorFlow
            reason = (err.message or type(err).__name__).strip().splitlines()[0]
            print(
                f"error: {reason} (the disk is full or memory ran out; free space or "
                "point --model_dir/--gen_dir elsewhere, or lower --batch_size)",
                file=sys.stderr,
            )
            sys.exit(1)
        except OSError as err:  # unwritable folder, full disk, ...: name the file, no wall
            print(f"error: {describe_os_error(err)}", file=sys.stderr)
            sys.exit(1)

    app.run(guarded, argv=argv, flags_parser=lambda args: _parse_or_exit(args, doc))
