"""Named benchmark configurations, and how a scenario is scaled to N hedge funds.

Each configuration says which model to build (the default scenario, with its hedge-fund
strategies scaled to ``hedge_funds`` funds), how long to run it and how to time it:
``warmups`` untimed runs first, then ``replications`` timed runs for each of ``seeds``
seeds, keeping the fastest replication per seed (Mesa's benchmark protocol).

Scaling to N funds (``--fund-scaling``):

* ``split`` (the default): every strategy's ``count`` is scaled by N/100 keeping the
  strategy mix, and its total ``equity`` is kept, so the same hedge-fund sector is split
  among more, smaller funds. The economy is the same; only its granularity changes, so
  the macro results stay put (final prices agree with the 100-fund run to 3e-11 and
  forced sales by reason to 6e-4 or better up to 10,000 funds) and run time over N
  measures the cost of the funds, not a different crisis.
* ``replicate``: funds keep their size: ``count`` and ``equity`` are both scaled by
  N/100, and every asset's ``units`` is raised by the extra funds' opening holdings so
  that they fit (the value investors keep the same residual). The hedge-fund sector then
  owns most of every market and the crisis is a different one (at 3,000 funds it sells
  26 times as much), so it is offered for comparison, not used for the scaling fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Number of funds in the default scenario (the sum of its strategies' counts).
DEFAULT_SCENARIO = "dry_powder_exhaustion"
FUND_SCALINGS = ("split", "replicate")
#: Hedge-fund counts for the scaling fit (marginal cost per hedge-fund-week).
SCALING_FUNDS = (1_000, 3_000, 10_000, 30_000)
#: Monte Carlo: seeds of the default run through a process pool of each size.
MONTE_CARLO_SEEDS = 100
MONTE_CARLO_WORKERS = (1, 2)


@dataclass(frozen=True)
class Configuration:
    """One named benchmark.

    Attributes:
        name: the configuration's name.
        description: one line for people.
        hedge_funds: number of hedge funds (None: the scenario's own, 100).
        weeks: run length.
        seeds: how many seeds are timed (seeds 1..seeds).
        replications: timed runs per seed; the fastest is kept.
        warmups: untimed runs before timing.
        warmup_weeks: length of a warm-up run (None: ``weeks``). A short warm-up still
            exercises every code path and fills the caches; a long one only costs time.
        timeout: seconds before the configuration's subprocess is stopped and the
            configuration recorded as a timeout.
        kind: ``model`` (time construction and run), ``cli`` (time the whole ``inverse-qe
            run`` process) or ``monte_carlo`` (time a process pool).
        workers: pool sizes (monte_carlo only).
    """

    name: str
    description: str
    hedge_funds: int | None = None
    weeks: int = 104
    seeds: int = 5
    replications: int = 3
    warmups: int = 1
    warmup_weeks: int | None = None
    timeout: float = 600.0
    kind: str = "model"
    workers: tuple[int, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """A JSON-ready record of the configuration."""
        return asdict(self)


CONFIGURATIONS: dict[str, Configuration] = {
    c.name: c
    for c in (
        Configuration(
            "default",
            "the default scenario (100 hedge funds), 104 weeks",
            seeds=5,
            replications=3,
            warmups=2,
        ),
        Configuration(
            "large",
            "the default scenario with 10,000 hedge funds, 104 weeks",
            hedge_funds=10_000,
            seeds=3,
            replications=2,
            warmups=1,
            warmup_weeks=8,
        ),
        Configuration(
            "xlarge",
            "the default scenario with 100,000 hedge funds, 52 weeks",
            hedge_funds=100_000,
            weeks=52,
            seeds=2,
            replications=1,
            warmups=1,
            warmup_weeks=2,
        ),
        Configuration(
            "cli_run",
            "the whole `inverse-qe run` process: default scenario, files and figure",
            seeds=1,
            replications=3,
            warmups=1,
            timeout=300.0,
            kind="cli",
        ),
        Configuration(
            "monte_carlo",
            f"{MONTE_CARLO_SEEDS} seeds of the default through a process pool of 1 and 2 workers",
            seeds=MONTE_CARLO_SEEDS,
            replications=2,
            warmups=1,
            kind="monte_carlo",
            workers=MONTE_CARLO_WORKERS,
        ),
    )
}


def strategy_counts(base_counts: list[int], n_funds: int) -> list[int]:
    """Scale strategy counts to ``n_funds`` in total, keeping the mix (largest remainder)."""
    total = sum(base_counts)
    exact = [c * n_funds / total for c in base_counts]
    counts = [int(x) for x in exact]
    short = n_funds - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[:short]:
        counts[i] += 1
    return counts


def hedge_fund_overrides(scenario, n_funds: int | None, mode: str = "split") -> list[str]:
    """``--set`` overrides that give ``scenario`` ``n_funds`` hedge funds.

    Args:
        scenario: the loaded base scenario (for its strategies and assets).
        n_funds: number of funds wanted; None keeps the scenario as it is.
        mode: ``split`` (same sector, smaller funds) or ``replicate`` (funds keep their
            size, markets grow to hold them); see the module docstring.
    """
    if n_funds is None:
        return []
    if mode not in FUND_SCALINGS:
        raise ValueError(f"fund scaling must be one of {FUND_SCALINGS}, got {mode!r}")
    strategies = scenario.hedge_funds.strategies
    base = [s.count for s in strategies]
    counts = strategy_counts(base, n_funds)
    overrides = [f"hedge_funds.strategies.{i}.count={c}" for i, c in enumerate(counts)]
    if mode == "replicate":
        hf = scenario.hedge_funds
        extra = dict.fromkeys(scenario.assets, 0.0)
        for i, (s, c) in enumerate(zip(strategies, counts, strict=True)):
            factor = c / s.count if s.count else 0.0
            overrides.append(f"hedge_funds.strategies.{i}.equity={s.equity * factor!r}")
            # Opening positions (HedgeFunds.open_accounts): weights x (equity x leverage - cash).
            invested = s.equity * (s.leverage - hf.cash_share)
            total_weight = sum(s.weights.values())
            for asset, w in s.weights.items():
                extra[asset] += (factor - 1.0) * invested * w / total_weight
        for asset, units in extra.items():
            if units > 0:
                new_units = scenario.assets[asset].units + units / scenario.assets[asset].price
                overrides.append(f"assets.{asset}.units={new_units!r}")
    return overrides


def load_scenario(n_funds: int | None = None, mode: str = "split"):
    """The default scenario with ``n_funds`` hedge funds (see :func:`hedge_fund_overrides`).

    A scenario allows at most 10,000 funds per strategy; beyond that (30,000 and
    100,000 funds) each strategy is split into parts of at most 10,000 funds
    (``<name>_2``, ``<name>_3``...) sharing its equity pro rata: the same funds,
    the same sector, only more strategy entries.
    """
    from inverse_qe.scenarios.loader import load

    base = load(DEFAULT_SCENARIO)
    if n_funds is None:
        return base
    counts = strategy_counts([s.count for s in base.hedge_funds.strategies], n_funds)
    limit = 10_000
    if max(counts) <= limit:
        overrides = hedge_fund_overrides(base, n_funds, mode)
        return load(DEFAULT_SCENARIO, overrides) if overrides else base
    if mode != "split":
        raise ValueError("more than 10,000 funds per strategy: only the split scaling")
    # Validate a scenario at the limit, then split each strategy of the full count.
    small = load(DEFAULT_SCENARIO, hedge_fund_overrides(base, min(n_funds, limit), mode))
    strategies = []
    for s, count in zip(base.hedge_funds.strategies, counts, strict=True):
        parts = -(-count // limit)
        sizes = [count // parts + (1 if j < count % parts else 0) for j in range(parts)]
        for j, size in enumerate(sizes):
            name = s.name if j == 0 else f"{s.name}_{j + 1}"
            equity = s.equity * size / count if count else s.equity
            strategies.append(s.model_copy(update={"name": name, "count": size, "equity": equity}))
    hedge_funds = small.hedge_funds.model_copy(update={"strategies": strategies})
    return small.model_copy(update={"hedge_funds": hedge_funds})
