"""Exact gradients: float64 torch autograd (the ground truth), the row-blocked exact O(L^2 d) gradient
(App. F's baseline), and high-precision mpmath gradients cross-checked by central finite differences."""
from __future__ import annotations

import mpmath
import numpy as np
import torch

from numeric.backends import pick_device
from symbolic.hu2025lora import corrected, objects

_F64 = torch.float64


def _t(x, device):
    return torch.as_tensor(np.asarray(x, dtype=float), dtype=_F64, device=device)


def _np(t):
    return t.detach().cpu().numpy()


def torch_partial(a: dict, beta: float = 1.0, device=None) -> dict:
    """(3.3) by autograd: loss, dW, dA, dB, dS (S as a leaf-like retained node), f, c (numpy float64)."""
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    C1, C2, C3, Y, Wbar = (_t(a[k], dev) for k in ("C1", "C2", "C3", "Y", "Wbar"))
    B, A = _t(a["B"], dev).requires_grad_(), _t(a["A"], dev).requires_grad_()
    W = Wbar + B @ A
    W.retain_grad()
    S = beta * (C1 @ W @ C2.T)
    S.retain_grad()
    F = torch.softmax(S, dim=1)
    c = F @ C3 - Y
    loss = 0.5 * (c * c).sum()
    loss.backward()
    return dict(loss=float(loss.detach()), dW=_np(W.grad), dA=_np(A.grad), dB=_np(B.grad), dS=_np(S.grad), f=_np(F),
                c=_np(c))


def torch_full(a: dict, s: float = 1.0, beta: float = 1.0, device=None) -> dict:
    """Def. A.1 (one point) by autograd: gradients w.r.t. W_mu and the six adapters, dS, F, c."""
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    t = {k: _t(a[k], dev) for k in ("XQ", "XK", "XV", "WQs", "WKs", "WVs", "Y")}
    ad = {k: _t(a[k], dev).requires_grad_() for k in ("BQ", "AQ", "BK", "AK", "BV", "AV")}
    W = {mu: t[f"W{mu}s"] + s * ad["B" + mu] @ ad["A" + mu] for mu in "QKV"}
    for w in W.values():
        w.retain_grad()
    S = beta * (t["XQ"] @ W["Q"] @ W["K"].T @ t["XK"].T)
    S.retain_grad()
    F = torch.softmax(S, dim=1)
    c = F @ t["XV"] @ W["V"] - t["Y"]
    loss = 0.5 * (c * c).sum()
    loss.backward()
    out = dict(loss=float(loss.detach()), dS=_np(S.grad), F=_np(F), c=_np(c), S=_np(S))
    out.update({f"dW{mu}": _np(W[mu].grad) for mu in "QKV"})
    out.update({f"d{k}": _np(v.grad) for k, v in ad.items()})
    return out


def torch_aattlgc(A1, A2, A3, E, X, device=None) -> dict:
    """Def. E.1: L(X) = 1/2 ||D^{-1} exp(A1 X A2^T / r) A3 - E||_F^2 and dL/dX by autograd."""
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    A1, A2, A3, E = (_t(m, dev) for m in (A1, A2, A3, E))
    Xt = _t(X, dev).requires_grad_()
    r = Xt.shape[0]
    c = torch.softmax(A1 @ Xt @ A2.T / r, dim=1) @ A3 - E
    loss = 0.5 * (c * c).sum()
    loss.backward()
    return dict(loss=float(loss.detach()), dX=_np(Xt.grad))


def exact_grad_partial(C1, C2, C3, Y, Wbar, B, A, beta: float = 1.0, blk: int | None = None, device=None,
                       keep: bool = False) -> dict:
    """Exact (3.3) gradients in O(L^2 d) time and O(blk L) memory: row blocks of S, F, c and the softmax
    backward dS = F (.) (G - rowsum(F (.) G)), G = c C3^T, accumulated into dL/dW = beta C1^T dS C2."""
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    C1, C2, C3, Y, Wbar, B, A = (_t(m, dev) for m in (C1, C2, C3, Y, Wbar, B, A))
    L = C1.shape[0]
    blk = blk or max(1, min(L, 2 ** 22 // max(L, 1)))
    W = Wbar + B @ A
    Q = beta * (C1 @ W)
    gW = torch.zeros_like(W)
    loss = torch.zeros((), dtype=_F64, device=dev)
    Fs, dSs = [], []
    for j0 in range(0, L, blk):
        j1 = min(L, j0 + blk)
        F = torch.softmax(Q[j0:j1] @ C2.T, dim=1)
        c = F @ C3 - Y[j0:j1]
        loss += 0.5 * (c * c).sum()
        G = c @ C3.T
        dS = F * (G - (F * G).sum(dim=1, keepdim=True))
        gW += beta * (C1[j0:j1].T @ (dS @ C2))
        if keep:
            Fs.append(F)
            dSs.append(dS)
    out = dict(loss=float(loss), gW=_np(gW), gA=_np(B.T @ gW), gB=_np(gW @ A.T))
    if keep:
        out.update(F=_np(torch.cat(Fs)), dS=_np(torch.cat(dSs)))
    return out


def torch_reference_partial(C1, C2, C3, Y, Wbar, B, A, beta: float = 1.0, device=None) -> dict:
    """Float64 autograd on the full (3.3) graph (the spec's API name)."""
    out = torch_partial(dict(C1=C1, C2=C2, C3=C3, Y=Y, Wbar=Wbar, B=B, A=A), beta, device)
    return dict(loss=out["loss"], gW=out["dW"], gA=out["dA"], gB=out["dB"], dS=out["dS"], F=out["f"])


# ----------------------------------------------------------------------------------- high precision (mpmath)


def _fd_grad(loss_fn, X, dps: int):
    """Central differences of ``loss_fn`` w.r.t. every entry of the object array X (step 10^{-(dps/2+5)})."""
    h = mpmath.mpf(10) ** (-(dps // 2 + 5))
    G = np.empty(X.shape, dtype=object)
    for idx in np.ndindex(X.shape):
        x0 = X[idx]
        X[idx] = x0 + h
        fp = loss_fn()
        X[idx] = x0 - h
        fm = loss_fn()
        X[idx] = x0
        G[idx] = (fp - fm) / (2 * h)
    return G


def _maxabs(M):
    return max((abs(v) for v in np.asarray(M).reshape(-1)), default=mpmath.mpf(0))


def mp_partial(a: dict, beta, dps: int) -> dict:
    """(3.3) gradients at ``dps`` digits by the chain rule, with central finite differences of the loss
    itself (a check independent of the chain rule) recorded as ``fd_max_diff``."""
    with mpmath.workdps(dps + 20):
        m = {k: a[k] for k in ("C1", "C2", "C3", "Y", "Wbar", "B", "A")}
        out = corrected.grads_partial_exact(m["C1"], m["C2"], m["C3"], m["Y"], m["Wbar"], m["B"], m["A"], beta)

        def lossf():
            return objects.loss_33(m["C1"], m["C2"], m["C3"], m["Y"], m["Wbar"], m["B"], m["A"], beta)

        fdA, fdB = _fd_grad(lossf, m["A"], dps + 20), _fd_grad(lossf, m["B"], dps + 20)
        out["fd_max_diff"] = max(_maxabs(fdA - out["dA"]), _maxabs(fdB - out["dB"]))
    if out["fd_max_diff"] > mpmath.mpf(10) ** (-(dps // 2)):
        raise ArithmeticError(f"chain rule and finite differences disagree by {out['fd_max_diff']}")
    return out


def grads_full_generic(a: dict, s, beta) -> dict:
    """Def. A.1 gradients by the chain rule, generic over float/object arrays (used at high precision)."""
    W = {mu: a[f"W{mu}s"] + s * (a["B" + mu] @ a["A" + mu]) for mu in "QKV"}
    S = beta * (a["XQ"] @ W["Q"] @ W["K"].T @ a["XK"].T)
    F = objects.row_softmax(S)
    C3 = a["XV"] @ W["V"]
    c = F @ C3 - a["Y"]
    dS = corrected.dS_exact(F, c, C3)
    dW = {"Q": beta * (a["XQ"].T @ dS @ a["XK"] @ W["K"]),
          "K": beta * (a["XK"].T @ dS.T @ a["XQ"] @ W["Q"]),
          "V": a["XV"].T @ F.T @ c}
    out = dict(loss=(c * c).sum() / 2, dS=dS, F=F, c=c, S=S)
    for mu in "QKV":
        out[f"dW{mu}"] = dW[mu]
        out[f"dA{mu}"] = s * (a["B" + mu].T @ dW[mu])
        out[f"dB{mu}"] = s * (dW[mu] @ a["A" + mu].T)
    return out


def mp_full(a: dict, s, beta, dps: int) -> dict:
    """Def. A.1 gradients at ``dps`` digits, finite-difference checked on the Q and K adapters."""
    with mpmath.workdps(dps + 20):
        out = grads_full_generic(a, s, beta)
        diff = mpmath.mpf(0)
        for k in ("AQ", "BQ", "AK", "BK"):
            fd = _fd_grad(lambda: objects.loss_defA1(*(a[x] for x in (
                "XQ", "XK", "XV", "WQs", "WKs", "WVs", "BQ", "AQ", "BK", "AK", "BV", "AV", "Y")), s=s, beta=beta),
                a[k], dps + 20)
            diff = max(diff, _maxabs(fd - out["d" + k]))
        out["fd_max_diff"] = diff
    if diff > mpmath.mpf(10) ** (-(dps // 2)):
        raise ArithmeticError(f"chain rule and finite differences disagree by {diff}")
    return out
