"""The prompts a checkpoint receives equal LLaMA-Factory's ``qwen2_vl`` rendering of GazeX's training samples.

LLaMA-Factory (0.9.4.dev0 at 1639e4b, the version GazeX pins), as quoted in NOTES-gazex-fidelity.md 1g-1h:
``template.py:1705-1719`` registers ``qwen2_vl`` with ``format_system = "<|im_start|>system\\n{{content}}<|im_end|>\\n"``,
``format_user = "<|im_start|>user\\n{{content}}<|im_end|>\\n<|im_start|>assistant\\n"`` and
``default_system = "You are a helpful assistant."`` (always emitted, template.py:141-150); ``mm_plugin.py:1515``
replaces each ``<image>`` in the content by ``<|vision_start|>`` + ``<|image_pad|>`` x (image tokens) +
``<|vision_end|>``. The training contents are ``"<image> Given ..."`` (report, Create_Training_Data.py:140) and
``"<image>Given an X-ray image and a radiologist's description '...'"`` (grounding, :255).
"""

from __future__ import annotations

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.gazex_prompts import PROMPT_PRESETS
from gazex_viewer.inference.images import image_tokens, prepare_image
from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE
from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

TRAINING_REPORT_CONTENT = (
    "<image> Given an X-ray image, using the radiologist's interpretation pattern, generate a detailed description "
    "or diagnosis for the image."
)


def _llamafactory(content: str, n_image_tokens: int) -> str:
    system = "<|im_start|>system\n{{content}}<|im_end|>\n".replace("{{content}}", "You are a helpful assistant.")
    expanded = content.replace("<image>", "<|vision_start|>" + "<|image_pad|>" * n_image_tokens + "<|vision_end|>")
    return system + "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n".replace("{{content}}", expanded)


def _ids_both_ways(backend: TransformersGazeXBackend, prompt: str, lf_content: str) -> tuple[list[int], list[int]]:
    pil = prepare_image(load_radiograph(SAMPLE_IMAGE).render(), backend.loaded.info.max_pixels)
    n = image_tokens(pil.height, pil.width)
    ours = backend._inputs([backend._chat(prompt)], pil)["input_ids"][0].tolist()
    theirs = backend.processor.tokenizer(_llamafactory(lf_content, n), add_special_tokens=False)["input_ids"]
    return ours, theirs


def test_report_prompt_is_the_training_sample_token_for_token(loaded_backend: TransformersGazeXBackend) -> None:
    prompts = PROMPT_PRESETS["training"]
    ours, theirs = _ids_both_ways(loaded_backend, prompts.report, TRAINING_REPORT_CONTENT)
    assert ours == theirs
    # the space after the image is there: the token after <|vision_end|> starts with it
    tok = loaded_backend.processor.tokenizer
    end = ours.index(tok.convert_tokens_to_ids("<|vision_end|>"))
    assert tok.decode(ours[end + 1 : end + 12]).startswith(" Given")


def test_grounding_prompt_is_the_training_sample_token_for_token(loaded_backend: TransformersGazeXBackend) -> None:
    prompts = PROMPT_PRESETS["training"]
    sentence = "enlarged cardiac silhouette ."
    lf_content = (
        "<image>Given an X-ray image and a radiologist's description 'enlarged cardiac silhouette .', mimic a "
        "radiologist's interpretation pattern to identify visual clues and an overall observation area. Analyze the "
        "image to detect relevant features (e.g., abnormal opacities, fractures, lesions, or other radiological "
        "findings) that correspond to the provided description. Output as much visual clues to support your "
        "observation and generate only one observation area in the format of bounding boxes and centroids, using "
        "the structure: 'visual clues: [(xmin1, ymin1)(xmax1, ymax1)(centroidx1, centroidy1), (xmin2, ymin2)(xmax2, "
        "ymax2)(centroidx2, centroidy2), ...], observation: [(xmin, ymin)(xmax, ymax)(centroidx, centroidy)]'."
    )
    ours, theirs = _ids_both_ways(loaded_backend, prompts.grounding_for(sentence), lf_content)
    assert ours == theirs


def test_the_old_inference_wording_differs(loaded_backend: TransformersGazeXBackend) -> None:
    """The check can fail: the published inference wording is not the training sample."""
    ours, theirs = _ids_both_ways(loaded_backend, PROMPT_PRESETS["inference-json"].report, TRAINING_REPORT_CONTENT)
    assert ours != theirs
