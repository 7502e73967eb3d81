"""The base of every claim on one block of the construction: one evaluation in three forms.

* float64, batched and differentiable (``numeric.wu2025.autograd_objective``: the approximants' semantics with the
  loss layer's query gate modelled as the MLP computes it, and the exact quantities): the search's objective, its
  ``evaluate_batch`` and its gradient;
* at ``dps`` digits: the real constructed transformer (``construction_highprec``) against the exact mathematics,
  which confirms and replays.

A claim says which token rows its conclusion covers, which parts it bounds (``parts``) and with what; causes of a
violation are computed from the instance (which token, which pre-activation left which interval).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import torch

from numeric.wu2025.autograd_objective import as_tensors, construction_batch, exact_batch, single_thread
from numeric.wu2025.prompt import Prompt
from numeric.wu2025.quantities import construction_highprec, exact_highprec
from symbolic.wu2025.config import WuConfig

from ...claims import Claim, Evaluation
from ...methods import Search
from .common import (POOL_FAMILY, QUERY_FREE, R_APPROX, RP_APPROX, SMOOTH_R, V_BALL, X_BALL, Y_BALL, SpaceSpec,
                     config_dict, construction_space, decode_tensors, feasible, instance_config, instance_size,
                     radius_narrowing, setup, setup_of, smooth_applicability, space_from)

DT = torch.float64


class Q:
    """Block quantities in one indexing for both paths: p[j-1] (j = 1..N), z[j-1] (pre-activations), rp[j]
    (j = 0..N-1), g, s[j-1] (j = 1..N), grad, w_next.  Batched torch tensors (leading axis B) or, at high
    precision, NumPy object arrays of one prompt (tokens as rows)."""

    def __init__(self, p, rp, g, s, grad, w_next, z=None):
        self.p, self.rp, self.g, self.s, self.grad, self.w_next, self.z = p, rp, g, s, grad, w_next, z

    @classmethod
    def of_batch(cls, t) -> "Q":
        return cls(t.p[1:], t.rp, t.g, t.s[1:], t.grad, t.w_next, t.z[1:])

    @classmethod
    def of_block(cls, q) -> "Q":
        return cls(q.p, q.rp, q.g, q.s, q.grad, q.w_next)


def is_batch(a) -> bool:
    return isinstance(a, torch.Tensor)


def rownorm_max(a, b, rows=None):
    """max over the token rows of ||a_i - b_i||_2: (B,) for batched tensors, an mpf for one prompt."""
    d = a - b if is_batch(a) else np.asarray(a, dtype=object) - np.asarray(b, dtype=object)
    if rows is not None:
        d = d[:, rows] if is_batch(a) else d[rows]
    if is_batch(a):
        return torch.linalg.norm(d, dim=-1).amax(dim=-1) if d.shape[1] else torch.zeros(d.shape[0], dtype=DT)
    return max((mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in d), default=mpmath.mpf(0))


def absmax(a, b, rows=None):
    """max |a - b| over the token rows and entries."""
    d = a - b if is_batch(a) else np.abs(np.asarray(a, dtype=object) - np.asarray(b, dtype=object))
    if rows is not None:
        d = d[:, rows] if is_batch(a) else d[rows]
    if is_batch(a):
        return d.abs().reshape(d.shape[0], -1).amax(dim=-1)
    return max(d.reshape(-1), default=mpmath.mpf(0))


def vmax(a):
    """max entry (signed)."""
    if is_batch(a):
        return a.reshape(a.shape[0], -1).amax(dim=-1)
    return max(np.asarray(a, dtype=object).reshape(-1))


def norm_vec(a, b):
    """||a - b||_2 of vectors (grad, w): (B,) or an mpf."""
    if is_batch(a):
        return torch.linalg.norm(a - b, dim=-1)
    d = np.asarray(a, dtype=object) - np.asarray(b, dtype=object)
    return mpmath.sqrt(mpmath.fsum(v * v for v in d))


def _f(x) -> float:
    return float(x)


class BlockClaim(Claim):
    """A claim on the quantities of one block at w = prompt['w0'] (module docstring)."""

    radius = "paper"
    query = "ball"           # how the search places the query: 'ball', 'free' (radius QUERY_FREE B_x)
    mask_query = True        # False: the exact side's query follows Definition 3 with y_{n+1} = 0
    context_only = False     # the conclusion covers i in [n] only
    theorem4 = False         # d_y != d_x allowed
    hypotheses = (X_BALL, Y_BALL, V_BALL, SMOOTH_R, R_APPROX, RP_APPROX)
    space_overrides: dict = {}
    pool_size = 12
    free: dict | None = None
    extras: dict = {}
    pool_family = POOL_FAMILY
    methods = Search(evaluations=600, floor=200, portfolio=("explore", "local", "cma", "gradient"))
    cause_text: dict = {}
    # the structured data seeded per configuration (common.FEW): where the approximants are worst first (Lemmas 2-6
    # and the gradient error measure approximation errors), then the aligned and the column-wise weights
    seed_labels: tuple = ("worst-r", "aligned+-", "columns+-")
    # cfg -> sort key of the extreme configurations' seeds (common.seed_order); None keeps the diagonal order
    seed_rank = None
    # the last stage of the block (autograd_objective.STAGES) the claim's parts read: the objective computes no more
    # (diagnose, for the causes, computes every stage)
    upto = "w"

    # ------------------------------------------------------------------ space

    def applicability(self, options):
        return smooth_applicability(options)

    def space(self, ctx):
        return space_from(ctx, self.radius, **self.space_overrides)

    def spec(self, ctx) -> SpaceSpec:
        extra = (lambda cfg, cand: {**({"free": dict(self.free)} if self.free else {}), **self.extras}) \
            if (self.free or self.extras) else None
        return SpaceSpec(self.space(ctx), query=self.query, pool=self.pool_size, extra=extra, salt=self.radius,
                         seed_labels=self.seed_labels, seed_rank=self.seed_rank)

    def search_space(self, ctx):
        return construction_space(ctx, self.spec(ctx), self._objective_grad)

    def search_space_ball(self, ctx):
        """The same space with the query inside the B_x ball: the in-context causes get their own witnesses
        (the unbounded query otherwise gives the smallest violations)."""
        spec = self.spec(ctx)
        spec.query = "ball"
        return construction_space(ctx, spec, self._objective_grad)

    @property
    def narrowing(self) -> tuple[str, ...]:
        out = list(radius_narrowing(self.space(None)))
        if self.query == "free":
            out.append(f"the query (unbounded in the hypotheses) is searched in the ball of radius {QUERY_FREE:g} B_x")
        elif self.context_only and not any(h.name.startswith("||x_{n+1}") for h in self.hypotheses):
            out.append("the query (which does not enter the conclusion for i in [n]) is kept in the B_x ball")
        return tuple(out)

    # ------------------------------------------------------------------ evaluation

    def rows(self, n: int):
        return slice(0, n) if self.context_only else None

    def _check(self, cfg: WuConfig) -> None:
        if cfg.radius != self.radius:
            raise ValueError(f"{self.id} audits the construction with radius {self.radius!r}, got {cfg.radius!r}")

    def _terms(self, st, X, Y, W, upto: str = "w") -> tuple[Q, Q]:
        cfg = st.cfg
        ru, rpu, uu = st.units
        ct = construction_batch(cfg.shape, ru, rpu, uu, st.approx.R3, st.eta, st.box, X, Y, W, upto=upto)
        et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, W, mask_query=self.mask_query,
                         upto=upto)
        return Q.of_batch(ct), Q.of_batch(et)

    def parts(self, st, c: Q, e: Q, vals: dict, n: int) -> list[tuple[str, object, object]]:
        raise NotImplementedError

    def _ratio_t(self, st, X, Y, W) -> torch.Tensor:
        c, e = self._terms(st, X, Y, W, self.upto)
        vals = st.values
        ratios = []
        for _, obs, bd in self.parts(st, c, e, vals, X.shape[1] - 1):
            b = _f(bd)
            ratios.append(obs / b if b > 0 else torch.where(obs > 0, torch.full_like(obs, math.inf),
                                                            torch.zeros_like(obs)))
        return torch.stack(ratios, dim=0).amax(dim=0)

    def _objective_grad(self, inst, cfg, vt, query) -> torch.Tensor:
        st = setup_of(inst)
        X, Y, W = decode_tensors(cfg, vt, query)
        if self.spec(None).w_zero:
            W = W * 0
        with single_thread():
            return self._ratio_t(st, X[None], Y[None], W[None])[0]

    def evaluate_batch(self, instances: list[dict]) -> list[float]:
        out = [-math.inf] * len(instances)
        for idx in same_setup_groups(instances):
            try:
                st = setup_of(instances[idx[0]])
                self._check(st.cfg)
                prs = [Prompt.from_dict(instances[i]["prompt"]) for i in idx]
                vals = batched(lambda X, Y, W: self._ratio_t(st, X, Y, W), prs)
                for i, v in zip(idx, vals):
                    out[i] = v if not math.isnan(v) else -math.inf
            except (ValueError, ArithmeticError):
                continue
        return out

    def evaluate(self, instance, dps=None):
        cfg = instance_config(instance)
        self._check(cfg)
        st = setup_of(instance)
        pr = Prompt.from_dict(instance["prompt"])
        if dps is None:
            X, Y, W = lanes(pr.x, pr.y, pr.w0)
            with torch.no_grad(), single_thread():
                c, e = self._terms(st, X, Y, W, self.upto)
                parts = [(lab, float(o[0]), float(b)) for lab, o, b in self.parts(st, c, e, st.values, pr.n)]
            return worst(parts, self.base_details(st, pr))
        with mpmath.workdps(dps):
            cq = Q.of_block(construction_highprec(st.wc, pr, dps))
            eq = Q.of_block(exact_highprec(st.wc, pr, dps, mask_query=self.mask_query))
            vals = st.values_at(dps)
            return worst(self.parts(st, cq, eq, vals, pr.n), self.base_details(st, pr))

    def base_details(self, st, pr) -> dict:
        a = st.approx
        return {"R_r": float(a.R1), "R_rp": float(a.R2), "R3": float(a.R3), "knots": a.knots,
                "eps_r": float(st.eps_r), "eps_rp": float(st.eps_rp), "eps_l": float(st.eps_l), "n": pr.n}

    def size(self, instance) -> int:
        return instance_size(instance)

    # ------------------------------------------------------------------ pool

    def adopt(self, instance: dict, source: str | None = None) -> dict | None:
        """Another claim's instance in this claim's space: same configuration and data, this claim's radius, one
        block, the query clipped into the B_x ball when this claim's space keeps it there, this claim's free
        choices; None when it does not fit (sizes, caps)."""
        if "config" not in instance or "prompt" not in instance:
            return None
        c = dict(instance["config"])
        if c.get("knots") is None or (c["d_in"] != c["d_out"]) != self.theorem4:
            return None
        c["radius"] = self.radius
        c["L"] = 1
        try:
            cfg = WuConfig(**{k: c[k] for k in c if k in WuConfig.__dataclass_fields__})
        except Exception:  # noqa: BLE001 - a foreign instance that is no configuration of ours
            return None
        if not feasible(cfg)[0]:
            return None
        pr = {k: [list(map(float, r)) if isinstance(r, (list, tuple)) else float(r) for r in v]
              for k, v in instance["prompt"].items()}
        if self.query == "ball":
            q = np.asarray(pr["x"][-1], float)
            nq = float(np.linalg.norm(q))
            if nq > cfg.Bx:
                pr["x"][-1] = (q * (cfg.Bx * (1 - 1e-12) / nq)).tolist()
        out = {"config": config_dict(cfg), "prompt": pr}
        if self.free:
            out["free"] = dict(self.free)
        out.update(self.extras)
        return out

    # ------------------------------------------------------------------ causes

    def diagnose(self, instance) -> dict:
        """float64: per token row the worst ratio of the parts that are per-token (None for whole-vector parts),
        the pre-activations of both approximants' layers and the radii."""
        st = setup_of(instance)
        pr = Prompt.from_dict(instance["prompt"])
        X, Y, W = (torch.as_tensor(a[None], dtype=DT) for a in (pr.x, pr.y, pr.w0))
        with torch.no_grad(), single_thread():
            c, e = self._terms(st, X, Y, W)
            rows = self.row_ratios(st, c, e, st.values, pr.n)
        z = [zz[0].numpy() for zz in c.z]
        return {"st": st, "n": pr.n, "rows": rows, "z": z, "c": c, "e": e, "R_r": float(st.approx.R1),
                "R_rp": float(st.approx.R2)}

    def row_ratios(self, st, c: Q, e: Q, vals: dict, n: int):
        """(n+1,) worst ratio per token (float64), or None when the conclusion is not per token."""
        T = n + 1
        out = np.zeros(T)
        for i in range(T):
            sl = slice(i, i + 1)
            part = self.parts_rows(st, c, e, vals, n, sl)
            if part is None:
                return None
            out[i] = max((float(o[0]) / float(b) if float(b) > 0 else (math.inf if float(o[0]) > 0 else 0.0))
                         for _, o, b in part)
        return out

    def parts_rows(self, st, c, e, vals, n, sl):
        return None

    def out_of_interval(self, diag, token: int, radius_key: str = "R_r", layers=None):
        """(layer j, unit k, value) of the largest |pre-activation| of ``token`` outside [-R, R], or None."""
        R = diag[radius_key]
        best = None
        for j, zj in enumerate(diag["z"], start=1):
            if layers is not None and j not in layers:
                continue
            row = zj[token]
            k = int(np.argmax(np.abs(row)))
            v = float(row[k])
            if abs(v) > R * (1 + 1e-12) and (best is None or abs(v) > abs(best[2])):
                best = (j, k + 1, v)
        return best

    def causes(self, instance, ev) -> list[str]:
        diag = self.diagnose(instance)
        return [c for c, _ in self.named_causes(instance, diag)]

    radius_keys: tuple = ("R_r",)   # the approximation intervals the conclusion depends on

    def sym(self, key: str) -> str:
        return "R" if self.radius != "paper" else ("R1" if key == "R_r" else "R2")

    def interval_text(self, keys) -> str:
        syms = []
        for k in keys:
            if self.sym(k) not in syms:
                syms.append(self.sym(k))
        return " and ".join(f"[-{x}, {x}]" for x in syms)

    def inside_detail(self, instance, diag, token: int) -> str:
        """What else the witness shows when every pre-activation is inside the intervals (claim-specific)."""
        return ""

    def named_causes(self, instance, diag) -> list[tuple[str, str]]:
        """[(cause, the sentence that shows it on this instance)], from the per-token rows: the token kind (query or
        in-context) whose error exceeds the bound, and whether one of its pre-activations left an approximation
        interval (which one, by how much)."""
        rows = diag["rows"]
        if rows is None:
            return []
        n = diag["n"]
        out = []
        keys = self.radius_keys
        for kind, toks in (("in-context", [i for i in range(n) if rows[i] > 1]),
                           ("query", [n] if rows[n] > 1 else [])):
            if not toks:
                continue
            i = max(toks, key=lambda t: rows[t])
            hits = [(key, self.out_of_interval(diag, i, key)) for key in keys]
            hits = [(key, h) for key, h in hits if h is not None]
            who = f"token {i + 1}" if kind == "in-context" else f"the query (token {n + 1}, ||x_{{n+1}}|| = " \
                f"{float(np.linalg.norm(instance['prompt']['x'][n])):.4g}, B_x = {instance['config']['Bx']})"
            if hits:
                key, (j, k, v) = max(hits, key=lambda t: abs(t[1][2]) / diag[t[0]])
                sym = self.sym(key)
                out.append((f"{kind} pre-activation outside [-{sym}, {sym}]",
                            f"at {who} the pre-activation v_{j}{k}^T p_bar({j - 1}) = {v:.6g} of layer {j} lies "
                            f"outside [-{sym}, {sym}] = [-{diag[key]:.6g}, {diag[key]:.6g}], where the approximant of "
                            f"{'r' if key == 'R_r' else chr(114) + chr(39)} is extrapolated (ratio at this token "
                            f"{rows[i]:.4g})"))
            else:
                first = {}
                for k in keys:
                    first.setdefault(self.sym(k), k)
                shown = ", ".join(f"[-{x}, {x}] = [-{diag[k]:.6g}, {diag[k]:.6g}]" for x, k in first.items())
                extra = self.inside_detail(instance, diag, i)
                out.append((f"{kind} error with every pre-activation inside {self.interval_text(keys)}",
                            f"at {who} every pre-activation lies inside {shown} and the bound still fails (ratio "
                            f"{rows[i]:.4g})" + (f"; {extra}" if extra else "")))
        return out

    def explain(self, instance, ev) -> str:
        c = instance["config"]
        d = ev.details
        try:
            named = self.named_causes(instance, self.diagnose(instance))
        except (ValueError, ArithmeticError):
            named = []
        shown = "; ".join(s for _, s in named) or "(no per-token cause computed)"
        why = " ".join(self.cause_text.get(cause, "") for cause, _ in named).strip()
        return (f"Witness: N={c['N']}, K={c['K']}, d_x={c['d_in']}, d_y={c['d_out']}, n={c['n']}, "
                f"{c['activation']} activation, {c['loss']} loss, B_v={c['Bv']}, B_x={c['Bx']}, B_y={c['By']}; the "
                f"construction (approximation radius {d.get('R_r')} for r and {d.get('R_rp')} for r', "
                f"{d.get('knots')} knots, certified eps_r = {d.get('eps_r', 0):.3g}, eps_r' = {d.get('eps_rp', 0):.3g}) "
                f"gives {float(ev.observed):.4g} at {d.get('worst_part', '')} against the stated bound "
                f"{float(ev.bound):.4g} (ratio {ev.ratio:.4g}, confirmed on the constructed transformer). What the "
                f"witness shows: {shown}. {why}").strip()


MAX_BATCH = 256   # prompts per call
LANES = 16        # a call's batch is padded to a multiple of LANES


def batched(fn, prompts) -> list[float]:
    """``fn(X, Y, W)`` over the prompts stacked along a batch axis: at most MAX_BATCH per call, each call padded with
    copies of its last prompt to a multiple of LANES.  torch's CPU kernels run an element-wise function (softplus,
    exp, ...) vectorised over the body of a tensor and in scalar code over its last numel mod 8 (16 with AVX-512)
    entries, and the two differ in the last bit; with a multiple of 16 prompts every tensor's size is a multiple of
    16, so no entry falls in a scalar tail and a prompt's value does not depend on which prompts share its call
    (tested: groups of 1, 3 and 22; serial runs, process pools and Dask chunks give bit-identical verdicts)."""
    out = []
    for k in range(0, len(prompts), MAX_BATCH):
        part = list(prompts[k:k + MAX_BATCH])
        m = len(part)
        part += [part[-1]] * (-m % LANES)
        X, Y, W = as_tensors(part)
        with torch.no_grad(), single_thread():
            out += fn(X, Y, W)[:m].tolist()
    return out


def lanes(*arrays) -> tuple:
    """One prompt's arrays as a batch of LANES copies (float64): what ``batched`` computes for the prompt, bit for
    bit (a one-prompt batch would run torch's scalar tails, whose last bits differ; a ratio whose observed side is a
    cancellation, |gbar - g| ~ 1e-10 of terms ~ 1, amplifies that to 1e-7 on AVX-512).  Read entry 0."""
    return tuple(torch.as_tensor(np.repeat(np.asarray(a, float)[None], LANES, axis=0), dtype=DT) for a in arrays)


def same_setup_groups(instances: list[dict], fields: tuple = ("config", "free")) -> list[list[int]]:
    """Indices of the instances grouped by equal ``fields`` (one set-up, one batched call each), in order of first
    appearance.  Equality (as the sorted-items keys compared before), checked first against the group the previous
    instance joined (a search batch is mostly runs of one configuration): no key is built per instance."""
    groups: list = []                       # [(field values), indices]
    last = None
    for i, inst in enumerate(instances):
        key = tuple(map(inst.get, fields))
        if last is None or last[0] != key:
            last = next((g for g in groups if g[0] == key), None)
            if last is None:
                last = (key, [])
                groups.append(last)
        last[1].append(i)
    return [g[1] for g in groups]


def worst(parts, details: dict) -> Evaluation:
    """The (observed, bound) pair with the largest ratio; every pair goes into the details."""
    best = None
    for label, obs, bd in parts:
        fo, fb = float(obs), float(bd)
        r = fo / fb if fb > 0 else (math.inf if fo > 0 else 0.0)
        details.setdefault("per_part", {})[label] = {"observed": fo, "bound": fb, "ratio": r}
        if best is None or r > best[0]:
            best = (r, label, obs, bd)
    details["worst_part"] = best[1]
    return Evaluation(best[2], best[3], details)


__all__ = ["BlockClaim", "Q", "rownorm_max", "absmax", "vmax", "norm_vec", "worst", "setup", "config_dict"]
