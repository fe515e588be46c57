"""Errors meant for the user: entry scripts print them as one line and exit non-zero."""


class UserError(Exception):
    """A problem the user can fix (bad input, missing data); its message says how."""


class DataError(UserError, ValueError):
    """Input data that cannot be used (corrupt shard, wrong size, no images)."""


class MissingDataError(UserError, FileNotFoundError):
    """Data that is not there and cannot be fetched."""


class DivergenceError(UserError, RuntimeError):
    """Training produced NaN/Inf and could not be rolled back any more."""


class Interrupted(UserError):
    """Ctrl-C during training; the message says what was saved."""


class ConfigError(UserError, ValueError):
    """A flag or setting that cannot work (unknown choice, unsupported size, a clash)."""
