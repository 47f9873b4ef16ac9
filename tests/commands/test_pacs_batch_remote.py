"""`batch --server URL --served-model NAME`: the overnight drafts made by a real model server (transformers
serve of the tiny checkpoint, started inside the test Orthanc's network namespace so both are reachable)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
from tests.servers.model_server import (
    missing_serving_modules,
    start_transformers_serve,
    stop_server,
)
from tests.servers.orthanc_fixtures import (
    SECRET_ENV,
    all_gazex_refs,
    clear_results,
    orthanc_profile,
)
from tests.servers.orthanc_server import USER


def test_batch_with_a_model_server(orthanc, tiny_model_dir: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from gazex_viewer.cli import main
    from gazex_viewer.inference.remote_model import model_info_from_checkpoint

    missing = missing_serving_modules()
    if missing:
        pytest.skip(f"transformers serve needs {', '.join(missing)} (pip install 'transformers[serving]')")
    probe = model_info_from_checkpoint(tiny_model_dir, "http://127.0.0.1:1", "x")
    folder = tmp_path / f"gazex-{probe['checkpoint_sha256'][:12]}"
    shutil.copytree(tiny_model_dir, folder)
    proc, url = start_transformers_serve(folder, tmp_path / "serve.log")
    try:
        info = model_info_from_checkpoint(folder, url, str(folder))
        info.update(timeout_s=60, retries=1)
        (tmp_path / "model-info.json").write_text(json.dumps(info), encoding="utf-8")
        clear_results(orthanc)
        pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "check-cache"))
        base = ["batch", "--dicomweb", orthanc.url, "--user", USER, "--secret-env", SECRET_ENV,
                "--deterministic", "--max-new-tokens", "64", "--cache-dir", str(tmp_path / "cache"),
                "--outbox", str(tmp_path / "outbox"), "--no-cache", "--since", "2000-01-01"]
        # --model and --server together: one line, nothing done
        assert main([*base, "--model", str(tiny_model_dir), "--server", url, "--served-model", str(folder)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "give either --model" in err[0]
        assert main([*base, "--server", url, "--served-model", str(folder),
                     "--model-info", str(tmp_path / "model-info.json")]) == 0
        out = capsys.readouterr()
        assert "batch: 1 studies, 3 radiographs: 3 SRs stored, 0 already had" in out.out, out.err
        assert f"loading {url}" in out.err
        refs = all_gazex_refs(pacs)
        assert len(refs) == 3 and all(r.startswith("1.3.6.1.4.1.5962") for r in refs)
        assert main([*base, "--server", url, "--served-model", str(folder),
                     "--model-info", str(tmp_path / "model-info.json")]) == 0
        assert "3 radiographs: 0 SRs stored, 3 already had" in capsys.readouterr().out
    finally:
        stop_server(proc)
        clear_results(orthanc)
