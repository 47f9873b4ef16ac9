"""The GazeX prompt/answer protocol: prompts, the grounding-answer parser and its inverse.

GazeX answers a grounding prompt with text such as::

    visual clues : [(128,78)(406,191)(276,134),(162,295)(472,451)(357,377)] observation : [(163,145)(527,491)(351,333)]

Each box is ``(xmin, ymin)(xmax, ymax)(centroid_x, centroid_y)``. The numbers are in a *coordinate
frame* that the checkpoint names in its sidecar ``gazex.json``; :data:`COORDINATE_FRAMES` maps frame
names to :class:`CoordinateFrame` mappers (add your own with :func:`register_frame`):

- ``"downscale4"`` (GazeX default): pixels of a ``(width/4, height/4)`` image; multiply by 4.
- ``"qwen2vl_1000"`` (base Qwen2-VL): ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>`` on a 0-1000 grid over
  the whole image (``x_orig = x / 1000 * width``); a box's centroid is its centre.

:func:`parse_grounding` never raises: it returns what it could read (mapped to original image pixels
and clamped to ``[0, width] x [0, height]``) and warnings for the UI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Producer,
    Reading,
    Sentence,
)
from gazex_viewer.core.reading.gazex_prompts import (
    DEFAULT_PRESET,
    PROMPT_PRESETS,
    PromptSet,
    is_unreadable,
    strip_special_tokens,
)

__all__ = [
    "REPORT_PROMPT",
    "GROUNDING_PROMPT_TEMPLATE",
    "grounding_prompt",
    "CoordinateFrame",
    "COORDINATE_FRAMES",
    "DEFAULT_FRAME",
    "register_frame",
    "GroundingResult",
    "parse_grounding",
    "format_grounding",
    "assemble_reading",
    "report_sentences",
    "sentences_to_ground",
    "model_finding",
]

#: the report prompt of the default (``training``) preset; see :mod:`gazex_viewer.core.reading.gazex_prompts`
REPORT_PROMPT = PROMPT_PRESETS[DEFAULT_PRESET].report

#: the grounding prompt of the default preset (training variant A); ``{sentence}`` stands for the sentence S
GROUNDING_PROMPT_TEMPLATE = PROMPT_PRESETS[DEFAULT_PRESET].grounding


def grounding_prompt(sentence: str, prompts: PromptSet | None = None) -> str:
    """The grounding prompt for one report sentence (DESIGN.md section 3, with S replaced).

    Special tokens are stripped from the sentence first; ``prompts`` defaults to the ``training`` preset.
    """
    return (prompts or PROMPT_PRESETS[DEFAULT_PRESET]).grounding_for(sentence)


# -- coordinate frames ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinateFrame:
    """How the numbers in a grounding answer map to original image pixels.

    Attributes
    ----------
    name
        The frame name used in ``gazex.json``.
    to_original
        ``(x, y, width, height) -> (x_orig, y_orig)``.
    from_original
        The inverse, ``(x_orig, y_orig, width, height) -> (x, y)``.
    box_tokens
        True when boxes are written ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>`` (no centroid).
    integer
        True when the frame's numbers are written as integers.
    """

    name: str
    to_original: Callable[[float, float, int, int], tuple[float, float]]
    from_original: Callable[[float, float, int, int], tuple[float, float]]
    box_tokens: bool = False
    integer: bool = True


def _scale_frame(name: str, factor: float) -> CoordinateFrame:
    return CoordinateFrame(
        name=name,
        to_original=lambda x, y, w, h: (x * factor, y * factor),
        from_original=lambda x, y, w, h: (x / factor, y / factor),
    )


def _grid_frame(name: str, grid: float, *, box_tokens: bool) -> CoordinateFrame:
    return CoordinateFrame(
        name=name,
        to_original=lambda x, y, w, h: (x / grid * w, y / grid * h),
        from_original=lambda x, y, w, h: (x / w * grid, y / h * grid),
        box_tokens=box_tokens,
    )


#: frame name -> mapper; a checkpoint names its frame in ``gazex.json``
COORDINATE_FRAMES: dict[str, CoordinateFrame] = {
    "downscale4": _scale_frame("downscale4", 4.0),
    "qwen2vl_1000": _grid_frame("qwen2vl_1000", 1000.0, box_tokens=True),
    "original": _scale_frame("original", 1.0),
}
DEFAULT_FRAME = "downscale4"


def register_frame(frame: CoordinateFrame) -> None:
    """Add (or replace) a coordinate frame under ``frame.name``."""
    COORDINATE_FRAMES[frame.name] = frame


# -- parsing ----------------------------------------------------------------------------------------


@dataclass
class GroundingResult:
    """What a grounding answer said: clue boxes, one observation box, and problems met."""

    clues: list[Box] = field(default_factory=list)
    observation: Box | None = None
    warnings: list[str] = field(default_factory=list)


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_POINT = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")
_CLUES_KEY = re.compile(r"visual[\s_-]*clues?", re.IGNORECASE)
_OBS_KEY = re.compile(r"(?:overall\s+)?observation(?:\s+area)?", re.IGNORECASE)
_BOX_START = "<|box_start|>"
_BOX_END = "<|box_end|>"
_SPECIAL = re.compile(r"<\|(?!box_start\|>|box_end\|>)[a-z_]+\|>")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("x") else "s")


def _split_top_level(segment: str) -> list[str]:
    """Box chunks of a bracketed list: split at commas outside parentheses and box tokens."""
    chunks: list[str] = []
    depth = 0
    in_box = False
    cur: list[str] = []
    i = 0
    while i < len(segment):
        if segment.startswith(_BOX_START, i):
            in_box = True
            cur.append(_BOX_START)
            i += len(_BOX_START)
            continue
        if segment.startswith(_BOX_END, i):
            in_box = False
            cur.append(_BOX_END)
            chunks.append("".join(cur))
            cur = []
            i += len(_BOX_END)
            continue
        ch = segment[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0 and not in_box:
            chunks.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    chunks.append("".join(cur))
    return [c for c in chunks if c.strip(" \t\r\n[]:;.")]


def _merge_single_points(chunks: list[str]) -> list[str]:
    """Join runs of chunks that each hold one point: ``(163,145),(527,491),(351,333)`` is one box.

    Some answers put commas between the points of a box as well as between boxes; such points are
    grouped in threes (two with box tokens) within the list, as if the commas were not there.
    """
    out: list[str] = []
    run: list[str] = []
    for chunk in chunks:
        single = _BOX_START not in chunk and len(_POINT.findall(chunk)) == 1 and chunk.count("(") == 1
        if single:
            run.append(chunk)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(chunk)
    if run:
        out.append("".join(run))
    return out


@dataclass
class _RawBox:
    points: list[tuple[float, float]]
    centroid_given: bool


def _chunk_boxes(chunk: str, frame: CoordinateFrame) -> tuple[list[_RawBox], int, bool]:
    """Boxes in one chunk, the number of unreadable boxes, and whether the chunk looked truncated."""
    pts = [(float(a), float(b)) for a, b in _POINT.findall(chunk)]
    pts = [p for p in pts if math.isfinite(p[0]) and math.isfinite(p[1])]
    opened = chunk.count("(")
    partial = opened > len(_POINT.findall(chunk))
    if _BOX_START in chunk:
        partial = partial or _BOX_END not in chunk
    boxes: list[_RawBox] = []
    unreadable = 0
    if _BOX_START in chunk or (frame.box_tokens and len(pts) in (2, 4)):
        group = 2 if len(pts) % 3 else 3
    else:
        group = 3
    n = len(pts)
    i = 0
    while n - i >= group:
        boxes.append(_RawBox(pts[i : i + group], centroid_given=group == 3))
        i += group
    rest = n - i
    if rest == 2:
        boxes.append(_RawBox(pts[i:], centroid_given=False))
    elif rest == 1 or (not pts and re.search(r"[(\d]|<\|box", chunk)):
        unreadable += 1
    return boxes, unreadable, partial


def _to_box(raw: _RawBox, frame: CoordinateFrame, width: int, height: int) -> tuple[Box, bool]:
    """A Box in original pixels, clamped; and whether anything was clamped."""
    mapped = [frame.to_original(x, y, width, height) for x, y in raw.points]
    clamped = False

    def clamp(v: float, hi: int) -> float:
        nonlocal clamped
        if not math.isfinite(v):
            clamped = True
            return 0.0
        if v < 0.0:
            clamped = True
            return 0.0
        if v > hi:
            clamped = True
            return float(hi)
        return float(v)

    (x1, y1), (x2, y2) = mapped[0], mapped[1]
    x1, x2 = clamp(x1, width), clamp(x2, width)
    y1, y2 = clamp(y1, height), clamp(y2, height)
    x_min, x_max = min(x1, x2), max(x1, x2)
    y_min, y_max = min(y1, y2), max(y1, y2)
    if raw.centroid_given:
        cx, cy = clamp(mapped[2][0], width), clamp(mapped[2][1], height)
    else:
        cx, cy = (x_min + x_max) / 2.0, (y_min + y_max) / 2.0
    return Box(x_min, y_min, x_max, y_max, cx, cy), clamped


def _segments(text: str) -> tuple[str | None, str | None, bool]:
    """The clue and observation parts of an answer, and whether any keyword was found."""
    obs_hits = [m for m in _OBS_KEY.finditer(text)]
    clue_hits = [m for m in _CLUES_KEY.finditer(text)]

    def with_payload(m: re.Match[str]) -> bool:
        return re.match(r"\s*[:=]?\s*(?:\[|\(|<\|)", text[m.end() :]) is not None

    # prefer the keywords that are followed by boxes (prose may mention "observation" too); an answer that
    # repeats "observation :" (a model looping) is read at its first labelled list after the clues
    clue = next((m for m in clue_hits if with_payload(m)), clue_hits[0] if clue_hits else None)
    after = [m for m in obs_hits if clue is None or m.start() > clue.start()] or obs_hits
    obs = next((m for m in after if with_payload(m)), after[0] if after else None)
    if obs is None and clue is None:
        return None, None, False
    if clue is not None and obs is not None:
        if clue.start() < obs.start():
            return text[clue.end() : obs.start()], text[obs.end() :], True
        return text[clue.end() :], text[obs.end() : clue.start()], True
    if clue is not None:
        return text[clue.end() :], None, True
    assert obs is not None
    return None, text[obs.end() :], True


def _first_list(segment: str) -> tuple[str, bool]:
    """The bracketed list at the start of a segment (up to its ']' or the end), and whether it was closed."""
    m = re.match(r"\s*[:=]?\s*", segment)
    body = segment[m.end() if m else 0 :]
    if body.startswith("["):
        close = body.find("]")
        return (body[1:], False) if close < 0 else (body[1:close], True)
    # no brackets: take the run of points / box tokens at the start
    run = re.match(rf"(?:\s*,?\s*(?:{re.escape(_BOX_START)}|{re.escape(_BOX_END)}|\(\s*{_NUM}\s*,\s*{_NUM}\s*\)"
                   rf"|\(\s*{_NUM}\s*,?\s*{_NUM}?\s*$))+", body)
    listing = run.group(0) if run else ""
    return listing, not re.search(r"\(\s*[-+.\d]*\s*,?\s*[-+.\d]*\s*$", listing)


def parse_grounding(text: str, *, width: int, height: int, frame: str = DEFAULT_FRAME) -> GroundingResult:
    """Clue regions and the observation region of a GazeX grounding answer.

    Parameters
    ----------
    text
        The model's answer, as decoded (special tokens may be present).
    width, height
        Original image size in pixels.
    frame
        Name of the answer's coordinate frame (a key of :data:`COORDINATE_FRAMES`).

    Returns
    -------
    GroundingResult
        Boxes in original image pixels, clamped to ``[0, width] x [0, height]``, corners ordered;
        ``warnings`` says what could not be read ("2 of 3 clue boxes unreadable"). Never raises.
    """
    result = GroundingResult()
    try:
        _parse_into(result, text, width, height, frame)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on model output"
        result.warnings.append(f"grounding answer could not be read ({type(exc).__name__}: {exc})")
    return result


def _parse_into(result: GroundingResult, text: str, width: int, height: int, frame_name: str) -> None:
    warn = result.warnings
    frame = COORDINATE_FRAMES.get(frame_name)
    if frame is None:
        warn.append(f"unknown coordinate frame {frame_name!r}; read as {DEFAULT_FRAME!r}")
        frame = COORDINATE_FRAMES[DEFAULT_FRAME]
    if not isinstance(text, str) or not text.strip():
        warn.append("empty grounding answer")
        return
    if width <= 0 or height <= 0:
        warn.append(f"image size {width}x{height} is not usable; no regions read")
        return
    text = _SPECIAL.sub(" ", text)
    clue_seg, obs_seg, keyed = _segments(text)
    clamped_any = False

    def read(segment: str, label: str) -> tuple[list[Box], int, bool]:
        nonlocal clamped_any
        listing, closed = _first_list(segment)
        boxes: list[Box] = []
        bad = 0
        truncated = False
        chunks = _merge_single_points(_split_top_level(listing))
        for k, chunk in enumerate(chunks):
            raws, unreadable, partial = _chunk_boxes(chunk, frame)
            bad += unreadable
            truncated = truncated or (partial and not closed and k == len(chunks) - 1)
            for raw in raws:
                box, clamped = _to_box(raw, frame, width, height)
                clamped_any = clamped_any or clamped
                boxes.append(box)
        return boxes, bad, truncated

    if not keyed:
        boxes, bad, truncated = read("[" + text.replace("[", " ").replace("]", " ") + "]", "box")
        if not boxes:
            warn.append("no boxes found in the grounding answer")
            return
        warn.append("no 'observation' label in the grounding answer; took the last box as the observation")
        result.observation = boxes[-1]
        result.clues = boxes[:-1]
        if bad:
            warn.append(f"{bad} of {len(boxes) + bad} boxes unreadable")
    else:
        if clue_seg is not None:
            clues, bad, truncated = read(clue_seg, "clue")
            result.clues = clues
            if bad:
                warn.append(f"{bad} of {len(clues) + bad} clue boxes unreadable" + (" (truncated)" if truncated else ""))
        if obs_seg is None:
            warn.append("no observation area in the grounding answer (truncated?)")
        else:
            obs, bad, truncated = read(obs_seg, "observation")
            if obs:
                result.observation = obs[0]
                if len(obs) > 1:
                    warn.append(f"{len(obs)} observation boxes given; kept the first")
            else:
                warn.append("observation box unreadable" + (" (truncated)" if truncated else ""))
    if clamped_any:
        warn.append("coordinates outside the image were clamped to its edges")


# -- formatting (the inverse) -----------------------------------------------------------------------


def _fmt(v: float, integer: bool) -> str:
    return str(int(round(v))) if integer else f"{v:.2f}"


def _format_box(box: Box, frame: CoordinateFrame, width: int, height: int) -> str:
    p1 = frame.from_original(box.x_min, box.y_min, width, height)
    p2 = frame.from_original(box.x_max, box.y_max, width, height)
    if frame.box_tokens:
        return f"{_BOX_START}({_fmt(p1[0], True)},{_fmt(p1[1], True)}),({_fmt(p2[0], True)},{_fmt(p2[1], True)}){_BOX_END}"
    c = frame.from_original(box.centroid_x, box.centroid_y, width, height)
    return "".join(f"({_fmt(a, frame.integer)},{_fmt(b, frame.integer)})" for a, b in (p1, p2, c))


def format_grounding(
    clues: list[Box], observation: Box | None, *, width: int, height: int, frame: str = DEFAULT_FRAME
) -> str:
    """The GazeX answer text for known boxes (original pixels); the inverse of :func:`parse_grounding`.

    Used to build training targets for tiny test models. Without clues only the observation part is
    written, as GazeX does for a single cluster.
    """
    fr = COORDINATE_FRAMES[frame]
    parts: list[str] = []
    if clues:
        parts.append("visual clues : [" + ",".join(_format_box(b, fr, width, height) for b in clues) + "]")
    if observation is not None:
        parts.append("observation : [" + _format_box(observation, fr, width, height) + "]")
    return " ".join(parts)


# -- assembling a reading ---------------------------------------------------------------------------


def report_sentences(report_text: str) -> list[str]:
    """The sentences of a report answer, special tokens stripped first (what grounding prompts receive)."""
    from gazex_viewer.core.reading.report_text import split_sentences

    return split_sentences(strip_special_tokens(report_text or ""))


def sentences_to_ground(sentences: list[str]) -> list[int]:
    """Indexes of the sentences worth a grounding prompt: unreadable model output is not asked about."""
    return [i for i, s in enumerate(sentences) if not is_unreadable(s)]


UNREADABLE_WARNING = "unreadable model output: kept for audit, not labelled, never filed as a finding"


def model_finding(
    fid: str,
    sid: str,
    text: str,
    raw_grounding: str | None,
    image: ImageRef,
    frame: str,
    *,
    unreadable: bool | None = None,
) -> Finding:
    """One model finding: the sentence's labels (none when unreadable) and its parsed regions. Never raises."""
    from gazex_viewer.core.reading.labels import label_sentence

    bad = is_unreadable(text) if unreadable is None else unreadable
    finding = Finding(id=fid, sentence_id=sid, text=text, unreadable=bad)
    if bad:
        finding.warnings.append(UNREADABLE_WARNING)
    else:
        try:
            finding.labels = label_sentence(text)
        except Exception as exc:  # noqa: BLE001 - model text must never break assembly
            finding.warnings.append(f"labelling failed ({exc})")
    if raw_grounding is not None:
        finding.raw_grounding = raw_grounding
        parsed = parse_grounding(raw_grounding, width=image.width, height=image.height, frame=frame)
        finding.clues = parsed.clues
        finding.observation = parsed.observation
        finding.warnings.extend(parsed.warnings)
    elif not bad:
        finding.warnings.append("no grounding answer for this sentence")
    return finding


def assemble_reading(
    *,
    image: ImageRef,
    producer: Producer,
    report_text: str,
    grounding_answers: list[str | None],
    frame: str = DEFAULT_FRAME,
) -> Reading:
    """A model Reading from the raw report and the per-sentence grounding answers.

    Parameters
    ----------
    image, producer
        The image and who produced the answers.
    report_text
        The report answer as decoded; special tokens are stripped (:func:`report_sentences`) before it is split
        with :func:`~gazex_viewer.core.reading.report_text.split_sentences`, and the raw text is kept in the reading.
    grounding_answers
        ``grounding_answers[i]`` belongs to sentence ``i``; ``None`` where no grounding prompt was sent (an
        unreadable sentence).
    frame
        The coordinate frame of the grounding answers.

    Returns
    -------
    Reading
        One sentence and one finding per report sentence (ids ``s-1``/``f-1``, ...), with labels,
        parsed regions, the raw grounding answer and its warnings, and the key-frame trajectory.
        A sentence that is mostly unreadable is kept, flagged ``unreadable``, with no label.
        Never raises on model text; problems become warnings.
    """
    from gazex_viewer.core.reading.trajectory import keyframe_trajectory

    warnings: list[str] = []
    texts = report_sentences(report_text)
    if not texts:
        warnings.append("the report answer holds no sentence")
    if strip_special_tokens(report_text or "") != (report_text or "").strip():
        warnings.append("special tokens were removed from the report answer")
    sentences: list[Sentence] = []
    findings: list[Finding] = []
    for i, sentence_text in enumerate(texts, start=1):
        sid, fid = f"s-{i}", f"f-{i}"
        sentences.append(Sentence(id=sid, text=sentence_text))
        raw = grounding_answers[i - 1] if i <= len(grounding_answers) else None
        findings.append(model_finding(fid, sid, sentence_text, raw, image, frame))
    unreadable = sum(f.unreadable for f in findings)
    if unreadable:
        warnings.append(f"{unreadable} of {len(findings)} sentences are unreadable model output")
    missing = sum(1 for f in findings if f.raw_grounding is None and not f.unreadable)
    if missing:
        warnings.append(f"{missing} of {len(texts)} sentences have no grounding answer")
    if len(grounding_answers) > len(texts):
        warnings.append(f"{len(grounding_answers) - len(texts)} grounding answers without a sentence were ignored")
    return Reading(
        image=image,
        producer=producer,
        sentences=sentences,
        findings=findings,
        trajectory=keyframe_trajectory(findings),
        raw_report=report_text,
        warnings=warnings,
    )
