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
