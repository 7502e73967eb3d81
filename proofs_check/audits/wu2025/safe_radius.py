"""Our safe radius (``symbolic.wu2025.constants.safe_radius``) as a claim: the property it is built for.

Every 'safe' claim (Lemmas 2-4, 6 and the gradient error on our radius, their chain certificates) uses that each
pre-activation v_jk^T p_i(j-1) of the construction (pbar) and of the network (p) lies in [-R, R], where the
approximants are certified.  The radius's first formula, B_v sqrt(K) (sup |r| + 1/10) per layer, assumed |rbar|
exceeds sup |r| by at most 1/10; with few knots it exceeds it by more (a segment of the interpolant reaches beyond
the layer's interval), and aligned weights took softplus pre-activations to 1.26 R (4 knots, N = 4, K = 8, B_v = 2,
B_x = 1/2).  The radius is now enlarged until the interpolant's own bounds fit; this claim searches for a
pre-activation outside it, with the aligned weights (every row along the vector it multiplies) among its seeds.
"""
from __future__ import annotations

import mpmath
import numpy as np
import torch

from numeric.wu2025.prompt import Prompt
from numeric.wu2025.quantities import construction_highprec, exact_highprec

from ...claims import Source
from .block import BlockClaim, Q, worst
from .common import setup_of
from .lemmas import Lemma2Safe

NOTE = ("ours: R from R_1 = B_v B_x, R_j = B_v sqrt(K)(sup_{|t|<=R_{j-1}}|r| + 1/10), enlarged until rho_j = B_v "
        "sqrt(K) max(sup|r|, sup|rbar|) over |t| <= rho_{j-1} fits (rbar the construction's interpolant)")


class SafeRadius(BlockClaim):
    id = "wu2025.ours.safe_radius"
    source = Source("wu2025", "our safe radius R (symbolic.wu2025.constants.safe_radius), the property the safe "
                              "claims' proofs use", "ours", note=NOTE, about="conjecture")
    statement = ("every pre-activation v_jk^T pbar_i(j-1) of the construction and v_jk^T p_i(j-1) of the network, "
                 "j in [N], i in [n+1], lies in [-R, R] when ||x_i|| <= B_x (the query too) and ||v_jk|| <= B_v")
    radius = "safe"
    query = "ball"
    hypotheses = Lemma2Safe.hypotheses
    seed_labels = ("aligned+-", "worst-r", "aligned++")

    def parts(self, st, c: Q, e: Q, vals: dict, n: int):
        R = st.approx.R1
        if isinstance(c.p[0], torch.Tensor):
            zmax = torch.stack([z.abs().reshape(z.shape[0], -1).amax(dim=-1) for z in c.z + e.z]).amax(dim=0)
            return [("max |pre-activation|", zmax, float(R))]
        return [("max |pre-activation|", max(abs(v) for z in c.z + e.z for v in np.asarray(z).reshape(-1)),
                 mpmath.mpf(R.numerator) / R.denominator)]

    def evaluate(self, instance, dps=None):
        if dps is None:
            return super().evaluate(instance, dps)
        st = setup_of(instance)
        self._check(st.cfg)
        pr = Prompt.from_dict(instance["prompt"])
        with mpmath.workdps(dps):
            cq = Q.of_block(construction_highprec(st.wc, pr, dps))
            eq = Q.of_block(exact_highprec(st.wc, pr, dps))
            cq.z, eq.z = _pre_activations(st.cfg, pr, cq.p), _pre_activations(st.cfg, pr, eq.p)
            return worst(self.parts(st, cq, eq, {}, pr.n), self.base_details(st, pr))


def _pre_activations(cfg, pr: Prompt, p: list) -> list:
    """z(j) = p(j-1) V_j^T (tokens as rows) at the working precision, from the prompt's w and the layer outputs."""
    w = np.array([mpmath.mpf(v) for v in np.asarray(pr.w0, float).reshape(-1)], dtype=object)
    x = np.array([[mpmath.mpf(v) for v in row] for row in np.asarray(pr.x, float)], dtype=object)
    inputs = [x] + [np.asarray(a, dtype=object) for a in p[:-1]]
    return [P.dot(V.T) for P, V in zip(inputs, cfg.shape.matrices(w))]


SAFE_RADIUS_CLAIMS = [SafeRadius()]
