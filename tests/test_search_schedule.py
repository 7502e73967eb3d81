"""The adaptive schedule of the search: seeds interleaved with random samples, exploitation from the first elites,
shares kept, deterministic; the phased schedule (the default): every seed first."""
import numpy as np
import pytest

from proofs_check.search import Candidate, SearchSpace, maximize


def _space(n_seeds: int, seed_value: float = 0.5):
    """f(x) = -||x - 1||^2 on R^4 (maximum 0 at x = 1); the seeds sit at x = seed_value (all equal), the random
    samples at N(0, 3^2); a candidate's discrete 'kind' says where it came from."""
    def sample(rng):
        return Candidate({"kind": "random"}, 3 * rng.standard_normal(4))

    seeds = [Candidate({"kind": "seed", "k": k}, np.full(4, seed_value)) for k in range(n_seeds)]
    return SearchSpace(sample, lambda c: {"x": np.asarray(c.vector, float).tolist(), "kind": c.discrete["kind"]},
                       seeds=seeds, step=0.5)


def _objective(log):
    def f(insts):
        # a seed is recognised by its exact vector (children of a seed inherit its discrete choices, not its data)
        log.extend("seed" if i["x"] == [0.5] * 4 else "other" for i in insts)
        return [-float(np.sum((np.asarray(i["x"]) - 1) ** 2)) for i in insts]
    return f


def test_seeds_share_the_first_batch_with_random_samples_and_exploitation_starts_before_they_end():
    log: list = []
    res = maximize(_objective(log), _space(200), evaluations=160, seed=0,
                 portfolio=("explore", "local", "cma"), schedule="adaptive")
    assert res.evaluations == 160 == len(log)
    first = log[:16]
    assert first[0] == "seed" and first[1] == "other" and first.count("seed") == 12
    # local / CMA-ES ran while seeds were left (200 seeds, 160 evaluations): the seeds do not take the budget
    assert res.by_strategy["local"][0] > 0 and res.by_strategy["cma"][0] > 0
    assert log.count("seed") < 200
    # every strategy's evaluations add up to the budget
    assert sum(n for n, _ in res.by_strategy.values()) == 160


def test_adaptive_schedule_is_deterministic_and_beats_its_seeds():
    a = maximize(_objective([]), _space(30), evaluations=300, seed=4,
                 portfolio=("explore", "local", "cma"), schedule="adaptive")
    b = maximize(_objective([]), _space(30), evaluations=300, seed=4,
                 portfolio=("explore", "local", "cma"), schedule="adaptive")
    assert a.history == b.history and a.by_strategy == b.by_strategy
    assert a.best_value > -4 * 0.25          # better than every seed (-1): exploitation moved off them
    c = maximize(_objective([]), _space(30), evaluations=300, seed=5,
                 portfolio=("explore", "local", "cma"), schedule="adaptive")
    assert c.history != a.history            # the seed matters (the test above could not pass by accident)


def test_exploration_keeps_its_share_and_every_seed_runs_when_the_budget_allows():
    log: list = []
    res = maximize(_objective(log), _space(40), evaluations=600, seed=2,
                 portfolio=("explore", "local", "cma"), schedule="adaptive")
    assert log.count("seed") == 40                           # all seeds evaluated
    explored = res.by_strategy["explore"][0]
    assert 0.3 * 600 - 16 <= explored <= 0.3 * 600 + 32      # explore_fraction 0.3, within a batch or two


def test_phased_schedule_evaluates_every_seed_first():
    log: list = []
    maximize(_objective(log), _space(40), evaluations=200, seed=0, portfolio=("explore", "local"),
             schedule="phased")
    assert log[:40] == ["seed"] * 40
    with pytest.raises(ValueError, match="unknown schedule"):
        maximize(_objective([]), _space(1), evaluations=10, schedule="other")


def test_a_portfolio_without_explore_still_evaluates_the_seeds_but_no_random_samples_beyond_its_first_batch():
    log: list = []
    maximize(_objective(log), _space(20), evaluations=120, seed=0, portfolio=("local",), schedule="adaptive")
    assert log.count("seed") == 20


def test_the_lemma4_seed_puts_every_residual_where_the_loss_units_are_worst():
    """The 'worst-u' referee seed (non-square losses): Lemma 2's worst pre-activations, and labels y that put every
    residual p(N)[k] - y[k] at the argmax of |ubar - phi'|; on a configuration whose eps_r is negligible it reaches
    Lemma 4's corrected bound (eps_l + L_l E_r eps_r) to 1e-4, where the Lemma 2 seed ('worst-r') shows 3e-4 of it."""
    from proofs_check.audits.wu2025.common import config_dict, decode_prompt, worst_point_data
    from proofs_check.registry import get_claim
    from symbolic.wu2025.config import WuConfig

    cfg = WuConfig(d_in=1, d_out=1, K=1, N=2, n=1, L=1, Bv=0.25, Bx=0.001, By=1.0, activation="tanh",
                   loss="pseudo_huber", knots=8, radius="safe")
    claim = get_claim("wu2025.lemma4.safe")
    ratios = {}
    for which in ("u", "r"):
        P = decode_prompt(cfg, worst_point_data(cfg, which))
        inst = {"config": config_dict(cfg), "prompt": {"x": P.x.tolist(), "y": P.y.tolist(), "w0": P.w0.tolist()}}
        ratios[which] = claim.evaluate(inst, dps=None).ratio
    assert 0.9999 < ratios["u"] <= 1.0
    assert ratios["r"] < 0.01


def test_the_extreme_configurations_meet_every_shape_and_constant_pattern_first():
    """The Wu seed configurations in diagonal order: the first five are five different shapes with five different
    constant patterns (the smallest and the largest sizes within the first evaluations); the order is a
    permutation (no configuration lost)."""
    from proofs_check.audits.wu2025.common import ConfigSpace, _interleave_shapes, seed_configs

    out = seed_configs(ConfigSpace(radius="safe"))
    first = [label.split("/") for label, _ in out[:5]]
    assert len({s for s, _ in first}) == 5 and len({c for _, c in first}) == 5
    assert sorted(map(repr, out)) == sorted(map(repr, _interleave_shapes(list(reversed(out)))))
    assert max(c.K for _, c in out[:5]) >= 32 and min(c.K for _, c in out[:5]) == 1


def test_the_pgd_identity_searches_start_at_the_largest_and_the_smallest_sizes():
    from proofs_check.registry import get_claim

    claim = get_claim("ahn2023.lemma1.pgd")
    space = claim.search_space(None)
    sizes = [(c.discrete["inst"]["n"], c.discrete["inst"]["d"], len(c.discrete["inst"]["A"])) for c in space.seeds]
    (n0, n1), (d0, d1), (l0, l1) = claim.search_sizes
    assert sizes[:2] == [(n1 - 1, d1 - 1, l1 - 1)] * 2 and sizes[2:] == [(n0, d0, l0)] * 2


def test_lemma3_6_seeds_start_where_its_bound_is_nearly_attained_and_stay_nondegenerate():
    """hu2025lora's E_p1 = (1 + eta) E_q + eta M_q: the aligned seed (q^T constant at M_q, scores alternating +-R,
    small Gamma, small ||C3||, large ||Y||) gives about half of it on its first evaluation, confirmed at 30 digits
    (random tanh-box corners give under 0.1); the jitter keeps c~ - c nonzero, so C.4's measured inequality is no
    0-bound artefact there; spaces without ``aligned`` keep their seeds."""
    from proofs_check.audits.hu2025lora.search import ChainSpace
    from proofs_check.engine import float_ratios
    from proofs_check.registry import get_claim

    claim = get_claim("hu2025lora.ours.lemma3_6")
    space = claim.search_space(None)
    first = space.decode(space.seeds[0])
    assert float_ratios(claim, [first])[0] > 0.4
    hp = claim.evaluate(first, dps=30)
    assert 0.4 < float(hp.ratio) < 1.0
    c3, y = np.asarray(first["C3"]), np.asarray(first["Y"])
    assert np.all(np.sign(c3) == np.sign(c3[0])) and np.all(np.sign(y) == -np.sign(c3))   # C3 = M3 1 s^T, Y = -MY 1 s^T
    c4 = get_claim("hu2025lora.lemma3_5.C4_inequality")
    for cand in space.seeds[:12]:
        ev = c4.evaluate(space.decode(cand), dps=30)
        assert float(ev.bound) > 0 and not ev.violates()
    plain, before = ChainSpace(k2s=("2d", "d")).seeds(), ChainSpace(k2s=("2d", "d"), aligned=True).seeds()
    assert len(plain) == 36 and [c.key() for c in before[-36:]] == [c.key() for c in plain]


def test_gatmiry_gradient_dominance_seeds_start_at_the_edge_of_its_hypothesis():
    """The first seeds sit where L(cI) = 2 L* (1 + 1e-8): inside the hypothesis, at its boundary, and one of them
    reaches 0.0488 (n = 20, d = 10, L = 4), above the 0.0471 a 10000-evaluation search had found."""
    from proofs_check.audits.gatmiry2024 import _ray_poly
    from proofs_check.engine import float_ratios
    from proofs_check.registry import get_claim

    claim = get_claim("gatmiry2024.theorem34.gradient_dominance")
    space = claim.search_space(None)
    first = [space.decode(c) for c in space.seeds[:72]]
    for inst in first[:6]:
        g, _, Ls = _ray_poly(inst["n"], inst["d"], inst["L"])
        assert 1 <= g(inst["c"]) / (2 * Ls) < 1 + 1e-6
    assert max(float_ratios(claim, first)) > 0.0485
