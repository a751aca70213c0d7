"""Settings: defaults, then config.toml, then ``JOBTUI_*`` environment, then flags.

Paths come from platformdirs so the default database lives in the user's data
directory. The module is a leaf: it imports only the standard library and
platformdirs.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jobtui.errors import UserError
from jobtui.nesting import check_depth, too_deep

APP_NAME = "jobtui"
ENV_PREFIX = "JOBTUI_"
DEBUG_ENV = "JOBTUI_DEBUG"
"""Set (to anything): a bug shows its traceback instead of one line."""


def _data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def _config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a jobtui process is configured with."""

    db: str = ""
    """Database URL; empty means the SQLite file in the data directory."""
    data_dir: Path = field(default_factory=_data_dir)
    config_dir: Path = field(default_factory=_config_dir)
    heartbeat: float = 2.0
    """Seconds between two agent heartbeats."""
    lease: float = 30.0
    """Seconds a silent agent keeps its runs before others mark them lost."""
    poll: float = 0.5
    """Seconds an idle agent waits before looking for work again."""
    grace: float = 10.0
    """Seconds a terminated script gets before its process group is killed."""
    log_max_lines: int = 2_000_000
    """Lines stored per run; past it the head and the tail are kept."""
    log_max_bytes: int = 256 * 1024 * 1024
    """Bytes stored per run; past it the head and the tail are kept."""
    jobs: str = ""
    """Folder of TOML job files (``--jobs-dir``); empty means ``jobs`` in the config directory."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key remapping for the dashboard: binding id to key."""

    @property
    def db_url(self) -> str:
        """The database URL to connect to."""
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'jobtui.db'}"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def jobs_dir(self) -> Path:
        """The folder of TOML job files agents load and watch."""
        return Path(self.jobs).expanduser() if self.jobs else self.config_dir / "jobs"


BOUNDS: dict[str, tuple[float, float, str]] = {
    "heartbeat": (0.05, 3600.0, "seconds"),
    "lease": (0.1, 7 * 86400.0, "seconds"),
    "poll": (0.01, 60.0, "seconds"),
    "grace": (0.0, 3600.0, "seconds"),
    "log_max_lines": (100, 1_000_000_000, "lines"),
    "log_max_bytes": (64 * 1024, 2**40, "bytes"),
}
"""Each number setting's range: a zero lease lets two agents run one run, a zero poll spins a core."""

SECTIONS = {"smtp"}
"""Tables of config.toml read by the module that owns them (engine.reports reads [smtp])."""

_ENV_KEYS = {"db", "heartbeat", "lease", "poll", "grace", "log_max_lines", "log_max_bytes", "jobs"}


def load_settings(**flags: Any) -> Settings:
    """Build the settings from every source, flags last.

    Args:
        flags: values given on the command line; ``None`` values are ignored.

    Raises:
        UserError: a config file or environment value is malformed.
    """
    settings = Settings()
    env_dirs = {
        "data_dir": os.environ.get(ENV_PREFIX + "DATA_DIR"),
        "config_dir": os.environ.get(ENV_PREFIX + "CONFIG_DIR"),
    }
    settings = replace(settings, **{k: Path(v) for k, v in env_dirs.items() if v})
    values = {k: v for k, v in _read_file(settings.config_file).items() if k not in SECTIONS}
    settings = _apply(settings, values, str(settings.config_file))
    env = {
        key: os.environ[ENV_PREFIX + key.upper()]
        for key in _ENV_KEYS
        if ENV_PREFIX + key.upper() in os.environ
    }
    settings = _apply(settings, env, "environment")
    settings = _apply(settings, {k: v for k, v in flags.items() if v is not None}, "flags")
    check_lease(settings.lease, settings.heartbeat)
    return settings


def check_lease(lease: float, heartbeat: float) -> None:
    """A lease must outlast a heartbeat, or an agent's own runs are taken from it between two beats.

    Raises:
        UserError: it does not.
    """
    if lease <= heartbeat:
        raise UserError(f"setting 'lease' {lease:g}: must be more than the heartbeat ({heartbeat:g})")


def _bounded(key: str, value: Any, kind: type) -> float:
    """A number setting within its range (NaN and infinity are out of every range)."""
    number = kind(float(value)) if kind is int and not isinstance(value, int) else kind(value)
    low, high, unit = BOUNDS[key]
    if not low <= number <= high:  # also refuses NaN
        raise ValueError(f"must be between {low:g} and {high:g} ({unit})")
    return number


MAX_TOML = 16 * 1024 * 1024  # bytes a config or job file may have


def read_toml(path: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    """A TOML file's tables, refusing in one line what is not a readable regular file of UTF-8 TOML.

    ``/dev/zero`` or a FIFO given as a job file is refused before it is read, not read forever.

    Raises:
        UserError: naming the file (and the line, for bad TOML).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{path}: not a regular file")
    if info.st_size > MAX_TOML:
        raise UserError(f"{path}: {info.st_size:,} bytes, at most {MAX_TOML:,}")
    try:
        return check_depth(tomllib.loads(path.read_bytes().decode("utf-8")), str(path))
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from None
    except ValueError:  # the only other one tomllib raises: an integer past Python's digit limit
        raise UserError(f"{path}: a number of more than {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:
        raise too_deep(str(path)) from None


def _read_file(path: Path) -> dict[str, Any]:
    return read_toml(path, missing_ok=True)


def _apply(settings: Settings, values: dict[str, Any], origin: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"{origin}: unknown setting {key!r}")
        current = getattr(settings, key)
        try:
            if isinstance(current, bool):
                changes[key] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            elif isinstance(current, (int, float)) and not isinstance(current, bool):
                changes[key] = _bounded(key, value, type(current))
            elif isinstance(current, Path):
                changes[key] = Path(value).expanduser()
            elif isinstance(current, dict):
                if not isinstance(value, dict):
                    raise ValueError("expected a table")
                changes[key] = {str(k): str(v) for k, v in value.items()}
            else:
                changes[key] = str(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise UserError(f"{origin}: setting {key!r} {value!r}: {exc}") from None
    return replace(settings, **changes)


def redact(url: str) -> str:
    """A database URL with any password hidden, for messages and the dashboard's header (even a malformed one)."""
    try:
        password = urlsplit(url).password
    except ValueError:  # a URL too broken to parse: hide whatever stands between ':' and '@'
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url, count=1)
    return url.replace(f":{password}@", ":***@", 1) if password else url
