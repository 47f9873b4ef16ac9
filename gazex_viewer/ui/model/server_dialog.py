"""Model > Use a model server: the server URL, the served model's name and an optional model-info file.

The choice is stored in the viewer settings (``model/server``, ``model/served_model``, ``model/model_info``; never a
token: that comes from ``$GAZEX_SERVER_TOKEN`` or the system keyring, see README "Remote inference"). While a server
is chosen, :func:`model_spec` gives the runner a ModelSpec for the ``openai`` backend; choosing a checkpoint folder
forgets the server (:func:`forget_server`). "Test connection" asks ``GET /v1/models`` with the backend's own HTTP
client, bounded by :data:`TEST_TIMEOUT_S`, and shows one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.ui import settings as S

KEY_SERVER = "model/server"
KEY_SERVED = "model/served_model"
KEY_INFO = "model/model_info"
#: the longest a "Test connection" waits
TEST_TIMEOUT_S = 10.0


def chosen_server() -> tuple[str, str, Path | None] | None:
    """(URL, served model, model-info file or None) when a server is the chosen model, else None."""
    s = S.settings()
    url, served = str(s.value(KEY_SERVER, "") or ""), str(s.value(KEY_SERVED, "") or "")
    if not url or not served:
        return None
    return url, served, S.get_path(KEY_INFO)


def server_label(url: str, served: str) -> str:
    """A short name for the model panel: ``NAME on HOST:PORT``."""
    name = served.rstrip("/").rsplit("/", 1)[-1] or served
    return f"{name} on {urlsplit(url).netloc or url}"


def current_choice() -> Path | None:
    """What the model panel shows: the server's label while a server is chosen, else the checkpoint folder."""
    chosen = chosen_server()
    if chosen is not None:
        return Path(server_label(chosen[0], chosen[1]).replace("/", "_"))
    return S.get_path("model/checkpoint")


def model_spec(checkpoint: Path, device: str) -> Any:
    """The runner's ModelSpec: the chosen server (openai backend), else the checkpoint folder."""
    from gazex_viewer.inference.api import ModelSpec

    chosen = chosen_server()
    if chosen is None:
        return ModelSpec(model_dir=checkpoint, device=device)
    url, served, info = chosen
    return ModelSpec(model_dir=info or Path(""), endpoint=url, served_model=served, backend="openai")


def forget_server() -> None:
    """A checkpoint folder was chosen: the server is no longer the model."""
    for key in (KEY_SERVER, KEY_SERVED, KEY_INFO):
        S.set_value(key, None)


class ServerDialog(QDialog):
    """Server URL, served model name, optional model-info file, Test connection; OK stores the choice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Use a model server")
        chosen = chosen_server()
        self.url_edit = QLineEdit(chosen[0] if chosen else "")
        self.url_edit.setPlaceholderText("https://gpu-server:8000")
        self.served_edit = QLineEdit(chosen[1] if chosen else "")
        self.served_edit.setPlaceholderText("the model name the server serves")
        info = chosen[2] if chosen else None
        self.info_edit = QLineEdit(str(info) if info else "")
        self.info_edit.setPlaceholderText("optional: the department's model-info JSON")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        info_row = QHBoxLayout()
        info_row.addWidget(self.info_edit, 1)
        info_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Server URL", self.url_edit)
        form.addRow("Served model", self.served_edit)
        form.addRow("Model info", info_row)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel(
            "The token comes from $GAZEX_SERVER_TOKEN or the system keyring; it is never stored here."
        )
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.test_button)
        lay.addWidget(self.result_label)
        lay.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model-info file", self.info_edit.text(), "JSON (*.json)")
        if path:
            self.info_edit.setText(path)

    def spec(self) -> Any:
        """The ModelSpec the fields name; GazeXError (one line) when a field is wrong."""
        from gazex_viewer.core.errors import CheckpointError
        from gazex_viewer.inference.api import ModelSpec
        from gazex_viewer.inference.remote_model import check_server_url

        url = check_server_url(self.url_edit.text(), "server URL")
        served = self.served_edit.text().strip()
        if not served:
            raise CheckpointError("served model", "give the model name the server serves")
        info = self.info_edit.text().strip()
        if info and not Path(info).is_file():
            raise CheckpointError(info, "model-info file not found")
        return ModelSpec(model_dir=Path(info) if info else Path(""), endpoint=url, served_model=served, backend="openai")

    def test_connection(self) -> bool:
        """``GET /v1/models`` (at most TEST_TIMEOUT_S); the one-line result goes to :attr:`result_label`."""
        from gazex_viewer.inference.openai_backend import probe_server

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            text, ok = probe_server(self.spec(), TEST_TIMEOUT_S), True
        except GazeXError as err:
            text, ok = str(err), False
        finally:
            QApplication.restoreOverrideCursor()
        self.result_label.setText(text)
        self.result_label.setStyleSheet("" if ok else "color: #b00020;")
        return ok

    def accept(self) -> None:
        try:
            spec = self.spec()
        except GazeXError as err:
            self.result_label.setText(str(err))
            self.result_label.setStyleSheet("color: #b00020;")
            return
        S.set_value(KEY_SERVER, spec.endpoint)
        S.set_value(KEY_SERVED, spec.served_model)
        S.set_value(KEY_INFO, spec.model_dir if str(spec.model_dir) not in ("", ".") else None)
        super().accept()
