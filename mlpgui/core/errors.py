"""Errors the user can cause, each with a message in the user's terms.

The command line prints `str(error)` on one line and exits with status 2; the
window shows it next to the field or in a dialog. Anything that is not an
`MlpguiError` is a bug.
"""


class MlpguiError(Exception):
    """Base class: a problem with what the user asked for, never a crash."""


class ConfigError(MlpguiError, ValueError):
    """A training setting is out of range or inconsistent.

    `field` names the config field at fault (None when several are), so the
    window can put the message next to it.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DataError(MlpguiError):
    """A data file is missing, truncated, corrupt or not what it claims to be."""


class ModelFileError(MlpguiError):
    """A model file can't be read, or doesn't fit what is expected."""


class ImageError(MlpguiError):
    """An image given for prediction can't be read or holds no digit."""


class TrainingDiverged(MlpguiError):
    """The loss became non-finite; the model was rolled back to the last finite epoch."""
