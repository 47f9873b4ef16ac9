"""The GazeX prompt wordings, as named presets, and the text hygiene applied to model output.

Two wordings of each prompt exist upstream (``../shared/NOTES-gazex-fidelity.md`` section 1):

- ``training`` (the default): the prompts of the released training data (``Create_Training_Data.py``), which
  the weights saw. The report prompt follows the image after a space (the training text is ``<image> Given ...``);
  the grounding prompt follows it directly (``<image>Given ...``). Grounding variant A asks for "as much visual
  clues" (targets with two or more clue boxes); variant B (observation-only targets) is kept for training-data
  export.
- ``inference-json``: the wordings of the authors' published inference JSON files (``basic_examine_chest_xray.json``
  and one version of ``attention_extraction.json``), absent from the released training data.

A checkpoint's ``gazex.json`` may choose a preset (``"prompt_preset"``) or give its own prompts (``"prompts":
{"report": ..., "grounding": ... '{sentence}' ...}``); :func:`prompt_set_from_sidecar` checks them. The reading
records the preset name and the exact strings sent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PromptSet",
    "PROMPT_PRESETS",
    "DEFAULT_PRESET",
    "SENTENCE_SLOT",
    "prompt_set_from_sidecar",
    "PromptError",
    "strip_special_tokens",
    "readability",
    "is_unreadable",
]

SENTENCE_SLOT = "{sentence}"

_GROUNDING_TAIL = (
    " in the format of bounding boxes and centroids, using the structure: "
    "'visual clues: [(xmin1, ymin1)(xmax1, ymax1)(centroidx1, centroidy1), (xmin2, ymin2)(xmax2, ymax2)"
    "(centroidx2, centroidy2), ...], observation: [(xmin, ymin)(xmax, ymax)(centroidx, centroidy)]'."
)
_GROUNDING_HEAD = (
    "Given an X-ray image and a radiologist's description '{sentence}', mimic a radiologist's "
    "interpretation pattern to identify visual clues and an overall observation area. Analyze the image to "
    "detect relevant features (e.g., abnormal opacities, fractures, lesions, or other radiological findings) "
    "that correspond to the provided description. "
)

#: Create_Training_Data.py:140 (after ``<image>``, with the space the training text has)
TRAINING_REPORT = (
    " Given an X-ray image, using the radiologist's interpretation pattern, generate a detailed description or "
    "diagnosis for the image."
)
#: Create_Training_Data.py:255, variant A (targets with at least two clue boxes)
TRAINING_GROUNDING_A = (
    _GROUNDING_HEAD
    + "Output as much visual clues to support your observation and generate only one observation area"
    + _GROUNDING_TAIL
)
#: Create_Training_Data.py:272, variant B (observation-only targets)
TRAINING_GROUNDING_B = _GROUNDING_HEAD + "Output visual clues and observation area" + _GROUNDING_TAIL
#: basic_examine_chest_xray.json:1
INFERENCE_JSON_REPORT = (
    "Given an X-ray image, mimic a radiologist's eye-tracking pattern and generate a description of the image."
)
#: attention_extraction.json @28b230d6 (with the sentence in place of its empty description)
INFERENCE_JSON_GROUNDING = (
    _GROUNDING_HEAD + "Output clues to support your observation and generate only one observation area" + _GROUNDING_TAIL
)


class PromptError(ValueError):
    """A prompt override that cannot be used (the message says why)."""


@dataclass(frozen=True)
class PromptSet:
    """The prompts sent to a checkpoint.

    Attributes
    ----------
    preset
        The preset name (``training``, ``inference-json``) or ``custom`` for sidecar prompts.
    report
        The text that follows the image in the report request.
    grounding
        The grounding prompt with the ``{sentence}`` slot.
    grounding_observation_only
        The observation-only grounding variant (training variant B), used for training-data export.
    """

    preset: str
    report: str
    grounding: str
    grounding_observation_only: str

    def grounding_for(self, sentence: str) -> str:
        """The grounding prompt for one sentence (special tokens stripped from it first)."""
        return self.grounding.replace(SENTENCE_SLOT, strip_special_tokens(sentence))

    def record(self) -> dict[str, str]:
        """What a reading records: the preset name and the exact strings sent."""
        return {"preset": self.preset, "report": self.report, "grounding": self.grounding}


PROMPT_PRESETS: dict[str, PromptSet] = {
    "training": PromptSet("training", TRAINING_REPORT, TRAINING_GROUNDING_A, TRAINING_GROUNDING_B),
    "inference-json": PromptSet("inference-json", INFERENCE_JSON_REPORT, INFERENCE_JSON_GROUNDING, TRAINING_GROUNDING_B),
}
DEFAULT_PRESET = "training"

#: the longest prompt a sidecar may give (characters)
MAX_PROMPT_CHARS = 4000


def prompt_set_from_sidecar(sidecar: dict[str, Any]) -> PromptSet:
    """The prompts a checkpoint's ``gazex.json`` asks for (the ``training`` preset when it says nothing).

    ``"prompt_preset"`` names a preset; ``"prompts"`` (an object with ``report`` and/or ``grounding``) overrides
    single strings on top of it. A grounding override must hold the ``{sentence}`` slot exactly once.

    Raises
    ------
    PromptError
        One line saying what is wrong.
    """
    name = sidecar.get("prompt_preset", DEFAULT_PRESET)
    if not isinstance(name, str) or name not in PROMPT_PRESETS:
        raise PromptError(f"unknown prompt_preset {name!r}; expected one of {', '.join(PROMPT_PRESETS)}")
    base = PROMPT_PRESETS[name]
    custom = sidecar.get("prompts")
    if custom is None:
        return base
    if not isinstance(custom, dict):
        raise PromptError("prompts must be an object with 'report' and/or 'grounding' strings")
    unknown = sorted(set(custom) - {"report", "grounding"})
    if unknown:
        raise PromptError(f"unknown prompt key(s) {', '.join(map(repr, unknown))}; expected 'report', 'grounding'")
    report, grounding = base.report, base.grounding
    if "report" in custom:
        report = _check_prompt(custom["report"], "report")
        if SENTENCE_SLOT in report:
            raise PromptError("the report prompt must not hold the {sentence} slot")
    if "grounding" in custom:
        grounding = _check_prompt(custom["grounding"], "grounding")
        n = grounding.count(SENTENCE_SLOT)
        if n != 1:
            raise PromptError(
                f"the grounding prompt must hold the {SENTENCE_SLOT} slot exactly once (found {n})"
            )
    if (report, grounding) == (base.report, base.grounding):
        return base
    return PromptSet("custom", report, grounding, base.grounding_observation_only)


def _check_prompt(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PromptError(f"the {what} prompt must be a non-empty string")
    if len(value) > MAX_PROMPT_CHARS:
        raise PromptError(f"the {what} prompt is {len(value)} characters (at most {MAX_PROMPT_CHARS})")
    special = _SPECIAL.search(value)
    if special:
        raise PromptError(f"the {what} prompt holds a special token ({special.group(0)})")
    return value


# -- model output hygiene ---------------------------------------------------------------------------

#: Qwen2-VL-style special tokens (``<|im_end|>``, ``<|video_pad|>``, ``<|box_start|>``, ...) and ``<image>``
_SPECIAL = re.compile(r"<\|[^<>|\s]{1,40}\|>|<(?:image|video)>")


def strip_special_tokens(text: str) -> str:
    """``text`` without special tokens (each replaced by a space) and with runs of spaces folded.

    A special token in a sentence that goes into a grounding prompt makes the processor miscount image or video
    tokens; in a report it is never meant for a reader.
    """
    if not text:
        return ""
    out = _SPECIAL.sub(" ", text)
    out = "".join(ch for ch in out if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"[ \t]{2,}", " ", out).strip()


#: a well-formed token of report prose: a word (letters, with inner hyphens or apostrophes, at least one vowel or a
#: known consonant abbreviation), a number or measurement, or lone punctuation; optional brackets and trailing marks
_TOKEN = re.compile(
    r"""^[(\["']?(?:[A-Za-z]+(?:[-'/][A-Za-z]+)*|\d+(?:[.,/]\d+)?(?:-\d+(?:[.,]\d+)?)?(?:mm|cm|%|x|st|nd|rd|th)?|[.,;:?!-])"""
    r"""[)\]"',.;:%?!]*$"""
)
_VOWELS = set("aeiouyAEIOUY")
_ABBREVIATIONS = {"ng", "nj", "cxr", "pcxr", "xr", "ct", "mr", "pa", "ap", "lt", "rt", "ll", "rll", "rml", "lll", "lul", "rul",
                  "cm", "mm", "dx", "hx", "tb", "st", "cp", "cvp"}


def _plausible(token: str) -> bool:
    if not _TOKEN.match(token):
        return False
    letters = re.sub(r"[^A-Za-z]", "", token)
    if not letters:
        return True
    if len(letters) > 24:
        return False
    if set(letters) == {"X"}:
        return True  # the de-identification placeholder of public report corpora ("XXXX")
    return any(c in _VOWELS for c in letters) or letters.lower() in _ABBREVIATIONS


def readability(text: str) -> float:
    """The share (0..1) of a sentence's visible characters that are in well-formed tokens of prose.

    The sentence is split at white space; a token counts when it is a word (letters, inner hyphens or apostrophes,
    a vowel or a known abbreviation such as "NG"), a number or measurement ("5", "2.5cm", "10%"), or punctuation,
    optionally in brackets or quotes and followed by punctuation. Report text scores 1; byte soup, replacement
    characters, control characters, digits glued to letters and bracket litter score low.
    """
    tokens = text.split()
    total = sum(len(t) for t in tokens)
    if not total:
        return 0.0
    plausible = [t for t in tokens if _plausible(t)]
    if not any(re.search(r"[A-Za-z]{2,}", t) for t in plausible):
        return 0.0  # no word at all: numbers and punctuation are not a sentence
    return sum(len(t) for t in plausible) / total


#: below this readability a sentence is "unreadable model output"
UNREADABLE_BELOW = 0.6


def is_unreadable(text: str) -> bool:
    """True when a model sentence is mostly not words (see :func:`readability`)."""
    return readability(text) < UNREADABLE_BELOW
