"""A tiny GazeX-layout checkpoint built offline in seconds, for tests and for trying the app.

:func:`make_test_model` writes a complete Qwen2-VL-layout folder (config, safetensors weights, a locally trained
byte-level BPE tokenizer with the Qwen2-VL special tokens, image and video processors, chat template and the
``gazex.json`` sidecar), then trains it briefly so that, on the bundled sample radiograph, it answers GazeX's
report prompt with :data:`KNOWN_REPORT` and each grounding prompt with the known boxes in :data:`KNOWN_BOXES`.
With ``train=False`` the weights stay random: its output is garbage, which must yield an empty-but-valid
reading with warnings.

torch, transformers and tokenizers are imported inside the functions.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazex_viewer.core.reading.document import Box
from gazex_viewer.core.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
#: the bundled sample radiograph the tiny model is trained on
SAMPLE_IMAGE: Path = resource_path("sample_study", "00000001_000.png")

#: the report the trained tiny model gives for the sample image (REFLACX style)
KNOWN_REPORT: str = "enlarged cardiac silhouette . no pneumothorax ."
#: sentence -> (clue boxes, observation box) in pixels of the 512 x 512 sample image
#: (multiples of 4 so that the downscale-by-4 frame round-trips exactly)
KNOWN_BOXES: dict[str, tuple[list[Box], Box]] = {
    "enlarged cardiac silhouette .": (
        [Box(128, 244, 252, 400, 188, 320), Box(240, 236, 384, 412, 312, 324)],
        Box(124, 232, 388, 416, 256, 324),
    ),
    "no pneumothorax .": ([], Box(44, 40, 468, 448, 256, 244)),
}
#: image budget of the tiny model (its sidecar's max_pixels): 112 x 112 px -> 16 image tokens
TINY_MAX_PIXELS: int = 112 * 112
#: BPE vocabulary of the tiny tokenizer: small, so that words split into several tokens and every known answer is
#: longer than GazeX's min_new_tokens (20) -- the authors' decoding suppresses end-of-text before that
TOKENIZER_VOCAB: int = 360

SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

#: Qwen2-VL's chat template (the one LLaMA-Factory's ``qwen2_vl`` template reproduces)
CHAT_TEMPLATE: str = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass
class TinyModelResult:
    """What :func:`make_test_model` built."""

    path: Path
    trained: bool
    steps: int
    final_loss: float | None
    seconds: float
    exact: bool | None


#: model layouts the tiny builder can write (LLaMA-Factory's ``qwen2_vl`` template serves both)
ARCHITECTURES: tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl")


def tiny_config(vocab_size: int, token_ids: dict[str, int], arch: str = "qwen2_vl") -> dict[str, Any]:
    """The tiny configuration (text hidden 64, 2 layers; vision depth 1): Qwen2-VL, or Qwen2.5-VL's layout."""
    cfg = _tiny_qwen2vl_config(vocab_size, token_ids)
    if arch == "qwen2_vl":
        return cfg
    if arch != "qwen2_5_vl":
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
    cfg["model_type"] = "qwen2_5_vl"
    cfg["architectures"] = ["Qwen2_5_VLForConditionalGeneration"]
    cfg["text_config"]["model_type"] = "qwen2_5_vl_text"
    cfg["vision_config"] = {
        "model_type": "qwen2_5_vl_vision",
        "depth": 2,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_heads": 2,
        "in_channels": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 56,
        "out_hidden_size": 64,
        "fullatt_block_indexes": [1],
    }
    return cfg


def _tiny_qwen2vl_config(vocab_size: int, token_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "model_type": "qwen2_vl",
        "architectures": ["Qwen2VLForConditionalGeneration"],
        "image_token_id": token_ids["<|image_pad|>"],
        "video_token_id": token_ids["<|video_pad|>"],
        "vision_start_token_id": token_ids["<|vision_start|>"],
        "vision_end_token_id": token_ids["<|vision_end|>"],
        "bos_token_id": token_ids["<|endoftext|>"],
        "eos_token_id": token_ids["<|im_end|>"],
        "pad_token_id": token_ids["<|endoftext|>"],
        "tie_word_embeddings": False,
        "text_config": {
            "model_type": "qwen2_vl_text",
            "vocab_size": vocab_size,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "rms_norm_eps": 1e-6,
            "rope_scaling": {"type": "mrope", "mrope_section": [4, 2, 2]},
            "rope_theta": 1000000.0,
            "bos_token_id": token_ids["<|endoftext|>"],
            "eos_token_id": token_ids["<|im_end|>"],
            "pad_token_id": token_ids["<|endoftext|>"],
            "tie_word_embeddings": False,
        },
        "vision_config": {
            "model_type": "qwen2_vl_vision",
            "depth": 1,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "mlp_ratio": 2,
            "in_channels": 3,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
    }


def _training_pairs(frame: str) -> list[tuple[str, str]]:
    """(prompt, answer) pairs the tiny model learns: the report, then one grounding per sentence."""
    from gazex_viewer.core.reading.gazex_protocol import (
        REPORT_PROMPT,
        format_grounding,
        grounding_prompt,
    )

    pairs = [(REPORT_PROMPT, KNOWN_REPORT)]
    for sentence, (clues, obs) in KNOWN_BOXES.items():
        pairs.append((grounding_prompt(sentence), format_grounding(clues, obs, width=512, height=512, frame=frame)))
    return pairs


def _train_tokenizer(corpus: list[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in ("<|im_end|>", "<|endoftext|>")],
        model_max_length=32768,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def make_test_model(
    out_dir: str | Path,
    *,
    train: bool = True,
    steps: int = 120,
    seed: int = 0,
    frame: str = "downscale4",
    arch: str = "qwen2_vl",
) -> TinyModelResult:
    """Build the tiny GazeX-layout checkpoint in ``out_dir`` (created or overwritten).

    Parameters
    ----------
    out_dir
        Folder to write the checkpoint into.
    train
        Teach it the known answers for the sample image (False: random weights, garbage output).
    steps
        AdamW steps (lr 3e-3); about 130 suffice.
    seed
        Seed of the initial weights and of training (the result is deterministic).
    frame
        Coordinate frame written to the sidecar and used for the training answers.
    arch
        ``qwen2_vl`` (Qwen2-VL layout) or ``qwen2_5_vl`` (Qwen2.5-VL layout).

    Returns
    -------
    TinyModelResult
        With ``exact`` True when greedy decoding reproduces every known answer (None when untrained).
    """
    t0 = time.perf_counter()
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    from gazex_viewer.core.errors import CheckpointError
    from gazex_viewer.inference.images import prepare_image

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CheckpointError(out, "exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for stale in list(out.glob("*.safetensors")) + list(out.glob("*.bin")):
        stale.unlink()

    pairs = _training_pairs(frame)
    corpus = [p for p, _ in pairs] + [a for _, a in pairs]
    corpus += ["0123456789", "()[],.:'- ", "visual clues : observation :", "You are a helpful assistant."]
    corpus += ["system user assistant\n"] * 2
    tokenizer = _train_tokenizer(corpus)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    vocab_size = ((len(tokenizer) + 63) // 64) * 64

    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=TINY_MAX_PIXELS)
    video_processor = Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=TINY_MAX_PIXELS)
    processor_cls = Qwen2_5_VLProcessor if arch == "qwen2_5_vl" else Qwen2VLProcessor
    processor = processor_cls(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )

    torch.manual_seed(seed)
    if arch == "qwen2_5_vl":
        model: Any = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(**tiny_config(vocab_size, ids, arch)))
    else:
        model = Qwen2VLForConditionalGeneration(Qwen2VLConfig(**tiny_config(vocab_size, ids, arch)))
    model = model.to(torch.float32)
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.bos_token_id = ids["<|endoftext|>"]
    model.generation_config.do_sample = False

    from gazex_viewer.core.imaging.files import load_radiograph

    image = prepare_image(load_radiograph(SAMPLE_IMAGE).render(), TINY_MAX_PIXELS)

    final_loss: float | None = None
    exact: bool | None = None
    n_steps = 0
    if train:
        prompts = [_chat(processor, p) for p, _ in pairs]
        full = [pt + ans + "<|im_end|>" for pt, (_, ans) in zip(prompts, pairs)]
        tokenizer.padding_side = "right"
        batch = processor(text=full, images=[image] * len(full), padding=True, return_tensors="pt")
        tokenizer.padding_side = "left"
        labels = batch["input_ids"].clone()
        for i, pt in enumerate(prompts):
            n_prompt = len(processor(text=[pt], images=[image], return_tensors="pt")["input_ids"][0])
            labels[i, :n_prompt] = -100
        labels[batch["attention_mask"] == 0] = -100
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
        # one thread: as fast for a model this small, and robust on a busy machine (no oversubscription)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            model.train()
            for _ in range(steps):
                outputs = model(**batch, labels=labels)
                opt.zero_grad(set_to_none=True)
                outputs.loss.backward()
                opt.step()
                final_loss = float(outputs.loss.detach())
                n_steps += 1
            model.eval()
            exact = _check_answers(model, processor, image, pairs)
        finally:
            torch.set_num_threads(threads)

    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    sidecar = {
        "coordinate_frame": frame,
        "max_pixels": TINY_MAX_PIXELS,
        "name": "tiny-gazex (test model)" if train else "tiny-gazex-untrained (test model)",
        "test_model": {"trained": train, "steps": n_steps, "seed": seed, "known_report": KNOWN_REPORT},
    }
    (out / "gazex.json").write_text(json.dumps(sidecar, indent=2), encoding="utf-8")
    return TinyModelResult(out, train, n_steps, final_loss, time.perf_counter() - t0, exact)


def _chat(processor: Any, prompt: str) -> str:
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    return str(processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


def _check_answers(model: Any, processor: Any, image: Any, pairs: list[tuple[str, str]]) -> bool:
    import torch

    texts = [_chat(processor, p) for p, _ in pairs]
    batch = processor(text=texts, images=[image] * len(texts), padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=120, do_sample=False)
    tok = processor.tokenizer
    stop = {tok.convert_tokens_to_ids("<|im_end|>"), tok.convert_tokens_to_ids("<|endoftext|>")}
    answers = []
    for row in out[:, batch["input_ids"].shape[1] :].tolist():
        ids = []
        for t in row:
            if t in stop:
                break
            ids.append(t)
        answers.append(tok.decode(ids, skip_special_tokens=False).strip())  # keep <|box_start|> and friends
    return all(a == want for a, (_, want) in zip(answers, pairs))
