"""Definition 4 approximants: exact form, certified sup-error, the h^2 sup|phi''|/8 prediction."""
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from numeric.precision import certify_sup_error
from symbolic.activations import ACTIVATIONS, T
from symbolic.sum_of_relu import (interpolant, interpolation_prediction, residual_units, square_loss_u_units,
                                  uniform_knots)


def test_units_have_unit_l1_norm_and_interpolate_exactly():
    a = interpolant(ACTIVATIONS["tanh"].expr, T, Fraction(3), 12, value_digits=40)
    assert a.H == 13 and all(u.a_l1 == 1 for u in a.units)
    for tau in a.knots:  # exact interpolation at the knots, up to the 40-digit node rounding
        assert abs(float(a(tau)) - float(sp.tanh(sp.Rational(tau.numerator, tau.denominator)))) < 1e-15
    # C = sum |c| (Definition 4) as computed by hand for the interpolant
    assert a.C == sum(abs(u.c) for u in a.units)


def test_spec_reference_numbers_sigmoid_on_minus10_10():
    """spec 4.0: sigmoid on [-10, 10] with 21 units: eps = 1.16e-2, C = 1.46."""
    a = interpolant(ACTIVATIONS["sigmoid"].expr, T, 10, 20)
    cert = certify_sup_error(a)
    assert a.H == 21 and abs(float(a.C) - 1.46) < 0.01
    assert abs(float(cert.upper) - 1.16e-2) < 1e-4


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus"])
@pytest.mark.parametrize("M", [10, 40, 160])
def test_certified_error_below_prediction(act, M):
    R = 4
    a = interpolant(ACTIVATIONS[act].expr, T, R, M)
    cert = certify_sup_error(a)
    pred = mpmath.mpf(sp.N(interpolation_prediction(ACTIVATIONS[act].expr, T, R, M), 30))
    assert cert.lower <= cert.upper <= pred
    assert cert.upper <= cert.lower * (1 + 2e-3)  # tight: the certificate is a bound, and nearly attained


def test_certificate_is_a_bound_not_a_sample():
    """A dense grid never exceeds the certified upper bound, and the certificate catches a planted bump."""
    a = interpolant(ACTIVATIONS["sigmoid"].expr, T, 3, 8)
    cert = certify_sup_error(a)
    grid = [Fraction(-3) + Fraction(6 * k, 5000) for k in range(5001)]
    worst = max(abs(float(a(t)) - 1 / (1 + mpmath.e ** (-float(t)))) for t in grid)
    assert worst <= float(cert.upper) + 1e-15
    bumped = interpolant(ACTIVATIONS["sigmoid"].expr + sp.exp(-400 * (T - sp.Rational(1, 7)) ** 2) / 100, T, 3, 8)
    assert certify_sup_error(bumped).upper > 0.009  # the narrow bump between knots is found


def test_square_loss_derivative_is_exact_with_two_units():
    u = square_loss_u_units()
    assert u.H == 2 and u.max_a_l1 == 1
    for t, y in [(Fraction(3, 7), Fraction(-5, 2)), (Fraction(-9), Fraction(4)), (Fraction(0), Fraction(0))]:
        assert u(t, y) == 2 * (t - y)


def test_residual_lift_keeps_l1_norm_at_most_one():
    z = sp.Symbol("z", real=True)
    a = interpolant(sp.tanh(z), z, 2, 6)
    lifted = residual_units(a)
    assert lifted.max_a_l1 <= 1
    for t, y in [(Fraction(1, 3), Fraction(1, 5)), (Fraction(-1), Fraction(1, 2))]:
        assert lifted(t, y) == a(t - y)


def test_relu_derivative_cannot_be_approximated_below_one_half():
    """F1: the step r' = 1(t>0) on [-1, 1]: the interpolant's sup error stays 1/2 for every M."""
    step = sp.Heaviside(T, 0)
    for M in (8, 64, 512):
        knots = uniform_knots(1, M)
        a = interpolant(step, T, 1, M)
        left = a(Fraction(-1, 10**9))
        right = a(Fraction(1, 10**9))
        assert max(abs(left - 0), abs(right - 1)) >= Fraction(1, 2) - Fraction(M, 10**9)
        assert len(knots) == M + 1
