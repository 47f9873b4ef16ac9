"""Training data for a GazeX checkpoint from readings: a LLaMA-Factory dataset (sharegpt ``messages`` + ``images``).

The two GazeX tasks are built exactly as the authors' ``Create_Training_Data.py`` builds them
(``../shared/NOTES-gazex-fidelity.md`` sections 1 and 3):

- the **report** task: user ``"<image>" + report prompt`` (the ``training`` preset's report prompt, which starts with
  the space of ``"<image> Given ..."``), assistant the reading's sentences joined with ``' '``
  (``"enlarged cardiac silhouette . no pneumothorax ."``);
- one **grounding** task per sentence that has an observation box: user ``"<image>" + grounding prompt`` with the
  sentence in its slot, variant A (``"Output as much visual clues ..."``) when the target has two or more clue boxes
  and variant B (``"Output visual clues and observation area ..."``) otherwise; the assistant target is written by
  :func:`~gazex_viewer.core.reading.gazex_protocol.format_grounding` (the formatter the parser reads) in the GazeX
  ``downscale4`` frame of the film's own width and height. A single clue box is not written (GazeX writes clues
  only for two or more clusters).
- in the ``downscale4`` frame each box is first narrowed as ``Create_Training_Data.py`` does
  (``narrow_bbox_by_percentage``: clues by 0.35 %, the observation by 0.15 % of its width and height, half on each
  side, then ``int()`` truncation of corners and centroid), so a reading imported with ``--keyframes gazex`` (boxes
  = /4 indices times 4) gives upstream's target strings byte for byte: the box ``(128,78)(406,191)`` becomes
  ``(128,78)(405,190)``. ``narrow=False`` writes the boxes as they are (rounded to the /4 grid).

Readings are grouped by patient (``producer.generation.recording.subject_id`` or ``patient_id``; the film when
neither is recorded) or by film, and each group goes to one split by a hash of its key, so a patient is never in
both train and val and the split does not change when readings are added
(:mod:`~gazex_viewer.core.export.training_splits`); films are found and measured by
:mod:`~gazex_viewer.core.export.training_files`. Both are re-exported here. The output folder is written in a
temporary sibling and renamed into place: a failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazex_viewer.core.export.training_files import (
    TRAINABLE_SUFFIXES,
    ImageIndex,
    TrainingDataError,
    film_size,
)
from gazex_viewer.core.export.training_splits import group_key, parse_split, split_of
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.reading.gazex_prompts import (
    DEFAULT_PRESET,
    PROMPT_PRESETS,
    SENTENCE_SLOT,
    PromptSet,
    strip_special_tokens,
)
from gazex_viewer.core.reading.gazex_protocol import DEFAULT_FRAME, format_grounding

__all__ = [
    "IMAGE_TOKEN",
    "ExportOptions",
    "ImageIndex",
    "ReadingSamples",
    "TrainingDataError",
    "dataset_info_entry",
    "export_training",
    "film_size",
    "group_key",
    "parse_split",
    "reading_samples",
    "split_of",
]

IMAGE_TOKEN = "<image>"
MANIFEST_NAME = "manifest.json"
DATASET_INFO_NAME = "dataset_info.json"


@dataclass(frozen=True)
class ExportOptions:
    """How to build the dataset.

    Attributes
    ----------
    split
        Split name -> share (shares sum to 1), e.g. ``{"train": 0.9, "val": 0.1}``.
    by
        ``"patient"`` (the film when no patient id is recorded) or ``"film"``.
    copy_images
        Copy each film into ``OUTDIR/images`` (referenced relative to the dataset folder, which LLaMA-Factory
        uses as ``media_dir`` by default) instead of referencing it by absolute path.
    name
        Dataset name prefix: entries ``<name>_<split>`` in ``dataset_info.json``, files ``<name>_<split>.json``.
    preset
        Prompt preset (``training``: the prompts the GazeX weights saw).
    frame
        Coordinate frame of the grounding targets.
    narrow
        Narrow and truncate boxes as ``Create_Training_Data.py`` does (``downscale4`` frame only).
    """

    split: dict[str, float] = field(default_factory=lambda: {"train": 1.0})
    by: str = "patient"
    copy_images: bool = False
    name: str = "gazex"
    preset: str = DEFAULT_PRESET
    frame: str = DEFAULT_FRAME
    narrow: bool = True


#: ``Create_Training_Data.py`` narrows clue boxes by 0.35 % and the observation box by 0.15 % (CTD:240, 245)
NARROW_CLUE_PERCENT = 0.35
NARROW_OBSERVATION_PERCENT = 0.15
_DOWNSCALE = 4.0


def gazex_target_box(box: Box, percent: float) -> Box:
    """``box`` (original pixels) as GazeX's training script writes it, in original pixels again.

    In the film-divided-by-4 frame: ``narrow_bbox_by_percentage`` (the same arithmetic, in the same order), then
    ``int()`` of the four corners and of the centroid; times 4, so that ``format_grounding`` writes exactly
    those integers.
    """
    f = _DOWNSCALE
    xmin, ymin, xmax, ymax = box.x_min / f, box.y_min / f, box.x_max / f, box.y_max / f
    narrow_fraction = percent / 100
    width_reduction = (xmax - xmin) * narrow_fraction
    height_reduction = (ymax - ymin) * narrow_fraction
    x0, y0 = int(xmin + (width_reduction / 2)), int(ymin + (height_reduction / 2))
    x1, y1 = int(xmax - (width_reduction / 2)), int(ymax - (height_reduction / 2))
    cx, cy = int(box.centroid_x / f), int(box.centroid_y / f)
    return Box(x0 * f, y0 * f, x1 * f, y1 * f, cx * f, cy * f)


@dataclass
class ReadingSamples:
    """The samples of one reading, and what was left out."""

    samples: list[dict[str, Any]]
    report: int = 0
    grounding_a: int = 0
    grounding_b: int = 0
    #: sentences without an observation box (no gaze in their window), unreadable sentences
    skipped_sentences: int = 0


# -- one reading --------------------------------------------------------------------------------------


def _sample(user: str, assistant: str, image: str | None) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    }
    if image is not None:
        sample["images"] = [image]
    return sample


def reading_samples(
    reading: Reading,
    image: str | None,
    *,
    prompts: PromptSet | None = None,
    frame: str = DEFAULT_FRAME,
    source: str | os.PathLike[str] | None = None,
    narrow: bool = True,
) -> ReadingSamples:
    """The report sample and the per-sentence grounding samples of one reading.

    Parameters
    ----------
    reading
        An expert (or reviewed) reading with sentences and, per sentence, key-frame boxes.
    image
        What the ``images`` list names (a path), or None for targets only (no ``images`` key).
    prompts
        The prompt set (default: the ``training`` preset).
    frame
        The coordinate frame of the targets.
    source
        The reading's file, named in errors.
    narrow
        Narrow and truncate boxes as ``Create_Training_Data.py`` does (:func:`gazex_target_box`; ``downscale4``
        frame only).

    Raises
    ------
    TrainingDataError
        The reading has no sentence, or no sentence has an observation box (gaze without key frames).
    """
    ps = prompts or PROMPT_PRESETS[DEFAULT_PRESET]
    where = source if source is not None else reading.image.file_name
    texts = [strip_special_tokens(s.text) for s in reading.sentences]
    if not any(texts):
        raise TrainingDataError(where, "the reading has no report sentence")
    out = ReadingSamples(samples=[])
    out.samples.append(_sample(IMAGE_TOKEN + ps.report, " ".join(t for t in texts if t), image))
    out.report = 1
    width, height = reading.image.width, reading.image.height
    for sentence, text in zip(reading.sentences, texts):
        finding = reading.finding_for_sentence(sentence.id)
        if not text or finding is None or finding.observation is None or finding.unreadable:
            out.skipped_sentences += 1
            continue
        clues = list(finding.clues) if len(finding.clues) >= 2 else []
        obs = finding.observation
        if narrow and frame == "downscale4":
            clues = [gazex_target_box(b, NARROW_CLUE_PERCENT) for b in clues]
            obs = gazex_target_box(obs, NARROW_OBSERVATION_PERCENT)
        target = format_grounding(clues, obs, width=width, height=height, frame=frame)
        template = ps.grounding if clues else ps.grounding_observation_only
        prompt = template.replace(SENTENCE_SLOT, text)
        out.samples.append(_sample(IMAGE_TOKEN + prompt, target, image))
        if clues:
            out.grounding_a += 1
        else:
            out.grounding_b += 1
    if not (out.grounding_a + out.grounding_b):
        raise TrainingDataError(
            where,
            "no gaze boxes: no sentence has an observation box (import the recording with key frames; "
            "GazeSearch: without --no-key-frames)",
        )
    return out



# -- the dataset -------------------------------------------------------------------------------------


def dataset_info_entry(file_name: str) -> dict[str, Any]:
    """The ``dataset_info.json`` entry LLaMA-Factory needs for one sharegpt ``messages`` file with images."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
    }


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _reading_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.is_file() and x.name.endswith(".json"))
            if not found:
                raise TrainingDataError(p, "no reading JSON files in this folder")
            files.extend(found)
        else:
            files.append(p)
    if not files:
        raise TrainingDataError(None, "no readings given")
    return files


@dataclass
class _Item:
    path: Path
    reading: Reading
    group: str
    split: str
    image: Path | None


def _check_out_dir(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise TrainingDataError(out, "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise TrainingDataError(out, "exists and is not empty (use --force to replace it)")
    if not out.parent.is_dir():
        raise TrainingDataError(out.parent, "the output's parent folder does not exist")


def export_training(
    readings: Sequence[str | os.PathLike[str]],
    images: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the LLaMA-Factory dataset of ``readings`` into ``out_dir`` and return its manifest.

    Parameters
    ----------
    readings
        Reading JSON files, or folders of them (``*.json``, not recursive).
    images
        The folder the films are under (searched recursively); each reading's film must be there, of the size the
        reading records, as PNG or JPEG.
    out_dir
        The dataset folder (created; an existing non-empty folder only with ``force``).
    options
        Split, grouping, image copying, names, prompts and frame.
    progress
        Called with one line per stage.

    Raises
    ------
    TrainingDataError, ReadingError
        One line naming the file and the reason; nothing is written.
    """
    from gazex_viewer.core.reading.validation import load_reading

    opts = options or ExportOptions()
    if opts.preset not in PROMPT_PRESETS:
        raise TrainingDataError(None, f"unknown prompt preset {opts.preset!r}")
    if opts.by not in ("patient", "film"):
        raise TrainingDataError(None, f"--by {opts.by!r}: expected patient or film")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", opts.name):
        raise TrainingDataError(None, f"--name {opts.name!r}: use letters, digits, '_', '-', '.'")
    if images is None:
        raise TrainingDataError(None, "--images is required: the dataset names each film")
    out = Path(out_dir)
    _check_out_dir(out, force)
    prompts = PROMPT_PRESETS[opts.preset]
    say = progress or (lambda _line: None)

    files = _reading_files(readings)
    index = ImageIndex(images)
    say(f"{len(files)} reading file(s); {len(index)} image file(s) under {index.root}")
    items: list[_Item] = []
    for path in files:
        reading = load_reading(path)  # ReadingError: one line naming the file
        image = index.find(reading.image.file_name)
        if image is None:
            raise TrainingDataError(path, f"film {reading.image.file_name!r} not found under {index.root}")
        if image.suffix.lower() not in TRAINABLE_SUFFIXES:
            raise TrainingDataError(
                image, "is DICOM: LLaMA-Factory reads PNG/JPEG (write one with 'gazex-viewer render' into --images)"
            )
        w, h = film_size(image)
        if (w, h) != (reading.image.width, reading.image.height):
            raise TrainingDataError(
                path,
                f"film size disagrees: the reading says {reading.image.width} x {reading.image.height} px, "
                f"{image} is {w} x {h} px (boxes would be misplaced)",
            )
        reading_samples(reading, None, prompts=prompts, frame=opts.frame, source=path, narrow=opts.narrow)  # checks
        key = group_key(reading, opts.by)
        items.append(_Item(path, reading, key, split_of(key, opts.split), image.resolve()))

    for name, share in opts.split.items():
        if share > 0 and not any(it.split == name for it in items):
            n_groups = len({it.group for it in items})
            raise TrainingDataError(
                None,
                f"split {name!r} is empty: {n_groups} {opts.by}(s) in all, none hashed into it "
                f"(add readings, or change --split)",
            )

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        manifest = _write(items, tmp, opts, prompts, say)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _copy_name(image: Path, used: dict[str, Path]) -> str:
    name = image.name
    if name in used and used[name] != image:
        name = f"{hashlib.sha256(str(image).encode()).hexdigest()[:8]}_{name}"
    used[name] = image
    return name


def _write(
    items: list[_Item], tmp: Path, opts: ExportOptions, prompts: PromptSet, say: Callable[[str], None]
) -> dict[str, Any]:
    per_split: dict[str, list[dict[str, Any]]] = {name: [] for name in opts.split}
    counts: dict[str, dict[str, Any]] = {
        name: {"readings": 0, "groups": set(), "films": set(), "samples": 0, "report": 0, "grounding_a": 0,
               "grounding_b": 0, "skipped_sentences": 0, "reading_ids": [], "reading_files": []}
        for name in opts.split
    }
    copied: dict[str, Path] = {}
    image_ref: dict[Path, str] = {}
    for it in items:
        assert it.image is not None
        if it.image not in image_ref:
            if opts.copy_images:
                (tmp / "images").mkdir(exist_ok=True)
                name = _copy_name(it.image, copied)
                shutil.copyfile(it.image, tmp / "images" / name)
                image_ref[it.image] = f"images/{name}"
            else:
                image_ref[it.image] = str(it.image)
        rs = reading_samples(it.reading, image_ref[it.image], prompts=prompts, frame=opts.frame, source=it.path,
                             narrow=opts.narrow)
        per_split[it.split].extend(rs.samples)
        c = counts[it.split]
        c["readings"] += 1
        c["groups"].add(it.group)
        c["films"].add(str(it.image))
        c["samples"] += len(rs.samples)
        c["report"] += rs.report
        c["grounding_a"] += rs.grounding_a
        c["grounding_b"] += rs.grounding_b
        c["skipped_sentences"] += rs.skipped_sentences
        c["reading_ids"].append(it.reading.reading_id)
        c["reading_files"].append({"path": str(it.path.resolve()), "sha256": _sha256_file(it.path)})
    info: dict[str, Any] = {}
    files: dict[str, dict[str, Any]] = {}
    for name, samples in per_split.items():
        if not samples:
            continue
        fname = f"{opts.name}_{name}.json"
        (tmp / fname).write_text(json.dumps(samples, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        info[f"{opts.name}_{name}"] = dataset_info_entry(fname)
        say(f"{name}: {len(samples)} samples from {counts[name]['readings']} reading(s) -> {fname}")
    (tmp / DATASET_INFO_NAME).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    for f in sorted(tmp.rglob("*")):
        if f.is_file():
            files[f.relative_to(tmp).as_posix()] = {"sha256": _sha256_file(f), "bytes": f.stat().st_size}
    from gazex_viewer import __version__

    manifest = {
        "format": "LLaMA-Factory sharegpt (messages, images)",
        "created_by": f"gazex-viewer {__version__} export-training",
        "prompt_preset": opts.preset,
        "prompts": {"report": prompts.report, "grounding_a": prompts.grounding, "grounding_b": prompts.grounding_observation_only},
        "coordinate_frame": opts.frame,
        "box_narrowing": (
            {"clues_percent": NARROW_CLUE_PERCENT, "observation_percent": NARROW_OBSERVATION_PERCENT,
             "then": "int() of corners and centroid in the /4 frame", "source": "Create_Training_Data.py"}
            if opts.narrow and opts.frame == "downscale4" else None
        ),
        "split": opts.split,
        "split_by": opts.by,
        "split_rule": "sha256 of the group key, first 8 bytes as a fraction of 2^64, against the cumulative shares",
        "images": "copied into images/ (relative to the dataset folder)" if opts.copy_images else "absolute paths",
        "datasets": sorted(info),
        "splits": {
            name: {**{k: v for k, v in c.items() if k not in ("groups", "films")},
                   "groups": len(c["groups"]), "films": len(c["films"])}
            for name, c in counts.items()
        },
        "files": files,
    }
    (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move the finished ``tmp`` folder to ``out`` (an existing ``out`` is moved aside first, then removed)."""
    old: Path | None = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

