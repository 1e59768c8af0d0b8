"""GPU check: the GPU judge's speed on the machine at hand, as one JSON file and a table.

    scripts/gpu_check.sh                 # on a GPU machine, in at most about 8 minutes
    scripts/gpu_check.sh --dry-run       # the same steps at toy sizes on a CPU (< 2 minutes)

Steps (each timed; one that fails is recorded with its error and the rest still run):
  render   EGL rendering speed: a small set with the GPU preset's generator settings, one
           process a core (clips/s). Its clips feed `train` and `ddp`.
  train    training steps of the preset's model (`experiment=gpu_default`) in bf16 autocast:
           clips/s on random windows (the model alone), then with the preset's DataLoader on
           the rendered clips (loading and model together), their ratio, peak GPU memory and
           GPU utilisation while loading (torch.cuda.utilization or nvidia-smi; null without).
  score    `Judge.score` end to end with that model at the preset's window (16x112x112),
           fp32 and under bf16 autocast, on generator-sized videos (832x480, 49 frames) and on
           small clips (96x96): videos/s, windows/s, and the decode-only rate beside them
           (`score_over_decode`), with `scripts/bench_scoring.py`'s stages.
  ddp      a 2-process DDP smoke run of judge-train (`trainer=ddp`, 2 GPUs) when there are 2
           GPUs; the dry run uses `trainer=ddp_sim` (2 CPU processes); else skipped.

Targets (issue 15): scoring >= 2,000 windows/s at 16x112x112 on one data-centre GPU and >= 0.8
of decode-only on generator-sized video; training not bound by loading (ratio near 1).
"""

# ruff: noqa: E402 - the environment must be set before torch is imported
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py: spinning waits

import argparse
import json
import multiprocessing
import platform
import shutil
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_scoring, beside this file

PRESET = "gpu_default"
TARGET_WINDOWS_PER_S = 2000.0
TARGET_OVER_DECODE = 0.8
BUDGET_S = 480.0  # the whole check (gpu_check.sh kills it at 540 s)

# Sizes of each step: the real check, and the dry run's toy version of the same steps.
SIZES = {
    "full": {
        "render_scenes": 48,
        "frames": 16,
        "size": 112,
        "batch": 64,
        "warmup": 5,
        "steps": 20,
        "loading_batches": 30,
        "videos": {"generated": (832, 480, (49, 49), 16, 32), "small": (96, 96, (24, 48), 15, 128)},
        "score_batch": 64,
        "repeats": 2,
        "ddp_steps": 10,
    },
    "dry": {
        "render_scenes": 2,
        "frames": 8,
        "size": 32,
        "batch": 2,
        "warmup": 1,
        "steps": 2,
        "loading_batches": 2,
        "videos": {"generated": (160, 96, (17, 17), 16, 2), "small": (64, 64, (16, 16), 15, 2)},
        "score_batch": 4,
        "repeats": 1,
        "ddp_steps": 1,
    },
}
# The dry run renders with the tests' tiny generator settings (64x64, 16 frames).
TINY_SYNTH = {
    "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
    "artifacts": {"min_visible_px": 12},
}


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(dev: torch.device):
    """bf16 autocast on the device (CPU autocast in the dry run: the same code path)."""
    return torch.autocast(dev.type, dtype=torch.bfloat16)


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


def gpu_utilisation() -> float | None:
    """Current GPU utilisation in percent: torch.cuda.utilization (pynvml), else nvidia-smi,
    else None (no GPU, or neither tool)."""
    if not torch.cuda.is_available():
        return None
    try:
        return float(torch.cuda.utilization())
    except Exception:
        pass
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                 "-i", str(torch.cuda.current_device())],
                capture_output=True, text=True, timeout=5, check=True,
            ).stdout  # fmt: skip
            return float(out.split()[0])
        except Exception:
            return None
    return None


class UtilisationSampler:
    """Samples `gpu_utilisation` every `period` seconds in a thread; `mean` (None if no
    sample could be taken)."""

    def __init__(self, period: float = 0.25):
        self.period, self.samples = period, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            value = gpu_utilisation()
            if value is None:
                return
            self.samples.append(value)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float | None:
        return round(sum(self.samples) / len(self.samples), 1) if self.samples else None


def preset_config(overrides: list[str] = ()):
    from judge.workflow import train_config

    return train_config(PRESET, list(overrides))


def model_config(cfg) -> dict:
    """The preset's `build_model` kwargs, without Hydra's target and training-only keys."""
    from omegaconf import OmegaConf

    kwargs = OmegaConf.to_container(cfg.model.model, resolve=True)
    for key in ("_target_", "pretrained", "freeze"):
        kwargs.pop(key, None)
    return kwargs


# ---------------------------------------------------------------------------------------------
# Steps


def step_render(sz: dict, work: Path, dry: bool) -> dict:
    """Render `render_scenes` scenes (the preset's generator settings; tiny ones in the dry run)
    with one process a core; all clips are then marked `train` for the next steps."""
    from judge.synth import gl
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate
    from judge.workflow import preset_synth

    backend = gl.choose_backend()
    synth = TINY_SYNTH if dry else preset_synth(PRESET)["synth"]
    workers = 1 if dry else len(os.sched_getaffinity(0))
    out = work / "render"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    # In a spawned process, never this one: with MuJoCo's EGL loaded here, importing triton
    # later (torch.optim does, through torch._dynamo) segfaults. The generator may render a
    # small set in its calling process whatever `num_workers` is.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        job = pool.submit(generate, SynthConfig.from_dict(synth), out, sz["render_scenes"],
                          seed=0, num_workers=workers)  # fmt: skip
        summary = job.result()
    seconds = time.perf_counter() - t0
    manifest = out / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    manifest.write_text("".join(json.dumps({**r, "split": "train"}) + "\n" for r in rows))
    return {
        "mujoco_gl": backend,
        "workers": workers,
        "scenes": sz["render_scenes"],
        "clips": summary.clips,
        "seconds": round(seconds, 2),
        "clips_per_s": round(summary.clips / seconds, 2),
        "manifest": str(manifest),
    }


def _train_step(model, opt, video: torch.Tensor, dev: torch.device) -> None:
    with autocast(dev):
        out = model(video)
        loss = sum(v.float().square().mean() for v in out.values())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def step_train(sz: dict, manifest: Path | None, dry: bool) -> dict:
    """Training clips/s of the preset's model: random windows, then the preset's loader."""
    from hydra.utils import instantiate

    dev = device()
    cfg = preset_config()
    model = instantiate(cfg.model.model).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    b, t, s = sz["batch"], sz["frames"], sz["size"]
    x = torch.randn(b, 3, t, s, s, device=dev)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i in range(sz["warmup"] + sz["steps"]):
        if i == sz["warmup"]:
            sync(dev)
            t0 = time.perf_counter()
        _train_step(model, opt, x, dev)
    sync(dev)
    model_rate = b * sz["steps"] / (time.perf_counter() - t0)
    result = {
        "model": f"{cfg.model.model.backbone} {model_config(cfg)}",
        "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 3),
        "window": f"{b}x3x{t}x{s}x{s}",
        "precision": "bf16 autocast",
        "model_clips_per_s": round(model_rate, 1),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
        if dev.type == "cuda"
        else None,
    }
    if manifest is None:
        return result
    workers = 0 if dry else min(int(cfg.data.num_workers), len(os.sched_getaffinity(0)) - 1)
    data_cfg = preset_config(
        [
            f"synth_if_missing.out={manifest.parent}",
            f"data.size={s}",
            f"data.window.num_frames={t}",
            f"data.batch_size={b}",
            f"data.num_workers={workers}",
            f"data.epoch_size={b * (sz['loading_batches'] + 1)}",
            f"data.pin_memory={dev.type == 'cuda'}",
        ]
    ).data
    dm = instantiate(data_cfg)
    dm.setup("fit")
    it = iter(dm.train_dataloader())
    _train_step(model, opt, next(it)["video"].to(dev), dev)  # workers start, first batch
    sync(dev)
    n, t0 = 0, time.perf_counter()
    with UtilisationSampler() as util:
        for batch in it:
            _train_step(model, opt, batch["video"].to(dev, non_blocking=True), dev)
            n += len(batch["video"])
        sync(dev)
    loaded_rate = n / (time.perf_counter() - t0)
    result.update(
        loader_workers=workers,
        with_loading_clips_per_s=round(loaded_rate, 1),
        loading_over_model=round(loaded_rate / model_rate, 3),
        gpu_utilisation_pct=util.mean,
    )
    return result


def make_gpu_judge(folder: Path, model_kwargs: dict, frames: int, size: int) -> Path:
    """The preset's model, untrained, exported as a judge (speed does not depend on training)."""
    import bench_scoring as bs

    import judge
    from judge.data.transforms import MEAN, STD
    from judge.models import build_model

    out = folder / f"gpu_judge_{frames}x{size}"
    model = build_model(**model_kwargs)
    meta = {
        "format": 1,
        "judge_version": judge.__version__,
        "labels": ["teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate"],
        "model": dict(model.config),
        "input": {"num_frames": frames, "stride": 1, "fps": None, "size": size,
                  "mean": list(MEAN), "std": list(STD)},
        "decoder": {},
    }  # fmt: skip
    ckpt = folder / f"{out.name}.ckpt"
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "judge": meta}, ckpt)
    bs.export_judge(ckpt, out, overwrite=True)
    return out


def step_score(sz: dict, work: Path, dry: bool) -> dict:
    """Scoring rates of the preset's model at the preset's window, fp32 and bf16 autocast."""
    import bench_scoring as bs

    dev = device()
    cfg = preset_config()
    kwargs = model_config(cfg)
    kwargs["num_labels"] = 7
    frames, size = sz["frames"], sz["size"]
    folder = make_gpu_judge(work, kwargs, frames, size)
    j = bs.Judge.load(folder, device=str(dev))
    workers = 0 if dry else max(1, min(8, len(os.sched_getaffinity(0)) - 2))
    rows = []
    for name, (w, h, nframes, fps, count) in sz["videos"].items():
        clips = work / "videos" / f"{name}_{w}x{h}"
        bs.make_videos(clips, count, w, h, nframes, fps)
        for precision in ("fp32", "bf16"):
            ctx = autocast(dev) if precision == "bf16" else nullcontext()
            with ctx:
                stages, wpv, backend = bs.bench_judge(
                    j, clips, count, workers, sz["score_batch"], sz["repeats"]
                )
            rates = {k: v[0] for k, v in stages.items()}
            rows.append(
                {
                    "videos": f"{name}: {count} x {w}x{h}, {nframes[0]}-{nframes[1]} frames",
                    "precision": precision,
                    "backend": backend,
                    "windows_per_video": round(wpv, 2),
                    "decode_videos_per_s": round(rates["decode"], 2),
                    "score_videos_per_s": round(rates["score"], 2),
                    "score_windows_per_s": round(rates["score"] * wpv, 1),
                    "model_windows_per_s": round(rates["model"] * wpv, 1),
                    "score_over_decode": round(rates["score"] / rates["decode"], 3),
                }
            )
    return {
        "window": f"{frames}x{size}x{size}",
        "device": str(dev),
        "workers": workers,
        "batch_size": sz["score_batch"],
        "rows": rows,
    }


def step_ddp(sz: dict, work: Path, manifest: Path | None, dry: bool, timeout: float) -> dict:
    """2-process judge-train smoke run: GPUs with 2 of them, CPU processes in the dry run;
    killed after `timeout` seconds (the check's time left)."""
    gpus = torch.cuda.device_count()
    if not dry and gpus < 2:
        return {"status": "skipped", "reason": f"{gpus} GPU(s): DDP needs 2"}
    if manifest is None:
        raise RuntimeError("no rendered clips (the render step failed)")
    run_dir = work / "ddp"
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [
        str(Path(sys.executable).parent / "judge-train"),
        f"experiment={PRESET}",
        "trainer=ddp_sim" if dry else "trainer=ddp",
        "trainer.devices=2",
        "++trainer.max_steps=" + str(sz["ddp_steps"]),
        "trainer.max_epochs=1",
        "++trainer.limit_val_batches=1",
        "++trainer.num_sanity_val_steps=0",
        "++trainer.enable_progress_bar=false",
        "logger=none",
        "test=false",
        f"synth_if_missing.out={manifest.parent}",
        f"data.size={sz['size']}",
        f"data.window.num_frames={sz['frames']}",
        f"data.batch_size={sz['batch']}",
        f"data.num_workers={0 if dry else 4}",
        f"data.epoch_size={2 * sz['batch'] * sz['ddp_steps']}",
        f"paths.log_dir={run_dir / 'logs'}",
        f"hydra.run.dir={run_dir}",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - t0
    (work / "ddp.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise RuntimeError(f"judge-train DDP exited {proc.returncode}:\n{tail}")
    return {"processes": 2, "strategy": "ddp_sim (CPU)" if dry else "ddp (GPU)",
            "steps": sz["ddp_steps"], "seconds": round(seconds, 1)}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Driver


def run_step(results: dict, name: str, fn, json_path: Path) -> dict:
    """Run `fn()`, recording `status` ok / skipped / failed (with the error) and seconds, and
    rewrite `json_path`: a check stopped by its time limit still leaves the steps it finished."""
    t0 = time.perf_counter()
    print(f"[gpu_check] {name} ...", flush=True)
    try:
        out = fn()
        entry = {"status": "ok", **out} if "status" not in out else dict(out)
    except Exception as e:  # one step's failure must not hide the others' figures
        entry = {"status": "failed", "error": f"{type(e).__name__}: {e}",
                 "traceback": traceback.format_exc(limit=6)}  # fmt: skip
    entry["step_s"] = round(time.perf_counter() - t0, 1)
    results["steps"][name] = entry
    print(f"[gpu_check] {name}: {entry['status']} in {entry['step_s']} s", flush=True)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    return entry


def targets(results: dict) -> list[dict]:
    """The issue's targets with the measured values (None where not measured)."""
    score = results["steps"].get("score", {})
    rows = score.get("rows", []) if score.get("status") == "ok" else []
    best = {}
    for r in rows:
        key = r["videos"].split(":")[0]
        if r["score_windows_per_s"] > best.get(key, {}).get("score_windows_per_s", -1):
            best[key] = r
    train = results["steps"].get("train", {})
    out = []
    for title, value, bound in (
        ("scoring windows/s, small clips", best.get("small", {}).get("score_windows_per_s"),
         TARGET_WINDOWS_PER_S),
        ("scoring / decode-only, generator-sized", best.get("generated", {}).get(
            "score_over_decode"), TARGET_OVER_DECODE),
        ("training with loading / model alone", train.get("loading_over_model"), 0.9),
    ):  # fmt: skip
        judged = not results["dry_run"] and results["machine"].get("gpus", 0) > 0
        met = value >= bound if judged and value is not None else None  # GPU targets only
        out.append({"target": title, "bound": bound, "value": value, "met": met})
    return out


def table(results: dict) -> str:
    steps = results["steps"]
    lines = [f"GPU check ({'DRY RUN, toy sizes, ' if results['dry_run'] else ''}"
             f"{results['machine']['device']})", ""]  # fmt: skip
    r = steps.get("render", {})
    lines.append(f"render   {r.get('status')}: {r.get('clips_per_s', '-')} clips/s "
                 f"({r.get('clips', '-')} clips, {r.get('workers', '-')} processes, "
                 f"MUJOCO_GL={r.get('mujoco_gl', '-')})")  # fmt: skip
    t = steps.get("train", {})
    lines.append(
        f"train    {t.get('status')}: {t.get('model_clips_per_s', '-')} clips/s model "
        f"alone, {t.get('with_loading_clips_per_s', '-')} with loading "
        f"(ratio {t.get('loading_over_model', '-')}), peak "
        f"{t.get('peak_memory_gib', '-')} GiB, GPU {t.get('gpu_utilisation_pct', '-')}%"
    )
    s = steps.get("score", {})
    lines.append(f"score    {s.get('status')}: window {s.get('window', '-')}, "
                 f"{s.get('device', '-')}")  # fmt: skip
    head = ("videos", "prec", "decode v/s", "score v/s", "windows/s", "score/decode")
    lines.append("  " + f"{head[0]:34} {head[1]:5} " + " ".join(f"{h:>12}" for h in head[2:]))
    for row in s.get("rows", []):
        cells = (row["decode_videos_per_s"], row["score_videos_per_s"],
                 row["score_windows_per_s"], row["score_over_decode"])  # fmt: skip
        lines.append("  " + f"{row['videos']:34} {row['precision']:5} "
                     + " ".join(f"{c:>12}" for c in cells))  # fmt: skip
    d = steps.get("ddp", {})
    lines.append(f"ddp      {d.get('status')}: {d.get('reason') or d.get('strategy', '-')}"
                 f"{', ' + str(d['seconds']) + ' s' if 'seconds' in d else ''}")  # fmt: skip
    lines.append("")
    for tg in results["targets"]:
        met = {None: "-", True: "met", False: "MISSED"}[tg["met"]]
        lines.append(f"target {tg['target']} >= {tg['bound']}: {tg['value']} {met}")
    for name, step in steps.items():
        if step.get("status") == "failed":
            lines.append(f"FAILED {name}: {step['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="toy sizes on the CPU (< 2 minutes)")
    ap.add_argument("--out", type=Path, default=Path("bench/gpu_check.json"))
    ap.add_argument("--work", type=Path, default=Path("bench/data/gpu_check"))
    ap.add_argument("--steps", nargs="+", default=["render", "train", "score", "ddp"],
                    choices=["render", "train", "score", "ddp"])  # fmt: skip
    args = ap.parse_args(argv)
    dry = args.dry_run
    sz = SIZES["dry" if dry else "full"]
    args.work.mkdir(parents=True, exist_ok=True)
    dev = device()
    torch.backends.cudnn.benchmark = True  # as configs/trainer/gpu.yaml: fixed window sizes
    results = {
        "check": "gpu",
        "dry_run": dry,
        "preset": PRESET,
        "machine": {
            "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
            "gpus": torch.cuda.device_count(),
            "cpus": len(os.sched_getaffinity(0)),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "python": platform.python_version(),
        },
        "sizes": {k: v for k, v in sz.items() if k != "videos"},
        "steps": {},
    }
    t0 = time.perf_counter()
    manifest = None
    out = args.out
    if "render" in args.steps:
        r = run_step(results, "render", lambda: step_render(sz, args.work, dry), out)
        if r["status"] == "ok":
            manifest = Path(r["manifest"])
    if "train" in args.steps:
        run_step(results, "train", lambda: step_train(sz, manifest, dry), out)
    if "score" in args.steps:
        run_step(results, "score", lambda: step_score(sz, args.work, dry), out)
    if "ddp" in args.steps:
        left = max(60.0, BUDGET_S - (time.perf_counter() - t0))
        run_step(results, "ddp", lambda: step_ddp(sz, args.work, manifest, dry, left), out)
    results["total_s"] = round(time.perf_counter() - t0, 1)
    results["targets"] = targets(results)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"wrote {args.out} in {results['total_s']} s")
    return 1 if any(s["status"] == "failed" for s in results["steps"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
