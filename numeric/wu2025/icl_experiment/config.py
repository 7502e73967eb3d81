"""The two scales of the experiment (App F; spec 8.3-8.4).  Every number here is a choice; the paper's own values
are noted, and unspecified ones (F18) are ours."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from symbolic.errors import ConfigError, require_int

MIXTURES = ((1.0, 0.0), (0.9, 0.1), (0.7, 0.3), (0.5, 0.5))   # (omega_1, omega_2): omega_1 N(-2, I) + omega_2 N(2, I)
PARAM_MEANS = (0.0, -0.5, 0.5)                                 # Objective 3: target parameters ~ N(mean, I)


@dataclass(frozen=True)
class Scale:
    """Sizes of one run.  Paper (App F): d = 20, 12 blocks, 8 heads, width 256, MLP 256, batch 64, 500k steps,
    50 training examples (n = 51 points), 75 test examples, 6400 test prompts, FFN baselines of width 200."""

    name: str
    d: int
    target_depths: tuple[int, ...]
    target_width: int          # hidden width of the target N-layer network (unspecified in the paper, F18)
    layers: int
    heads: int
    width: int
    mlp: int
    steps: int
    batch: int
    lr: float
    train_points: int          # in-context examples per training prompt
    test_points: int           # in-context examples per test prompt (> train_points: length generalisation)
    eval_prompts: int
    eval_queries: int          # held-out queries per prompt and position (per-prompt R^2)
    eval_positions: tuple[int, ...]
    ffn_width: int
    ffn_epochs: int
    ffn_lr: float
    ffn_prompts: int
    ffn_positions: tuple[int, ...]
    ffn_mixtures: tuple[int, ...]          # indices into MIXTURES that get the FFN baseline
    depth_sweep: tuple[int, ...]           # Objective 4: transformer depths (the main depth is reused)
    depth_target: int
    depth_positions: tuple[int, ...]       # the paper's 15, 30, 45 of 50, scaled
    depth_steps: int
    encoding: str = "paired"               # 'paired' ([x_i; y_i; 1] + query tokens) or 'interleaved' (Garg et al.)
    bootstrap: int = 1000
    checkpoint_every: int = 200
    warmup: int = 100
    device: str = "auto"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


CPU = Scale(
    name="cpu", d=5, target_depths=(3, 4, 6), target_width=16, layers=3, heads=4, width=64, mlp=128,
    steps=1500, batch=32, lr=1e-3, train_points=20, test_points=30, eval_prompts=256, eval_queries=8,
    eval_positions=(0, 1, 2, 3, 5, 10, 15, 20, 25, 30), ffn_width=64, ffn_epochs=100, ffn_lr=1e-2, ffn_prompts=64,
    ffn_positions=(5, 10, 20), ffn_mixtures=(0, 3), depth_sweep=(1, 2, 3), depth_target=4,
    depth_positions=(6, 12, 18), depth_steps=800, encoding="paired", bootstrap=500, checkpoint_every=400)

GPU = Scale(
    name="gpu", d=20, target_depths=(3, 4, 6), target_width=100, layers=12, heads=8, width=256, mlp=256,
    steps=20000, batch=64, lr=1e-4, train_points=50, test_points=75, eval_prompts=6400, eval_queries=8,
    eval_positions=(0, 1, 2, 3, 5, 10, 15, 20, 30, 40, 50, 60, 75), ffn_width=200, ffn_epochs=100, ffn_lr=1e-2,
    ffn_prompts=1024, ffn_positions=(2, 5, 10, 20, 30, 50, 75), ffn_mixtures=(0, 1, 2, 3), depth_sweep=(4, 6, 8, 10),
    depth_target=4, depth_positions=(15, 30, 45), depth_steps=5000, encoding="paired", checkpoint_every=1000,
    warmup=1000)

SCALES = {"cpu": CPU, "gpu": GPU}


def scale_from_args(args) -> Scale:
    """The named scale with the shared CLI options mapped onto it: --dim (d), --depth (one target depth N),
    --width (transformer width), --context (training examples), --steps (training steps), --device."""
    name = getattr(args, "scale", "cpu") or "cpu"
    if name not in SCALES:
        raise ConfigError("--scale", f"must be cpu or gpu; got {name!r}")
    s = SCALES[name]
    kw = {}
    g = lambda k: getattr(args, k, None)  # noqa: E731
    if g("dim") is not None:
        kw["d"] = require_int("--dim", g("dim"), 1, 4096)
    if g("depth") is not None:
        N = require_int("--depth", g("depth"), 2, 64)
        kw["target_depths"] = (N,)
        kw["depth_target"] = N
    if g("width") is not None:
        w = require_int("--width", g("width"), 8, 1 << 14)
        if w % s.heads:
            raise ConfigError("--width", f"must be a multiple of the {s.heads} heads; got {w}")
        kw["width"] = w
    if g("context") is not None:
        kw["train_points"] = require_int("--context", g("context"), 2, 10**4)
        kw["test_points"] = max(kw["train_points"] + 1, round(1.5 * kw["train_points"]))
    if g("steps") is not None:
        kw["steps"] = require_int("--steps", g("steps"), 1, 10**8)
        kw["depth_steps"] = min(s.depth_steps, kw["steps"])
    if g("device") is not None:
        kw["device"] = g("device")
    s = replace(s, **kw)
    return clip_positions(s)


def clip_positions(s: Scale) -> Scale:
    """Keep the evaluation grids inside the prompts."""
    ok = lambda ks, hi: tuple(sorted({k for k in ks if k <= hi}))  # noqa: E731
    return replace(s, eval_positions=ok(s.eval_positions + (s.train_points, s.test_points), s.test_points),
                   ffn_positions=ok(s.ffn_positions, s.test_points),
                   depth_positions=ok(s.depth_positions, s.train_points))
