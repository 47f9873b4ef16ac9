"""The ImageSource seam: a second, tiny source (a DICOM instance held in memory as bytes, as a WADO-RS
answer would be) plugs in without touching any caller: its film, name, identity, corners, SR and PACS
documents are those of the same instance opened from its file, and nothing is read from a path."""

from __future__ import annotations

import re
import subprocess
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from gazex_viewer.core.errors import ExportError, RadiographError
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.imaging.dicom import radiograph_from_dataset
from gazex_viewer.core.imaging.files import FileSource, load_radiograph
from gazex_viewer.core.imaging.film_annotations import (
    DisplayState,
    corner_texts,
    patient_orientation,
)
from gazex_viewer.core.imaging.radiograph import ImageIdentity, Radiograph
from gazex_viewer.core.imaging.source import ImageSource
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    Label,
    Producer,
    Reading,
    Sentence,
)
from gazex_viewer.core.reading.patient_identity import identity_of_film
from tests.conftest import require_tool, shared_file


class BytesSource:
    """One DICOM instance held in memory: the second ImageSource (written here, used by unchanged callers)."""

    def __init__(self, data: bytes, name: str) -> None:
        self._data = data
        self._name = name
        self.opened = 0

    @property
    def name(self) -> str:
        return self._name

    def header(self) -> Dataset | None:
        return pydicom.dcmread(BytesIO(self._data), stop_before_pixels=True)

    @property
    def identity(self) -> ImageIdentity:
        ds = self.header()
        return ImageIdentity() if ds is None else ImageIdentity.from_dataset(ds)

    def open(self) -> Radiograph:
        self.opened += 1
        return radiograph_from_dataset(pydicom.dcmread(BytesIO(self._data)), self)


def _source(name: str) -> tuple[BytesSource, Path]:
    path = shared_file(f"dicom/{name}")
    return BytesSource(path.read_bytes(), f"memory-{name}"), path


def _reading_on(film: Radiograph) -> Reading:
    """A model reading of two findings made on the film (its image reference, its size)."""
    specs = [
        ("enlarged cardiac silhouette", Label("Cardiomegaly", "positive"), Box.from_corners(380, 500, 820, 860)),
        ("no pneumothorax", Label("Pneumothorax", "negative"), None),
    ]
    return Reading(
        image=film.image_ref(),
        producer=Producer(kind="model", name="gazex-test", backend="none"),
        sentences=[Sentence(f"s-{i}", text) for i, (text, _, _) in enumerate(specs)],
        findings=[
            Finding(id=f"f-{i}", sentence_id=f"s-{i}", text=text, labels=[label], observation=box)
            for i, (text, label, box) in enumerate(specs)
        ],
        raw_report=" . ".join(text for text, _, _ in specs) + " .",
    )


def _dciodvfy_errors(path: Path) -> list[str]:
    out = subprocess.run([require_tool("dciodvfy"), str(path)], check=False, capture_output=True, text=True, timeout=60)
    return [ln for ln in (out.stdout + out.stderr).splitlines() if ln.startswith("Error")]


@pytest.fixture
def no_path_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any header read from a file path during the test fails it: the seam must be used."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a header was read from a path instead of the film's source")

    monkeypatch.setattr("gazex_viewer.core.export.sr.read_source_dataset", refuse)
    monkeypatch.setattr("gazex_viewer.core.imaging.source.read_source_dataset", refuse)
    monkeypatch.setattr("gazex_viewer.core.reading.patient_identity.read_identity", refuse)
    monkeypatch.setattr("gazex_viewer.core.export.pdf.read_identity", refuse)


@pytest.mark.parametrize("name", ["RG1_UNCR.dcm", "RG1_J2KR.dcm"])
def test_bytes_source_opens_the_same_film_as_its_file(name: str) -> None:
    source, path = _source(name)
    assert isinstance(source, ImageSource)
    film = source.open()
    from_file = load_radiograph(path)
    # the pixels, their hash and the default display are the file's
    assert np.array_equal(film.stored, from_file.stored) and film.stored.dtype == from_file.stored.dtype
    assert film.pixel_sha256 == from_file.pixel_sha256
    assert np.array_equal(film.render(), from_file.render())
    assert [p.name for p in film.presets] == [p.name for p in from_file.presets]
    assert film.metadata == from_file.metadata
    # it is identified by its source: the name it shows, its UIDs; it has no file
    assert film.source is source and film.path is None
    assert film.name == f"memory-{name}" and repr(film).startswith(f"Radiograph('memory-{name}'")
    assert source.identity == FileSource(path).identity and source.identity.is_dicom
    ref = film.image_ref()
    assert ref.file_name == f"memory-{name}"
    assert ref.sop_instance_uid == source.identity.sop_instance_uid
    assert ref.study_instance_uid == source.identity.study_instance_uid
    assert ref.pixel_sha256 == from_file.image_ref().pixel_sha256


def test_corners_come_from_the_source_header(no_path_reads: None) -> None:
    source, path = _source("RG1_UNCR.dcm")
    film = source.open()
    header = film.source.header()
    identity = identity_of_film(film.name, header)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert identity.known and identity.patient_id == str(ds.PatientID)
    assert patient_orientation(header) == ["L", "F"]  # RG1: as the file's corners show
    texts = corner_texts(identity, film.metadata, DisplayState(None, "Header 1", 1.0, False))
    assert f"ID {ds.PatientID}" in texts["top_left"]


def test_picture_source_has_no_header_and_an_unknown_identity() -> None:
    png = FileSource(shared_file("images/nih/00000001_000.png"))
    film = png.open()
    assert film.source is png and film.name == "00000001_000.png"
    identity = identity_of_film(film.name, film.source.header())
    assert not identity.known and "00000001_000.png is not DICOM" in (identity.note or "")


def test_sr_of_a_reading_on_the_bytes_source_is_valid(tmp_path: Path, no_path_reads: None) -> None:
    source, path = _source("RG1_UNCR.dcm")
    film = source.open()
    reading = _reading_on(film)
    out = tmp_path / "memory_sr.dcm"
    result = export_sr(reading, out, film=film)
    assert result.source_is_dicom and not result.signed and result.n_findings == 2
    assert result.warnings == ["the reading is not signed: the SR is marked as a DRAFT (PARTIAL, UNVERIFIED)"]
    assert _dciodvfy_errors(out) == []
    sr = pydicom.dcmread(out)
    src = pydicom.dcmread(path, stop_before_pixels=True)
    assert sr.StudyInstanceUID == src.StudyInstanceUID and sr.PatientID == src.PatientID
    dump = subprocess.run([require_tool("dsrdump"), "+Pl", "+Pu", str(out)],
                          check=True, capture_output=True, text=True, timeout=60).stdout
    refs = re.findall(r'"Source"\)=\([^,]+,"([0-9.]+)"\)', dump)
    assert refs == [source.identity.sop_instance_uid]  # the one region references the source's instance


def test_pacs_documents_of_the_bytes_source(tmp_path: Path, no_path_reads: None) -> None:
    from gazex_viewer.core.pacs.documents import result_documents

    source, path = _source("RG1_UNCR.dcm")
    film = source.open()
    docs = result_documents(_reading_on(film), film)
    assert docs.pdf is not None and not docs.signed
    src = pydicom.dcmread(path, stop_before_pixels=True)
    assert docs.pdf.StudyInstanceUID == src.StudyInstanceUID
    assert docs.pdf.SourceInstanceSequence[0].ReferencedSOPInstanceUID == src.SOPInstanceUID
    docs.sr.save_as(tmp_path / "sr.dcm", enforce_file_format=True)
    assert _dciodvfy_errors(tmp_path / "sr.dcm") == []


def test_another_films_reading_is_refused(tmp_path: Path) -> None:
    uncr, _ = _source("RG1_UNCR.dcm")
    film = uncr.open()
    other = load_radiograph(shared_file("dicom/nih_dx_secondary_capture.dcm"))
    with pytest.raises(ExportError, match="memory-RG1_UNCR.dcm: these are not the pixels"):
        export_sr(_reading_on(other), tmp_path / "x.dcm", film=film)
    assert not (tmp_path / "x.dcm").exists()


def test_a_broken_instance_names_the_source() -> None:
    source, _ = _source("RG1_UNCR.dcm")
    ds = pydicom.dcmread(BytesIO(source._data))
    ds.Rows = int(ds.Rows) + 7  # the header no longer fits the Pixel Data
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    broken = BytesSource(buf.getvalue(), "broken.dcm")
    with pytest.raises(RadiographError, match=r"^broken\.dcm: Pixel Data holds"):
        broken.open()
