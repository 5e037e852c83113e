"""DESIGN §9: the stylized facts, each over 30 seeds with common random numbers.

Seeds 1000-1029 were never used while the model was calibrated (that used seeds
0-11 and 100-129), so these are out-of-sample checks. Each fact asserts the
direction of a paired effect with a 95% bootstrap interval that excludes zero and
a paired sign test at 5%, plus the bounds it states (see :mod:`inverse_qe.facts`).
One part of one fact does not hold on the current model; it is asserted as an
expected failure (strict: the test fails the day it starts to hold, so the
docs can be updated), with the reason. Slow: run with ``pytest -m slow``.
"""

from __future__ import annotations

import pytest

from inverse_qe.facts import FACTS, REGIME_LEVELS, judge, multipliers_at

SEEDS = range(1000, 1030)
#: The full cycle's late crisis makes paired gaps noisy (seed to seed they differ by
#: thousands of US$bn), so its fact is measured on twice the seeds.
FULL_CYCLE_SEEDS = range(1000, 1060)

pytestmark = pytest.mark.slow

#: Facts asserted whole.
WHOLE = [k for k in sorted(FACTS) if k not in (10, 13)]


def failed(result) -> str:
    return (
        f"fact {result.fact} ({result.claim}) failed: effect {result.effect:.4g} "
        f"[{result.ci_low:.4g}, {result.ci_high:.4g}], sign-test p={result.p_value:.3g}, "
        f"details {result.details}"
    )


@pytest.fixture(scope="module")
def fact_10():
    return FACTS[10](FULL_CYCLE_SEEDS)


@pytest.fixture(scope="module")
def fact_13():
    return FACTS[13](SEEDS)


@pytest.mark.parametrize("fact", WHOLE)
def test_stylized_fact_holds_over_30_seeds(fact):
    result = FACTS[fact](SEEDS)
    assert result.seeds == 30
    assert result.holds, failed(result)


def test_full_cycle_capex_effect_rises_while_dry_powder_lasts_then_turns_negative(fact_10):
    # Positive half way to the peak, significantly higher at the peak, significantly lower
    # at the end than at the peak (paired over seeds).
    d = fact_10.details
    assert d["rises_to_its_peak"] and d["falls_after_its_peak"], failed(fact_10)


def test_full_cycle_capex_effect_ends_significantly_negative(fact_10):
    assert fact_10.ci_high < 0, failed(fact_10)


def test_full_cycle_capex_effect_peaks_within_13_weeks_of_exhaustion(fact_10):
    # The mean effect peaks as the first seeds run out of net liquidity, so its peak
    # comes before the mean exhaustion week (measured 12-14 weeks before it).
    assert fact_10.details["peak_within_13_weeks_of_exhaustion"], failed(fact_10)
    assert fact_10.holds, failed(fact_10)


def test_full_cycle_capex_effect_turns_at_each_seeds_own_exhaustion(fact_10):
    # Set on each seed's own exhaustion week, the mean effect peaks close to it (one week
    # before it on the calibration seeds 100-129): the flip follows the seed's dry
    # powder, not the calendar.
    assert abs(fact_10.details["aligned_peak_weeks_from_own_exhaustion"]) <= 13, failed(fact_10)


def test_the_multiplier_rises_with_initial_dry_powder_and_is_negative_when_short(fact_13):
    d = fact_13.details
    assert d["rising"] and d["bottom_negative"], failed(fact_13)
    assert fact_13.ci_low > 0, failed(fact_13)


@pytest.mark.xfail(
    strict=True,
    reason="where money is ample in both arms every money channel of AI spending is bounded by"
    " zero (capex moves money, and dry powder is deployed in the twin too); the income it"
    " creates (memory makers' earnings, Kalecki's profits) counts only as far as AI spending"
    " grows after the first week, and lifts the top to a few cents below zero; no single"
    " assumption turns it within a factor of two of its value (docs/validation.md, 'What"
    " would turn fact 13's top')",
)
def test_the_multiplier_is_positive_at_the_top_of_the_dry_powder_axis(fact_13):
    assert fact_13.details["top_positive"], failed(fact_13)


def test_the_leak_is_what_holds_the_top_of_the_dry_powder_axis_down():
    # The mechanism behind fact 13's expected failure (docs/validation.md, "What would turn
    # fact 13's top"): where money is ample, what keeps AI spending from lifting prices is
    # the share of it that leaks out of the tub. With every dollar suppliers receive
    # coming back (suppliers.recycling=1), the top's multiplier is higher, seed by seed.
    # (Measured on these seeds: -0.076 in the base, +0.019 [-0.002, +0.035] without the
    # leak, 0.095 [0.089, 0.102] higher seed by seed; on the calibration seeds 100-129
    # the top without the leak is significantly positive, +0.047 [+0.030, +0.068].)
    top = REGIME_LEVELS[-1]
    base = multipliers_at((top,), SEEDS)[top]
    no_leak = multipliers_at((top,), SEEDS, ("suppliers.recycling=1.0",))[top]
    result = judge(13, "", "top without the leak minus the base's", no_leak - base, +1)
    assert result.holds, failed(result)


def test_without_ai_spending_the_drawdowns_are_the_news_with_little_added():
    # Fact 9's 'at rest', seed by seed: the twin's drawdown against the drawdown the
    # same news gives with no flows and no rate moves. The model's own loops (money
    # demand, scarcity, margins, cascades) may add to it, but not manufacture a crash:
    # measured +0.4 (seeds 100-129) and +0.7 points (2000-2029) in the median.
    d = FACTS[9](SEEDS).details
    assert d["drawdown_added_interval"][1] < 0.05, d
    assert d["twin_median_drawdown"] < d["twin_news_only_median_drawdown"] + 0.05, d
