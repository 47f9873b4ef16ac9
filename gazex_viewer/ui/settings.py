"""Persistent settings of the viewer (QSettings, INI format, organisation "GazeX", app "GazeX Viewer").

Tests redirect them with ``QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tmp)``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANISATION = "GazeX"
APPLICATION = "GazeX Viewer"


def settings() -> QSettings:
    """The user's viewer settings."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def get_path(key: str) -> Path | None:
    """A stored path setting, or None."""
    value = settings().value(key, "")
    return Path(str(value)) if value else None


def set_value(key: str, value: object) -> None:
    s = settings()
    s.setValue(key, "" if value is None else (str(value) if isinstance(value, Path) else value))
    s.sync()


def get_bool(key: str, default: bool) -> bool:
    value = settings().value(key, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def get_float(key: str, default: float) -> float:
    value = settings().value(key, default)  # QSettings.value is typed object
    if not isinstance(value, str | int | float):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def get_int(key: str, default: int) -> int:
    value = settings().value(key, default)  # QSettings.value is typed object
    if not isinstance(value, str | int | float):
        return default
    try:
        return int(value)
    except (ValueError, OverflowError):
        return default
