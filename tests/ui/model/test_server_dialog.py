"""Model > Use a model server: the dialog's Test connection against a fake OpenAI-compatible server on 127.0.0.1, the
choice stored in the settings (no token) and handed to the runner as an openai-backend ModelSpec."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.ui import settings as S
from gazex_viewer.ui.model import server_dialog as SD


@pytest.fixture()
def fake_url() -> Iterator[str]:
    """``GET /v1/models`` lists gazex-test (as vLLM does); anything else is 404."""

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            ok = self.path == "/v1/models"
            data = json.dumps({"object": "list", "data": [{"id": "gazex-test", "owned_by": "vllm"}]} if ok
                              else {"detail": "Not Found"}).encode()
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_test_connection_says_what_the_server_serves(qtbot: Any, fake_url: str, tmp_path: Path) -> None:
    dlg = SD.ServerDialog()
    qtbot.addWidget(dlg)
    dlg.url_edit.setText(fake_url)
    dlg.served_edit.setText("gazex-test")
    assert dlg.test_connection()
    assert dlg.result_label.text() == f"connected: {fake_url} serves 'gazex-test'"
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.grab().save(str(tmp_path / "server_dialog.png"))

    dlg.served_edit.setText("other")
    assert not dlg.test_connection()
    assert "does not serve model 'other'" in dlg.result_label.text() and "gazex-test" in dlg.result_label.text()

    dlg.url_edit.setText(f"http://127.0.0.1:{_closed_port()}")
    assert not dlg.test_connection()
    text = dlg.result_label.text()
    assert "cannot connect" in text and "\n" not in text

    dlg.url_edit.setText("ftp://x")
    assert not dlg.test_connection()
    assert "not an http:// or https:// URL" in dlg.result_label.text()


def test_choice_is_stored_and_used_by_the_runner(window: Any, fake_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "model-info.json"
    info.write_text("{}", encoding="utf-8")

    def fill_and_accept(dlg: SD.ServerDialog) -> int:
        dlg.url_edit.setText(fake_url + "/")
        dlg.served_edit.setText("gazex-test")
        dlg.info_edit.setText(str(info))
        dlg.accept()
        return int(dlg.result())

    monkeypatch.setattr(SD.ServerDialog, "exec", fill_and_accept)
    assert window.jobs.choose_server()
    assert S.settings().value(SD.KEY_SERVER) == fake_url
    assert not [k for k in S.settings().allKeys() if "token" in k.lower()]
    assert window.model_panel.checkpoint == Path(f"gazex-test on 127.0.0.1:{fake_url.rsplit(':', 1)[1]}")

    loads: list[Any] = []

    class Sig:
        def connect(self, slot: Any) -> None:
            pass

    class Runner:
        def __init__(self) -> None:
            for name in ("progress_changed", "text_streamed", "reading_ready", "failed", "cancelled", "loaded"):
                setattr(self, name, Sig())

        def load(self, spec: Any) -> None:
            loads.append(spec)

    window.jobs.runner_factory = lambda parent: Runner()
    window.jobs.runner_with_model()
    (spec,) = loads
    assert (spec.server, spec.served_model, Path(spec.model_dir)) == (fake_url, "gazex-test", info)

    # a checkpoint folder chosen afterwards: the server is forgotten
    assert SD.chosen_server() is not None
    window.set_checkpoint(None)
    assert SD.chosen_server() is None
    assert SD.model_spec(tmp_path, "cpu").server is None
