"""One validation layer for every command and paper, run by the CLI before any work starts.

* ``USES``: for each (command, paper) the shared options (``cli.add_model_options``) it reads, each with its type and
  range, read off the paper's ``configure(args)`` (audits) or its report's ``main`` (reports).  An option the paper
  does not use is rejected (exit 2, one line naming the option and the paper), never silently ignored.  Every
  numeric option must be a finite number in its range (nan and inf are rejected everywhere).  The shared options
  reach the parser as strings; ``validate`` converts them and writes the converted values back onto ``args``.
* Devices and optional dependencies: ``--device cuda`` without CUDA, ``--scheduler`` without dask.distributed and
  ``experiment --scale gpu`` without CUDA are usage errors (exit 2), never verdicts.
* Output paths (``check_output_dir``, ``check_output_file``): an existing file where a folder is wanted, a folder
  where a file is wanted, a missing parent folder, a place that cannot be written: one line, exit 2, nothing written.
* Resource estimates: report / bounds / experiment sizes are checked against an estimate of memory and evaluation
  count (and time) before anything is allocated; over the limits the message gives the estimate and names the flag
  that overrides (``--allow-large``).

Errors are ``symbolic.errors.ConfigError``; ``cli_error`` maps an error raised with a paper's parameter name
(``N (depth)``) to the CLI flag (``--depth``).
"""
from __future__ import annotations

import importlib.util
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from symbolic.errors import ConfigError

# ------------------------------------------------------------------------------------------------ the shared options

FLAGS = {"depth": "--depth", "width": "--width", "dim": "--dim", "dim_in": "--dim-in", "dim_out": "--dim-out",
         "context": "--context", "steps": "--steps", "eta": "--eta", "Bv": "--Bv", "Bx": "--Bx", "By": "--By",
         "activation": "--activation", "loss": "--loss", "knots": "--knots", "eps": "--eps", "radius": "--radius",
         "precision": "--precision", "device": "--device", "seed": "--seed"}
SHARED = tuple(FLAGS)

# a symbolic/ error names the paper's parameter ("N (depth)"): its first word maps to the CLI flag
PAPER_PARAMS = {"N": "--depth", "K": "--width", "d": "--dim", "d_x": "--dim-in", "d_y": "--dim-out",
                "n": "--context", "L": "--steps", "eta": "--eta", "B_v": "--Bv", "B_x": "--Bx", "B_y": "--By",
                "r": "--activation", "activation": "--activation", "loss": "--loss", "M": "--knots",
                "eps": "--eps", "R": "--radius", "radius": "--radius", "precision": "--precision",
                "digits": "--precision", "device": "--device", "seed": "--seed"}

SMOOTH_ACTIVATIONS = ("sigmoid", "tanh", "softplus", "gelu")
ACTIVATIONS = SMOOTH_ACTIVATIONS + ("relu",)
LOSSES = ("square", "logcosh", "pseudo_huber")
SEED_MAX = 2**31 - 1   # every command: numpy and torch seeding (also seed + offsets) stay in range


@dataclass(frozen=True)
class Opt:
    """One option as a paper reads it: kind ('int', 'real', 'choice', 'radius', 'device'), range, meaning."""

    kind: str
    meaning: str
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    choices: tuple = ()
    why: str = ""          # appended to a choice error (why a value the parser lists is refused here)


def _i(meaning, low, high) -> Opt:
    return Opt("int", meaning, low, high)


def _pos(meaning, high=None) -> Opt:
    return Opt("real", meaning, 0, high, strict_low=True)


SEED = _i("the random seed", 0, SEED_MAX)
DEVICE = Opt("device", "the torch device")

WU = {
    "depth": _i("N (network depth)", 2, 64),
    "width": _i("K (hidden width)", 1, 4096),
    "dim": _i("d = d_x = d_y (dimension)", 1, 4096),
    "dim_in": _i("d_x (input dimension)", 1, 4096),
    "dim_out": _i("d_y (output dimension)", 1, 4096),
    "context": _i("n (in-context examples)", 1, 10**6),
    "steps": _i("L (GD steps)", 1, 10**4),
    "eta": _pos("eta (GD step size)"),
    "Bv": _pos("B_v (bound on ||v_jk||_2)"),
    "Bx": _pos("B_x (bound on ||x_i||_2)"),
    "By": _pos("B_y (bound on ||y_i||_2)"),
    "activation": Opt("choice", "r (activation)", choices=ACTIVATIONS),
    "loss": Opt("choice", "the loss", choices=LOSSES),
    "knots": _i("M (knots of the sum-of-ReLU approximants)", 2, 10**7),
    "eps": Opt("real", "eps (target accuracy)", 0, 1, strict_low=True),
    "radius": Opt("radius", "R (approximation radius)"),
    "precision": _i("the precision in decimal digits", 15, 100000),
    "device": DEVICE,
    "seed": SEED,
}


def _pick(table: dict, *names, **changed) -> dict:
    out = {k: table[k] for k in names}
    out.update(changed)
    return out


_WU_MODEL = ("depth", "width", "dim", "dim_in", "dim_out", "context", "eta", "Bv", "Bx", "By", "activation", "loss",
             "knots")
AUDIT_PRECISION = _i("the confirmation precision in decimal digits", 50, 100000)

USES: dict[tuple[str, str], dict[str, Opt]] = {
    # bounds_cmd.main: WuConfig.from_args (every model option, --steps, --eps, --radius, --precision); no torch, no
    # randomness: --device and --seed have no effect and are refused
    ("bounds", "wu2025"): _pick(WU, *_WU_MODEL, "steps", "eps", "radius", "precision"),
    # reports.wu2025.main: the construction (every model option, --eps sizes the knots), the float64 run (--device),
    # the prompt (--seed), the high-precision run (--precision)
    ("report", "wu2025"): _pick(WU, *_WU_MODEL, "steps", "eps", "radius", "precision", "device", "seed", activation=Opt(
        "choice", "r (activation)", choices=SMOOTH_ACTIVATIONS,
        why="the report's certificates need a twice-differentiable activation: they bound the sup errors of r and "
            "r' with r'', and relu's r' is a step; relu is covered by `icl-verify audit wu2025 --activation relu` "
            "and `icl-verify bounds wu2025`")),
    # audits.wu2025.configure (WuConfig.from_args(args, L=1): --steps is overridden, --radius and --device unread),
    # audit_cmd: --precision, --seed
    ("audit", "wu2025"): _pick(WU, *_WU_MODEL, "eps", "seed", precision=AUDIT_PRECISION),
    # audits.vonoswald2023.configure: --context N, --dim N_x, --steps (training steps)
    ("audit", "vonoswald2023"): {"context": _i("N (context examples)", 1, 200), "dim": _i("N_x (input dimension)", 1, 50),
                                 "steps": _i("the training steps", 1, 10**6), "precision": AUDIT_PRECISION,
                                 "seed": SEED},
    ("audit", "ahn2023"): {"steps": _i("the training steps", 1, 10**6), "precision": AUDIT_PRECISION, "seed": SEED},
    ("audit", "gatmiry2024"): {"steps": _i("the training steps", 1, 10**6), "precision": AUDIT_PRECISION,
                               "seed": SEED},
    ("audit", "hu2025lora"): {"precision": AUDIT_PRECISION, "seed": SEED},
    ("audit", "planted"): {"precision": AUDIT_PRECISION, "seed": SEED},
    # reports/common.base_config reads --seed only (the sizes are the paper's)
    ("report", "vonoswald2023"): {"seed": SEED},
    ("report", "ahn2023"): {"seed": SEED},
    ("report", "gatmiry2024"): {"seed": SEED},
    # reports.hu2025lora.configure: --seed, --dim (one d instead of 2 and 4), --device
    ("report", "hu2025lora"): {"seed": SEED, "dim": _i("d (head dimension)", 1, 16), "device": DEVICE},
    # numeric.wu2025.icl_experiment.config.scale_from_args and experiments.wu2025_icl.main
    ("experiment", "wu2025-icl"): {"dim": _i("d (input dimension)", 1, 4096),
                                   "depth": _i("N (target network depth)", 2, 64),
                                   "width": _i("the transformer width (a multiple of the heads)", 8, 1 << 14),
                                   "context": _i("the training examples per prompt", 2, 10**4),
                                   "steps": _i("the training steps", 1, 10**8), "device": DEVICE,
                                   "seed": SEED},
}


# ------------------------------------------------------------------------------------------------ conversions


def _show(raw) -> str:
    s = repr(raw) if isinstance(raw, str) else str(raw)
    return s if len(s) <= 40 else s[:37] + "..."


def _range(o: Opt) -> str:
    lo = "(-inf" if o.low is None else (f"({_num(o.low)}" if o.strict_low else f"[{_num(o.low)}")
    hi = "inf)" if o.high is None else f"{_num(o.high)}]"
    return f"{lo}, {hi}"


def _num(v) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        v = int(v)
    if isinstance(v, int) and abs(v) >= 10**5:
        e = math.log10(abs(v))
        if e.is_integer():
            return f"10^{int(e)}"
        if v in (2**31 - 1, 2**32 - 1, 2**63 - 1):
            return f"2^{v.bit_length()}-1"
    return str(v)


_INT = re.compile(r"[+-]?[0-9]+")


def to_int(raw, flag: str, o: Opt) -> int:
    s = raw.strip() if isinstance(raw, str) else raw
    if isinstance(s, bool) or not (isinstance(s, int) or (isinstance(s, str) and _INT.fullmatch(s) and len(s) < 400)):
        raise ConfigError(flag, f"{o.meaning} must be an integer in {_range(o)}, got {_show(raw)}")
    v = int(s)
    if (o.low is not None and v < o.low) or (o.high is not None and v > o.high):
        raise ConfigError(flag, f"{o.meaning} must be an integer in {_range(o)}, got {_show(v)}")
    return v


def to_real(raw, flag: str, o: Opt) -> float:
    try:
        v = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(flag, f"{o.meaning} must be a finite number in {_range(o)}, got {_show(raw)}") from None
    if not math.isfinite(v):
        raise ConfigError(flag, f"{o.meaning} must be a finite number in {_range(o)}, got {_show(raw)}")
    if (o.low is not None and (v < o.low or (o.strict_low and v <= o.low))) or (o.high is not None and v > o.high):
        raise ConfigError(flag, f"{o.meaning} must be a finite number in {_range(o)}, got {_show(raw)}")
    return v


def _convert(dest: str, raw, o: Opt, where: str):
    flag = FLAGS[dest]
    if o.kind == "int":
        return to_int(raw, flag, o)
    if o.kind == "real":
        return to_real(raw, flag, o)
    if o.kind == "choice":
        if raw not in o.choices:
            why = f" ({o.why})" if o.why and raw in ACTIVATIONS else ""
            raise ConfigError(flag, f"{o.meaning} must be one of {', '.join(o.choices)} for {where}; got "
                                    f"{_show(raw)}{why}")
        return raw
    if o.kind == "radius":
        if raw in ("safe", "paper"):
            return raw
        num = Opt("real", o.meaning, 0, None, strict_low=True)
        try:
            return str(to_real(raw, flag, num))
        except ConfigError:
            raise ConfigError(flag, f"{o.meaning} must be 'safe', 'paper' or a finite number in (0, inf), got "
                                    f"{_show(raw)}") from None
    if o.kind == "device":
        return check_device(raw, flag)
    raise AssertionError(o.kind)  # pragma: no cover


# ------------------------------------------------------------------------------------------------ devices, deps


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _devices_found(n: int) -> str:
    return "cpu" if n == 0 else "cpu, " + ", ".join(f"cuda:{i}" for i in range(n))


def check_device(raw, flag: str = "--device") -> str:
    """'auto', 'cpu', 'cuda' or 'cuda:k'; a CUDA device must exist (the message names the devices found)."""
    if not isinstance(raw, str) or not re.fullmatch(r"auto|cpu|cuda(:[0-9]{1,3})?", raw):
        raise ConfigError(flag, f"the device must be auto, cpu, cuda or cuda:k; got {_show(raw)}")
    if raw.startswith("cuda"):
        n = _cuda_count()
        k = int(raw.split(":")[1]) if ":" in raw else 0
        if n == 0:
            raise ConfigError(flag, f"{raw} was requested but torch finds no CUDA device (devices found: cpu); use "
                                    "--device cpu or auto")
        if k >= n:
            raise ConfigError(flag, f"{raw} was requested but torch finds {n} CUDA device(s) (devices found: "
                                    f"{_devices_found(n)})")
    return raw


def have_module(name: str) -> bool:
    """Whether ``name`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


_ADDRESS = re.compile(r"(?:(?P<proto>tcp|tls|ws|wss|ucx)://)?(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})")


def check_scheduler(address) -> None:
    """``--scheduler``: dask.distributed must be installed (usage error with the install command otherwise), the
    address must read ``[tcp://]host:port``, and a tcp scheduler must accept a connection (probed, 3 s)."""
    if address is None:
        return
    if not have_module("dask") or not have_module("distributed"):
        raise ConfigError("--scheduler", "needs dask.distributed, which is not installed: "
                                         "pip install 'icl-verify[dask]'")
    m = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if m is None or not 0 < int(m.group("port")) < 65536:
        raise ConfigError("--scheduler", f"must be a Dask scheduler address [tcp://]host:port (port in [1, 65535]), "
                                         f"such as tcp://127.0.0.1:8786; got {_show(address)}")
    if m.group("proto") in (None, "tcp"):
        import socket

        host = m.group("host").strip("[]")
        try:
            with socket.create_connection((host, int(m.group("port"))), timeout=3):
                pass
        except OSError as exc:
            raise ConfigError("--scheduler", f"no Dask scheduler answers at {address} ({exc.strerror or exc}); "
                                             "start one with `dask scheduler` or omit --scheduler") from None


# ------------------------------------------------------------------------------------------------ output paths


def _probe(folder: Path, flag: str, shown) -> None:
    """Create (and at once remove) an unnamed temporary file in ``folder``: the one reliable writability test."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(flag, f"cannot create files in {shown} ({exc.strerror or exc})") from None


def _nearest_existing(p: Path) -> Path:
    q = p
    while not q.exists() and q != q.parent:
        q = q.parent
    return q


def _path(path, flag: str) -> Path:
    s = os.fspath(path)
    if s == "":
        raise ConfigError(flag, "the path is empty")
    if "\x00" in s:
        raise ConfigError(flag, "the path contains a NUL character")
    return Path(s)


def check_output_dir(path, flag: str = "--out", create_parents: bool = False) -> Path:
    """``path`` can be used as an output folder: not an existing file, writable, its parent exists (unless
    ``create_parents``: the command's default folder, whose parents are created).  Nothing is created here."""
    p = _path(path, flag)
    try:
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                raise ConfigError(flag, f"{p} exists and is not a folder (give a folder for the outputs)")
            _probe(p, flag, p)
            return p
        parent = p.parent
        if not parent.exists():
            if not create_parents:
                raise ConfigError(flag, f"the parent folder of {p} does not exist ({parent})")
            parent = _nearest_existing(parent)
        if not parent.is_dir():
            raise ConfigError(flag, f"{parent} is not a folder, so {p} cannot be created")
        _probe(parent, flag, parent)
    except OSError as exc:
        raise ConfigError(flag, f"cannot use {p} ({exc.strerror or exc})") from None
    return p


def check_output_file(path, flag: str = "--json") -> Path:
    """``path`` can be written as a file: not a folder or a special file, writable (an existing regular file is
    replaced), its parent folder exists and is writable.  Nothing is created here."""
    p = _path(path, flag)
    try:
        if p.is_dir():
            raise ConfigError(flag, f"{p} is a folder; give a file name")
        if p.exists() and not p.is_file():
            raise ConfigError(flag, f"{p} exists and is not a regular file")
        if p.is_symlink() and not p.exists():
            raise ConfigError(flag, f"{p} is a dangling symbolic link")
        parent = p.parent
        if not parent.exists():
            raise ConfigError(flag, f"the folder {parent} does not exist")
        if not parent.is_dir():
            raise ConfigError(flag, f"{parent} is not a folder")
        if p.exists() and not os.access(p, os.W_OK):
            raise ConfigError(flag, f"{p} exists and is not writable")
        _probe(parent, flag, parent)
    except OSError as exc:
        raise ConfigError(flag, f"cannot use {p} ({exc.strerror or exc})") from None
    return p


def default_out(args) -> Path | None:
    """The folder a command writes to when ``--out`` is not given (None: it writes no folder)."""
    cmd = args.command
    if cmd == "report":
        return Path("runs") / f"report-{args.paper}"
    if cmd == "audit":
        return Path("runs") / f"audit-{args.paper}"
    if cmd == "experiment":
        return Path("runs") / f"experiment-{args.name}-{getattr(args, 'scale', 'cpu') or 'cpu'}"
    return None


def check_outputs(args) -> None:
    out = getattr(args, "out", None)
    if out is not None:
        check_output_dir(out, "--out")
    elif default_out(args) is not None:
        check_output_dir(default_out(args), "--out", create_parents=True)
    js = getattr(args, "json", None)
    if js is not None:
        check_output_file(js, "--json")
        folder = out if out is not None else default_out(args)
        if folder is not None and _same(Path(js), Path(folder)):
            raise ConfigError("--json", f"{js} is the output folder itself")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


# ------------------------------------------------------------------------------------------------ resource estimates


GIB = 2**30


def memory_limit() -> int:
    """Usable memory: 80% of the physical memory or of the cgroup limit, whichever is smaller."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        raw = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if raw.isdigit():
            total = min(total, int(raw))
    except OSError:
        pass
    return int(0.8 * total)


TIME_LIMIT_S = 2 * 3600.0   # an estimate above this needs --allow-large


@dataclass
class Estimate:
    what: str
    memory: float                  # bytes
    evaluations: float             # the dominant operation count
    unit: str                      # what one evaluation is
    seconds: float
    params: list = field(default_factory=list)   # the flags that drive the size

    def text(self) -> str:
        return (f"{self.what} needs about {_bytes(self.memory)} of memory and {self.evaluations:.2g} {self.unit} "
                f"(about {_duration(self.seconds)} on 2 CPU cores)")


def _bytes(b: float) -> str:
    for unit, f in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if b >= f:
            return f"{b / f:.3g} {unit}"
    return f"{b / 1e3:.3g} kB"


def _g(x: float) -> str:
    """Two significant digits, without an exponent below 10^6."""
    if x >= 1e6:
        return f"{x:.2g}"
    return f"{float(f'{x:.2g}'):g}" if x < 100 else str(int(float(f"{x:.2g}")))


def _duration(s: float) -> str:
    if s >= 86400 * 365:
        return f"{_g(s / (86400 * 365))} years"
    if s >= 86400:
        return f"{_g(s / 86400)} days"
    if s >= 3600:
        return f"{_g(s / 3600)} h"
    if s >= 60:
        return f"{_g(s / 60)} min"
    return f"{max(s, 1):.0f} s"


def _p_factor(digits: int) -> float:
    """Cost of one mpmath multiply-add at ``digits`` relative to 50 digits (measured: 1.4x at 200, 4.6x at 1000,
    70x at 10^4)."""
    return (1 + 0.078 * (digits / 50) ** 1.28) / (1 + 0.078)


HP_S = 1.5e-5          # seconds per (head x token^2) of the 50-digit executor (measured, Section 11.1 instance)
F64_S = 2e-9           # seconds per (head x token^2 x term) of the batched float64 executor
BYTES_PER_HEAD = 6e3   # compiled + packed heads (measured 5 kB)


def wu_sizes(cfg) -> dict:
    """Sizes of the (2N+4)L-layer construction from the configuration alone (nothing is built)."""
    N, K, d_in, d_out, L = cfg.N, cfg.K, cfg.d_in, cfg.d_out, cfg.L
    num_params = d_in * K + (N - 2) * K * K + K * d_out
    dim_p = (N - 1) * K + d_out
    D = num_params + 3 * dim_p + d_in + 2 * d_out + 2
    M = cfg.knots if cfg.knots is not None else _knots_for_eps(cfg)
    H = M + 1
    heads_block = 2 * H * dim_p
    return {"D": D, "dim_p": dim_p, "M": M, "H": H, "heads_block": heads_block, "heads": L * heads_block + H * dim_p,
            "layers": (2 * N + 4) * L + N + 1, "tokens": cfg.n + 1}


def _knots_for_eps(cfg) -> int:
    """The knots --eps asks for (the construction's own rule), without building anything."""
    from symbolic.wu2025.approximants import construction_knots, radii

    try:
        R1, R2, _ = radii(cfg)
        M = construction_knots(cfg.activation, R1, R2, cfg.eps)
    except (OverflowError, ValueError, ZeroDivisionError):   # the prediction overflows: more knots than can be built
        return KNOTS_UNBUILDABLE
    return int(min(M, KNOTS_UNBUILDABLE))


KNOTS_UNBUILDABLE = 10**15


def estimate_report_wu2025(cfg, quick: bool, n_claims: int = 18) -> Estimate:
    s = wu_sizes(cfg)
    t2 = s["tokens"] ** 2
    P = _p_factor(cfg.precision)
    hp = s["heads"] * t2 + n_claims * s["heads_block"] * t2          # main run + one block per claim
    Ms = [10, 20, 40] if quick else [10, 20, 40, 80, 160]
    sweep = sum(cfg.L * 2 * (m + 1) * s["dim_p"] for m in Ms) * t2 * 4
    mpf = 72 + cfg.precision / 2.4
    mem = (s["layers"] * s["tokens"] * s["D"] * (8 + mpf)                 # recorded states, float64 and mpf
           + 8 * 3 * min(max(2**24, t2), s["heads"] * t2)                 # the float64 score chunk
           + BYTES_PER_HEAD * (s["heads"] + max(s["heads"], 2 * 161 * s["dim_p"] * cfg.L)) + 300e6)
    seconds = HP_S * P * hp + F64_S * (s["heads"] * t2 * 4 + sweep) + 0.05 * s["layers"] + 30
    return Estimate(f"report wu2025 (D = {s['D']}, {s['heads']} heads, {s['tokens']} tokens, M = {s['M']}, "
                    f"{cfg.precision} digits)", mem, hp, f"{cfg.precision}-digit head evaluations (head x token^2)",
                    seconds)


def estimate_bounds_wu2025(cfg) -> Estimate:
    s = wu_sizes(cfg) if cfg.knots is not None else {"M": 1024}
    M = s["M"]
    seconds = 1 + 0.008 * M * (1 + cfg.precision / 2000) * 3
    mem = 200e6 + 3 * M * (2000 + cfg.precision)
    return Estimate(f"bounds wu2025 (M = {M} knots, {cfg.precision} digits)", mem, 3 * M,
                    "certified approximant segments", seconds)


def estimate_experiment(scale) -> Estimate:
    """The ICL transformer's training (Adam, float32) and evaluation memory, and its training flops."""
    w, mlp, layers, heads = scale.width, scale.mlp, max((scale.layers,) + tuple(scale.depth_sweep)), scale.heads
    seq = 2 * scale.test_points + 2
    params = layers * (4 * w * w + 2 * w * mlp) + (scale.d + seq + 2) * w
    train_mem = 4 * params * 4 + 4 * 2 * scale.batch * seq * layers * (12 * w + 2 * mlp + heads * seq)
    # evaluation: chunks of 128 prompts (evaluate.transformer_predictions), every position of the grid at once
    eval_mem = 4 * 3 * min(128, scale.eval_prompts) * max(1, len(scale.eval_positions)) * seq * (4 * w + heads * seq)
    mem = train_mem + eval_mem + 500e6
    flops = 6 * params * scale.batch * seq * scale.steps * 2 * len(scale.target_depths)
    seconds = flops / 2e10
    return Estimate(f"experiment wu2025-icl at scale {scale.name} (width {w}, {layers} layers, {seq} tokens, "
                    f"{scale.steps} steps)", mem, flops, "training flops", seconds)


def check_estimate(est: Estimate, params: list[str], allow_large: bool, time_matters: bool = True) -> Estimate:
    if allow_large:
        return est
    limit = memory_limit()
    over = []
    if est.memory > limit:
        over.append(f"memory limit {_bytes(limit)}")
    if time_matters and est.seconds > TIME_LIMIT_S:
        over.append(f"time limit {_duration(TIME_LIMIT_S)}")
    if over:
        raise ConfigError("/".join(params) or "size", f"{est.text()}, over the {' and the '.join(over)}; "
                                                      "give --allow-large to run it anyway")
    return est


def _size_flags(args, names) -> list[str]:
    return [FLAGS[n] for n in names if getattr(args, n, None) is not None]


# ------------------------------------------------------------------------------------------------ the entry point


def paper_of(args) -> str | None:
    if args.command in ("bounds", "report", "audit"):
        return args.paper
    if args.command == "experiment":
        return args.name
    return None


def uses(command: str, paper: str) -> dict[str, Opt]:
    """The shared options ``command`` reads for ``paper`` (ConfigError for an unknown paper)."""
    from .registry import EXPERIMENTS, PAPERS, paper_entry

    if command == "bounds":
        if paper != "wu2025":
            raise ConfigError("PAPER", f"bounds are implemented for wu2025 only; got {_show(paper)}")
    elif command == "experiment":
        if paper not in EXPERIMENTS:
            raise ConfigError("NAME", f"must be one of {', '.join(EXPERIMENTS)}; got {_show(paper)}")
    elif command in ("report", "audit"):
        entry = paper_entry(paper)
        if command == "report" and entry.report is None:
            raise ConfigError("PAPER", f"{paper} has no report (reports: "
                                       f"{', '.join(p for p, e in PAPERS.items() if e.report)})")
    return USES.get((command, paper), {})


def validate(args) -> None:
    """Check (and convert in place) every option of ``args`` before the command runs; ConfigError on bad input."""
    cmd = args.command
    if cmd == "claims":
        if args.paper is not None:
            from .registry import paper_entry

            paper_entry(args.paper)
        return
    if cmd == "bench":
        if getattr(args, "device", None) is not None:
            args.device = check_device(args.device)
        check_outputs(args)
        return
    if cmd not in ("bounds", "report", "audit", "experiment"):
        return
    paper = paper_of(args)
    table = uses(cmd, paper)
    where = f"{cmd} {paper}"
    for dest in SHARED:
        raw = getattr(args, dest, None)
        if raw is None:
            continue
        if dest not in table:
            used = ", ".join(FLAGS[d] for d in SHARED if d in table) or "none of the shared options"
            raise ConfigError(FLAGS[dest], f"not used by `icl-verify {where}` (it reads {used})")
        setattr(args, dest, _convert(dest, raw, table[dest], where))
    if cmd == "audit":
        check_scheduler(getattr(args, "scheduler", None))
    if cmd == "experiment":
        _check_experiment(args)
    elif paper == "wu2025":
        _check_wu(args, cmd)
    check_outputs(args)


def _check_wu(args, cmd: str) -> None:
    from symbolic.wu2025.config import WuConfig

    g = lambda name: getattr(args, name, None)  # noqa: E731
    if g("dim") is not None and (g("dim_in") is not None or g("dim_out") is not None):
        raise ConfigError("--dim", "give either --dim or --dim-in/--dim-out, not both")
    if g("dim_out") is not None and g("dim_in") is None:
        raise ConfigError("--dim-out", "needs --dim-in as well (d_x)")
    if cmd == "bounds" and g("knots") is not None and g("eps") is not None:
        raise ConfigError("--eps", "give either --knots or --eps, not both")
    if cmd == "report" and g("knots") is not None and g("eps") is not None:
        raise ConfigError("--eps", "give either --knots or --eps, not both")
    try:
        cfg = WuConfig.from_args(args, **({"L": 1} if cmd == "audit" else {}))
    except ConfigError as exc:
        raise cli_error(exc) from None
    _check_radii(cfg, args, cmd)
    sizes = ("depth", "width", "dim", "dim_in", "dim_out", "context", "steps", "knots", "eps", "precision")
    allow = bool(getattr(args, "allow_large", False))
    if cmd == "report":
        args.resource_estimate = check_estimate(estimate_report_wu2025(cfg, bool(getattr(args, "quick", False))),
                                                _size_flags(args, sizes), allow)
    elif cmd == "bounds":
        args.resource_estimate = check_estimate(estimate_bounds_wu2025(cfg), _size_flags(args, ("knots", "precision")),
                                                allow)


def radius_caps() -> tuple[dict, float]:
    """The largest approximation radius per activation: the audit's caps (Arb certification of gelu's erf beyond ~60
    takes minutes; the interpolants' exact node values grow like e^R), shared so that every command agrees."""
    try:
        from .audits.wu2025.common import RADIUS_CAP, RADIUS_CAP_DEFAULT

        return dict(RADIUS_CAP), float(RADIUS_CAP_DEFAULT)
    except ImportError:  # pragma: no cover - the audit module is being rewritten
        return {"gelu": 60.0}, 1000.0


def _check_radii(cfg, args, cmd: str) -> None:
    """The approximation intervals [-R, R] (r, r', and phi' of a non-square loss) must stay within the radius cap;
    they follow from B_v, B_x, B_y, K, d and the radius mode, so the message names the options given."""
    from symbolic.wu2025 import constants as C

    caps, default = radius_caps()
    cap = caps.get(cfg.activation, default)
    drivers = _size_flags(args, ("Bv", "Bx", "By", "radius", "width", "dim", "dim_in", "dim_out", "depth")) or ["size"]
    checks = [("r", lambda: C.approximation_radius(cfg, "r")), ("r'", lambda: C.approximation_radius(cfg, "rp"))]
    if cfg.loss != "square":
        checks.append(("phi' (residuals)", lambda: C.residual_radius(cfg)))
    for name, radius in checks:
        try:
            R, shown = float(radius()), None
        except (OverflowError, ValueError, ZeroDivisionError) as exc:
            R, shown = math.inf, f"beyond what can be computed ({' '.join(str(exc).split())[:80]})"
        if not R <= cap:
            shown = shown or f"R = {R:.3g}"
            raise ConfigError("/".join(drivers), f"the approximation radius of {name} is {shown} (from B_v, B_x, "
                                                 f"B_y, K, d and the radius mode {cfg.radius!r}); `{cmd} wu2025` "
                                                 f"supports R <= {_num(cap)} with {cfg.activation} (the exact node "
                                                 "values and their certification grow with R): use smaller bounds")


def _check_experiment(args) -> None:
    from numeric.wu2025.icl_experiment.config import scale_from_args

    scale = getattr(args, "scale", "cpu") or "cpu"
    if scale == "gpu":
        n = _cuda_count()
        if n == 0:
            raise ConfigError("--scale", "gpu runs the paper's scale on CUDA, but torch finds no CUDA device "
                                         "(devices found: cpu); use --scale cpu")
        if getattr(args, "device", None) == "cpu":
            raise ConfigError("--device", "cpu contradicts --scale gpu (the paper's scale runs on CUDA)")
    for var, low in (("ICL_VERIFY_TRAIN_BUDGET_S", 1), ("ICL_VERIFY_TIME_BUDGET_S", 0)):
        raw = os.environ.get(var)
        if raw is not None and raw != "":
            to_real(raw, var, Opt("real", "a time budget in seconds", low, None, strict_low=low == 0))
    try:
        s = scale_from_args(args)
    except ConfigError as exc:
        raise cli_error(exc) from None
    args.resource_estimate = check_estimate(estimate_experiment(s), _size_flags(args, ("dim", "width", "context",
                                                                                        "steps", "depth")),
                                            bool(getattr(args, "allow_large", False)), time_matters=False)


def cli_error(exc: ConfigError) -> ConfigError:
    """Map an error that names a paper's parameter (``N (depth)``) to the CLI flag, keeping the paper's name."""
    p = exc.param
    if p.startswith("-") or p.isupper():
        return exc
    flag = PAPER_PARAMS.get(p.split(" ")[0])
    if flag is None:
        return exc
    return ConfigError(flag, f"{p} {exc.message}")
