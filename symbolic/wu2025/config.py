"""One configuration of Wu et al.'s setting (Problem 2, Theorem 1 / Theorem 4), validated.

Defaults are the spec's Section 11.1 instance: d = 2, K = 3, N = 3, n = 4, L = 2, sigmoid, square loss,
B_v = 1.5, B_x = B_y = 1.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..activations import get_activation
from ..errors import ConfigError, require_int, require_real
from ..losses import get_loss
from ..network import NetworkShape

RADIUS_MODES = ("safe", "paper")
_PAPER_NAME = {"eta": "eta (step size)", "Bv": "B_v", "Bx": "B_x", "By": "B_y", "eps": "eps (target accuracy)"}


@dataclass(frozen=True)
class WuConfig:
    d_in: int = 2
    d_out: int = 2
    K: int = 3
    N: int = 3
    n: int = 4
    L: int = 2
    eta: float = 0.5
    Bv: float = 1.5
    Bx: float = 1.0
    By: float = 1.0
    activation: str = "sigmoid"
    loss: str = "square"
    knots: int | None = 80
    eps: float | None = None
    radius: str = "safe"      # 'safe' (ours: contains every pre-activation), 'paper' (R1, R2, R3), or a number
    precision: int = 50
    device: str = "auto"
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        # errors name the paper's parameters; the CLI (proofs_check.validation.cli_error) maps them to its flags
        require_int("N (depth)", self.N, 2, 64)
        require_int("K (width)", self.K, 1, 4096)
        same = self.d_in == self.d_out
        require_int("d (dimension)" if same else "d_x (input dimension)", self.d_in, 1, 4096)
        require_int("d (dimension)" if same else "d_y (output dimension)", self.d_out, 1, 4096)
        require_int("n (in-context examples)", self.n, 1, 10**6)
        require_int("L (GD steps)", self.L, 1, 10**4)
        require_real("eta (step size)", self.eta, 0, strict_low=True)
        require_real("B_v", self.Bv, 0, strict_low=True)
        require_real("B_x", self.Bx, 0, strict_low=True)
        require_real("B_y", self.By, 0, strict_low=True)
        get_activation(self.activation)
        get_loss(self.loss)
        if self.knots is not None:
            require_int("M (knots)", self.knots, 2, 10**7)
        if self.eps is not None:
            require_real("eps (target accuracy)", self.eps, 0, 1, strict_low=True)
        if self.knots is None and self.eps is None:
            raise ConfigError("M (knots)", "is needed: give the knots M or a target accuracy eps")
        if self.radius not in RADIUS_MODES:
            try:
                require_real("R (approximation radius)", self.radius, 0, strict_low=True)
            except ConfigError:
                raise ConfigError("R (approximation radius)", f"must be 'safe', 'paper' or a finite number > 0, "
                                                              f"got {self.radius!r}") from None
        require_int("precision (digits)", self.precision, 15, 100000)
        if self.device not in ("auto", "cpu") and not str(self.device).startswith("cuda"):
            raise ConfigError("device", f"must be auto, cpu or cuda[:k]; got {self.device!r}")
        require_int("seed", self.seed, 0, 2**63 - 1)

    @property
    def shape(self) -> NetworkShape:
        return NetworkShape(self.d_in, self.d_out, self.K, self.N)

    @property
    def theorem(self) -> str:
        """'theorem1' when d_x = d_y (Definition 1), 'theorem4' otherwise (Definition 10)."""
        return "theorem1" if self.d_in == self.d_out else "theorem4"

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        d["theorem"] = self.theorem
        return d

    @classmethod
    def from_args(cls, args, **overrides) -> "WuConfig":
        """Build from the shared CLI options (missing options keep the defaults); ConfigError on bad input."""
        kw: dict = {}
        g = lambda name: getattr(args, name, None)  # noqa: E731
        if g("dim") is not None and (g("dim_in") is not None or g("dim_out") is not None):
            raise ConfigError("d (dimension)", "give either d or d_x/d_y, not both")
        if g("dim") is not None:
            kw["d_in"] = kw["d_out"] = g("dim")
        if g("dim_in") is not None:
            kw["d_in"] = g("dim_in")
            kw["d_out"] = g("dim_out") if g("dim_out") is not None else 1
        elif g("dim_out") is not None:
            raise ConfigError("d_y (output dimension)", "needs d_x as well")
        for opt, key in [("depth", "N"), ("width", "K"), ("context", "n"), ("steps", "L"), ("knots", "knots"),
                         ("precision", "precision"), ("seed", "seed")]:
            if g(opt) is not None:
                kw[key] = g(opt)
        for opt in ["eta", "Bv", "Bx", "By", "eps"]:
            if g(opt) is not None:
                kw[opt] = require_real(_PAPER_NAME[opt], g(opt))
        for opt in ["activation", "loss", "device"]:
            if g(opt) is not None:
                kw[opt] = g(opt)
        if g("radius") is not None:
            kw["radius"] = g("radius") if g("radius") in RADIUS_MODES else str(require_real("R (approximation radius)", g("radius")))
        if kw.get("eps") is not None and g("knots") is None:
            kw["knots"] = None
        kw.update(overrides)
        return cls(**kw)
