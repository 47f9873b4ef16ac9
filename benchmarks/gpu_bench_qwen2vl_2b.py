"""GPU: a randomly initialised model with Qwen2-VL-2B's exact configuration, on one 2048 x 2048 radiograph.

Nothing is downloaded: the configuration is written out below and weights are random (bf16, SDPA attention).

Mode ``app`` (the primary figures) runs the application's own reading path,
``protocol.run_reading on TransformersGazeXBackend``: GazeX's 768*768 resize, Qwen2-VL's processor with the chat template
(a locally trained byte-level BPE tokenizer with the Qwen2-VL special tokens, as ``make-test-model`` builds; the
config's special token ids are set to its ids), the streamed report (streamer, cancel criteria, token-budget check),
sentence split, batched grounding prompts (left padding), answer parsing and the Reading. Output lengths are forced
with ``min_new_tokens`` (report 150 tokens, 6 groundings of 60 tokens); the sentence split is pinned to 6 fixed
sentences, since a random model's report has none. Batched vs one-by-one groundings go through the backend's
``generate_groundings`` (batch 8 vs batch 1).

Mode ``bare`` (a secondary reference) times bare ``model.generate`` calls on token ids built directly (no
tokenizer, no chat template, no streaming text, no parsing).

Both print, as a table: time to first report token; report tokens/s; the whole reading (report + 6 groundings,
batched); groundings batched vs one by one and the ratio; peak GPU memory.
Goals (H200): whole reading < 3 s; batched groundings >= 3x faster than one by one.

Run on a GPU machine:   .venv/bin/python benchmarks/gpu_bench_qwen2vl_2b.py            (app, then bare)
                        .venv/bin/python benchmarks/gpu_bench_qwen2vl_2b.py --mode app
Smoke test on a CPU:    .venv/bin/python benchmarks/gpu_bench_qwen2vl_2b.py --smoke
(--smoke shrinks the model to 2 layers, the image budget and the token counts, so the code paths run on a CPU.)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Qwen2-VL-2B-Instruct's config.json, written out literally
QWEN2_VL_2B_CONFIG: dict[str, Any] = {
    "architectures": ["Qwen2VLForConditionalGeneration"],
    "model_type": "qwen2_vl",
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "hidden_act": "silu",
    "hidden_size": 1536,
    "initializer_range": 0.02,
    "intermediate_size": 8960,
    "max_position_embeddings": 32768,
    "max_window_layers": 28,
    "num_attention_heads": 12,
    "num_hidden_layers": 28,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vision_config": {
        "depth": 32,
        "embed_dim": 1280,
        "mlp_ratio": 4,
        "num_heads": 16,
        "in_chans": 3,
        "hidden_size": 1536,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "spatial_patch_size": 14,
        "temporal_patch_size": 2,
    },
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "vocab_size": 151936,
}

IM_START, IM_END, PAD = 151644, 151645, 151643
VISION_START, VISION_END, IMAGE_PAD = 151652, 151653, 151655
REPORT_TOKENS, GROUNDING_TOKENS, N_GROUNDINGS = 150, 60, 6


def radiograph_2048() -> np.ndarray:
    """A real chest radiograph from ../shared/data resampled to 2048 x 2048 (uint8), else a synthetic one."""
    from PIL import Image

    root = Path(__file__).resolve().parents[1]
    for rel in ("dicom/RG1_UNCR.dcm", "images/nih/00000001_000.png"):
        p = root.parent / "shared" / "data" / rel
        if p.is_file():
            try:
                from gazex_viewer.core.imaging.files import load_radiograph

                disp = load_radiograph(p).render()
                return np.asarray(Image.fromarray(disp).resize((2048, 2048), Image.Resampling.BICUBIC))
            except Exception:  # noqa: BLE001 - fall back to synthetic pixels
                pass
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(2048, 2048), dtype=np.uint8)


def prompt_ids(n_image_tokens: int, n_text: int, rng: np.random.Generator) -> list[int]:
    """Token ids of one chat turn: system, user (image first, then ``n_text`` prompt tokens), assistant header."""
    text = rng.integers(1000, 150000, size=n_text).tolist()
    system = rng.integers(1000, 150000, size=8).tolist()
    return (
        [IM_START, *system, IM_END, IM_START, *rng.integers(1000, 150000, size=2).tolist()]
        + [VISION_START, *([IMAGE_PAD] * n_image_tokens), VISION_END]
        + text
        + [IM_END, IM_START, *rng.integers(1000, 150000, size=2).tolist()]
    )


def left_pad(rows: list[list[int]]) -> tuple[Any, Any]:
    import torch

    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), PAD, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, n - len(r) :] = torch.tensor(r)
        mask[i, n - len(r) :] = 1
    return ids, mask


def bench_bare(args: argparse.Namespace) -> None:
    """The secondary reference: bare generate calls on token ids (no processor text path, no parsing)."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
    )

    from gazex_viewer.inference.images import image_tokens, prepare_image

    cfg = dict(QWEN2_VL_2B_CONFIG)
    max_pixels = 768 * 768
    device = args.device
    dtype = torch.bfloat16
    if args.smoke:
        device, dtype, max_pixels = "cpu", torch.float32, 224 * 224
        cfg.update(num_hidden_layers=2, max_window_layers=2)
        cfg["vision_config"] = {**cfg["vision_config"], "depth": 2}
        global REPORT_TOKENS, GROUNDING_TOKENS
        REPORT_TOKENS, GROUNDING_TOKENS = 12, 6
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available: run on a GPU machine, or use --smoke on a CPU")

    torch.manual_seed(0)
    config = Qwen2VLConfig(**cfg)
    t0 = time.perf_counter()
    with torch.device(device):
        model = Qwen2VLForConditionalGeneration._from_config(config, dtype=dtype, attn_implementation="sdpa")
    model.eval()
    build_s = time.perf_counter() - t0

    film = radiograph_2048()
    proc = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=max_pixels)

    def prepare() -> tuple[Any, Any, Any]:
        """GazeX's resize (768*768 budget) and Qwen2-VL's image processor, as the backend does per film."""
        pil = prepare_image(film, max_pixels)
        vis = proc(images=[pil], return_tensors="pt")
        return pil, vis["pixel_values"].to(device, dtype), vis["image_grid_thw"].to(device)

    pil, pixel_values, grid = prepare()
    n_img = image_tokens(pil.height, pil.width)
    rng = np.random.default_rng(0)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def gen(rows: list[list[int]], n_new: int, streamer: Any = None) -> Any:
        ids, mask = left_pad(rows)
        k = len(rows)
        with torch.inference_mode():
            return model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                pixel_values=pixel_values.repeat(k, 1),
                image_grid_thw=grid.repeat(k, 1),
                max_new_tokens=n_new,
                min_new_tokens=n_new,
                do_sample=False,
                pad_token_id=PAD,
                eos_token_id=IM_END,
                streamer=streamer,
            )

    class FirstToken:
        def __init__(self) -> None:
            self.calls = 0
            self.t_first: float | None = None

        def put(self, value: Any) -> None:
            self.calls += 1
            if self.calls == 2:  # the first call carries the prompt
                sync()
                self.t_first = time.perf_counter()

        def end(self) -> None:
            pass

    report_prompt = prompt_ids(n_img, 22, rng)
    ground_prompts = [prompt_ids(n_img, int(rng.integers(180, 200)), rng) for _ in range(N_GROUNDINGS)]

    gen([report_prompt], 4)  # warm-up (CUDA context, kernels)
    gen(ground_prompts[:2], 4)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()

    rows: dict[str, list[float]] = {k: [] for k in ("ttft", "report", "tps", "batched", "serial", "reading")}
    rows["prepare"] = []
    for _ in range(args.repeat):
        tp = time.perf_counter()
        prepare()
        sync()
        rows["prepare"].append(time.perf_counter() - tp)
        st = FirstToken()
        sync()
        t0 = time.perf_counter()
        out = gen([report_prompt], REPORT_TOKENS, st)
        sync()
        t1 = time.perf_counter()
        assert out.shape[1] - len(report_prompt) == REPORT_TOKENS
        ttft = (st.t_first or t1) - t0
        rows["ttft"].append(ttft)
        rows["report"].append(t1 - t0)
        rows["tps"].append((REPORT_TOKENS - 1) / max(1e-9, t1 - t0 - ttft))
        sync()
        t2 = time.perf_counter()
        out = gen(ground_prompts, GROUNDING_TOKENS)
        sync()
        t3 = time.perf_counter()
        assert out.shape[0] == N_GROUNDINGS
        rows["batched"].append(t3 - t2)
        rows["reading"].append(t3 - t0 + rows["prepare"][-1])
        t4 = time.perf_counter()
        for p in ground_prompts:
            gen([p], GROUNDING_TOKENS)
        sync()
        rows["serial"].append(time.perf_counter() - t4)

    best = {k: (max(v) if k == "tps" else min(v)) for k, v in rows.items()}
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU (smoke: 2 layers)"
    print("\n== bare generate calls (secondary reference: no chat template, streaming or parsing) ==")
    print(f"device: {name}; dtype {str(dtype).replace('torch.', '')}; SDPA; model built in {build_s:.1f} s")
    print(f"image: 2048 x 2048 -> {pil.width} x {pil.height} ({n_img} image tokens); best of {args.repeat}")
    print(f"{'measure':<48}{'value':>12}  goal")
    print(f"{'image preparation (2048^2 -> budget, processor)':<48}{best['prepare']:>10.3f} s")
    print(f"{'time to first report token':<48}{best['ttft']:>10.3f} s")
    print(f"{f'report tokens/s ({REPORT_TOKENS} tokens, batch 1)':<48}{best['tps']:>10.1f}/s")
    print(f"{f'report ({REPORT_TOKENS} tokens)':<48}{best['report']:>10.3f} s")
    print(f"{f'{N_GROUNDINGS} groundings x {GROUNDING_TOKENS} tokens, batched':<48}{best['batched']:>10.3f} s")
    print(f"{f'{N_GROUNDINGS} groundings x {GROUNDING_TOKENS} tokens, one by one':<48}{best['serial']:>10.3f} s")
    ratio = best["serial"] / best["batched"]
    print(f"{'batched speed-up':<48}{ratio:>10.2f} x  >= 3x {'OK' if ratio >= 3 else 'MISSED'}")
    ok = "OK" if best["reading"] < 3.0 else "MISSED"
    print(f"{'whole reading (prep + report + batched ground.)':<48}{best['reading']:>10.3f} s  < 3 s {ok}")
    print(f"{'peak GPU memory':<48}{peak:>10.2f} GiB")



SENTENCES = (
    "enlarged cardiac silhouette .",
    "no pneumothorax .",
    "small left pleural effusion .",
    "right lower lobe opacity .",
    "support devices in place .",
    "no acute osseous abnormality .",
)


def _bench_tokenizer() -> Any:
    """A byte-level BPE tokenizer with the Qwen2-VL special tokens and chat template (as make-test-model builds)."""
    from gazex_viewer.core.reading.gazex_protocol import REPORT_PROMPT, grounding_prompt
    from gazex_viewer.inference.tiny_model import _train_tokenizer

    corpus = [REPORT_PROMPT, *(grounding_prompt(s) for s in SENTENCES), *SENTENCES]
    corpus += ["0123456789", "()[],.:'- ", "visual clues : observation :", "You are a helpful assistant."]
    corpus += ["system user assistant\n"] * 2
    return _train_tokenizer(corpus)


def bench_app(args: argparse.Namespace) -> None:
    """The primary figures: the app's own reading path (protocol.run_reading on TransformersGazeXBackend) on the 2B shape."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    import gazex_viewer.core.reading.report_text as report_text
    from gazex_viewer.core.reading.document import ImageRef
    from gazex_viewer.inference import protocol
    from gazex_viewer.inference.api import CheckpointInfo, GenerationSettings
    from gazex_viewer.inference.backend import JobControl
    from gazex_viewer.inference.images import image_tokens, prepare_image
    from gazex_viewer.inference.transformers_backend import (
        GROUNDING_BATCH,
        TransformersGazeXBackend,
    )

    report_n, ground_n = REPORT_TOKENS, GROUNDING_TOKENS
    cfg = dict(QWEN2_VL_2B_CONFIG)
    max_pixels = 768 * 768
    device, dtype, dtype_name = args.device, torch.bfloat16, "bfloat16"
    if args.smoke:
        device, dtype, dtype_name, max_pixels = "cpu", torch.float32, "float32", 224 * 224
        cfg.update(num_hidden_layers=2, max_window_layers=2)
        cfg["vision_config"] = {**cfg["vision_config"], "depth": 2}
        report_n, ground_n = 12, 6
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available: run on a GPU machine, or use --smoke on a CPU")

    tokenizer = _bench_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_end|>", "<|vision_start|>",
                                                          "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>",
                                                          "<|video_pad|>")}
    cfg.update(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        vision_token_id=ids["<|vision_pad|>"],
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
    )
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=max_pixels),
        video_processor=Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=max_pixels),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )
    torch.manual_seed(0)
    t0 = time.perf_counter()
    with torch.device(device):
        model = Qwen2VLForConditionalGeneration._from_config(Qwen2VLConfig(**cfg), dtype=dtype,
                                                              attn_implementation="sdpa")
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    build_s = time.perf_counter() - t0

    backend = TransformersGazeXBackend()
    info = CheckpointInfo(model_dir=Path("random-qwen2-vl-2b"), model_type="qwen2_vl", weight_files=[],
                          coordinate_frame="downscale4", max_pixels=max_pixels, name="random Qwen2-VL-2B")
    backend.attach(model, processor, info, checkpoint_sha256="0" * 64, device=device, dtype=dtype_name)
    # a random model's report holds no sentences: pin the split to six, so six grounding prompts follow
    report_text.split_sentences = lambda text: list(SENTENCES)  # type: ignore[assignment]

    film = radiograph_2048()
    image = ImageRef("radiograph-2048.png", 2048, 2048, "0" * 64)
    settings = GenerationSettings(max_new_tokens=max(report_n, ground_n))
    pil = prepare_image(film, max_pixels)
    n_img = image_tokens(pil.height, pil.width)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    streamed: list[str] = []
    control = JobControl(1, emit=lambda e: streamed.append(e.kind))
    protocol.run_reading(backend, film, image, settings, control, forced_lengths=(4, 4))  # warm-up
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    rows: dict[str, list[float]] = {k: [] for k in ("ttft", "report", "tps", "ground", "reading", "wall", "prepare",
                                                   "batched", "serial")}
    reading = None
    for _ in range(args.repeat):
        streamed.clear()
        sync()
        tw = time.perf_counter()
        reading = protocol.run_reading(backend, film, image, settings, control, forced_lengths=(report_n, ground_n))
        sync()
        rows["wall"].append(time.perf_counter() - tw)
        t = reading.producer.timings
        assert int(t["report_tokens"]) == report_n, t
        assert int(t["grounding_tokens"]) == len(SENTENCES) * ground_n, t
        rows["prepare"].append(t["prepare_s"])
        rows["ttft"].append(t["time_to_first_token_s"])
        rows["report"].append(t["report_s"])
        rows["tps"].append(t["report_tokens_per_s"])
        rows["ground"].append(t["grounding_s"])
        rows["reading"].append(t["total_s"])
        for key, batch in (("batched", GROUNDING_BATCH), ("serial", 1)):
            sync()
            tg = time.perf_counter()
            answers, _ = backend.generate_groundings(pil, list(SENTENCES), settings, control, batch_size=batch,
                                                     min_new_tokens=ground_n, max_new_tokens=ground_n)
            sync()
            rows[key].append(time.perf_counter() - tg)
            assert len(answers) == len(SENTENCES)
    assert reading is not None
    best = {k: (max(v) if k == "tps" else min(v)) for k, v in rows.items()}
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else float("nan")
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU (smoke: 2 layers)"
    n = len(SENTENCES)
    print("== app reading path: protocol.run_reading on TransformersGazeXBackend (processor, chat template, streaming, parsing) ==")
    print(f"device: {name}; dtype {dtype_name}; SDPA; model built in {build_s:.1f} s")
    print(f"image: 2048 x 2048 -> {pil.width} x {pil.height} ({n_img} image tokens); prompt tokens "
          f"{int(reading.producer.timings['prompt_tokens'])}; best of {args.repeat}; "
          f"{len(reading.sentences)} sentences, {len(reading.warnings)} parse warnings (random model)")
    print(f"{'measure':<52}{'value':>12}  goal")
    print(f"{'image preparation (2048^2 -> budget)':<52}{best['prepare']:>10.3f} s")
    print(f"{'time to first report token':<52}{best['ttft']:>10.3f} s")
    print(f"{f'report tokens/s ({report_n} tokens, batch 1, streamed)':<52}{best['tps']:>10.1f}/s")
    print(f"{f'report ({report_n} tokens)':<52}{best['report']:>10.3f} s")
    print(f"{f'{n} groundings x {ground_n} tokens in run_reading':<52}{best['ground']:>10.3f} s")
    print(f"{f'{n} groundings x {ground_n} tokens, batched ({GROUNDING_BATCH})':<52}{best['batched']:>10.3f} s")
    print(f"{f'{n} groundings x {ground_n} tokens, one by one':<52}{best['serial']:>10.3f} s")
    ratio = best["serial"] / best["batched"]
    print(f"{'batched speed-up':<52}{ratio:>10.2f} x  >= 3x {'OK' if ratio >= 3 else 'MISSED'}")
    ok = "OK" if best["wall"] < 3.0 else "MISSED"
    print(f"{'whole reading (run_reading, wall, parsing included)':<52}{best['wall']:>10.3f} s  < 3 s {ok}")
    print(f"{'peak GPU memory':<52}{peak:>10.2f} GiB")
    del model, backend
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--smoke", action="store_true", help="tiny layer counts on CPU, to check the script runs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--mode",
        choices=("app", "bare", "both"),
        default="both",
        help="app: the app's reading path (primary); bare: bare generate calls (reference); both (default)",
    )
    args = ap.parse_args()
    if args.mode in ("app", "both"):
        bench_app(args)
    if args.mode in ("bare", "both"):
        bench_bare(args)


if __name__ == "__main__":
    main()
