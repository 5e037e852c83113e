"""The lower-bound kernel: the hedge funds' weekly arithmetic as a bare numpy loop.

What the model does for N hedge funds each week, with no agents, no events, no ledger
flows and no data collection: the practical floor of its cost per hedge-fund-week.

Mirrors, in the model's order (``inverse_qe/model/bathtub.py``, the rules in
``inverse_qe/agents/hedge_fund.py``):

1. redemptions due (``HedgeFunds.payments_due``): cash pays first, the rest must be
   raised by selling;
2. re-levering buys toward the target leverage, borrowed from the prime brokers
   (``HedgeFunds.orders``, ``relever_orders``, credit rationed by the brokers' cash);
3. clearing of the funding sales and the buys (``model.clearing.clear`` ->
   ``model.firesale.run_fire_sale``): cash-need sales pro rata to holdings, buys in round
   one, all trades of a round at one price per asset with exponential price impact
   ``1 / (elasticity x depth x market value)``, up to ``FUNDING_ROUNDS`` rounds;
   redemptions are then paid;
4. the weekly price update: fundamental news and the decay of the flow distortion;
5. margin checks (``HedgeFunds.margin_terms``, cleared by ``BathtubModel._margin_checks``):
   valuation, leverage, haircuts raised by realised volatility, leverage limits, and up
   to ``MARGIN_ROUNDS`` rounds of deleveraging (repay from free cash, sell pro rata,
   clear with impact) until nobody is over its limit;
6. redemption notices (``HedgeFunds.notices``): trailing return of equity over the
   lookback, flow-performance fraction, due after the notice lag.

The rest of the economy is one absorber at the clearing price (it takes the net of every
round, as households and value investors do in the model). Sums over funds are taken in
sorted order, as ``firesale._sum_over_holders`` does to be independent of the order of
holders (``order_independent=False`` uses plain sums: the floor without that guarantee).

Run ``python benchmarks/kernel.py --funds 1000 10000 --weeks 104`` for its timings.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import numpy as np

FUNDING_ROUNDS = 4
MARGIN_ROUNDS = 6
WEEKS_PER_YEAR = 52.0
TOL = 1e-12


@dataclass
class KernelState:
    """Everything the loop touches: per-fund vectors, per-asset vectors, parameters."""

    units: np.ndarray  # funds x assets
    cash: np.ndarray
    debt: np.ndarray
    weights: np.ndarray  # funds x assets, target portfolio weights
    target: np.ndarray  # target leverage
    limit: np.ndarray  # leverage limit at base haircuts
    outstanding: np.ndarray  # units outstanding per asset (whole market)
    log_fundamental: np.ndarray
    distortion: np.ndarray
    elasticity: np.ndarray
    decay: np.ndarray
    volatility: np.ndarray
    base_haircut: np.ndarray
    drift: np.ndarray  # weekly earnings drift of the fundamental
    bank_cash: float
    params: dict
    #: Per week, the model's clearing rounds and market depth (:func:`model_drive`); None:
    #: stop when nobody trades, depth 1.
    drive: dict[str, np.ndarray] | None = None


def model_drive(scenario, weeks: int, seed: int = 1) -> dict[str, np.ndarray]:
    """How many clearing rounds the model runs each week, and its market depth.

    The kernel's cost is a fixed amount of O(funds x assets) arithmetic per clearing
    round, whatever the numbers in the arrays, so a fair floor runs as many rounds as the
    model does. A model run of ``scenario`` is instrumented (``run_fire_sale`` is wrapped
    in this process only, the model's code is untouched) to count, per week, the rounds of
    the funding clearing and of the margin cascade; the kernel then runs exactly those.
    """
    import inverse_qe.model.clearing as clearing
    from inverse_qe.model.bathtub import BathtubModel

    model = BathtubModel(scenario, seed=seed, weeks=weeks)
    funding, margin = np.zeros(weeks + 1, dtype=int), np.zeros(weeks + 1, dtype=int)
    original = clearing.run_fire_sale

    def counting(*args, **kwargs):
        result = original(*args, **kwargs)
        # Each week runs one funding clearing (no leverage limits) and one margin cascade.
        is_margin = np.isfinite(np.asarray(kwargs.get("leverage_limit", np.inf))).any()
        (margin if is_margin else funding)[model.week] += result.rounds
        return result

    clearing.run_fire_sale = counting
    try:
        model.run()
    finally:
        clearing.run_fire_sale = original
    return {
        "funding_rounds": funding[1:],
        "margin_rounds": margin[1:],
        "depth": model.recorder.series("market_depth")[1:].copy(),
    }


def build_state(
    scenario, n_funds: int | None, seed: int = 1, drive: dict | None = None
) -> KernelState:
    """Funds sized and positioned as ``agents.hedge_fund.HedgeFunds`` does (``split`` scaling).

    ``drive`` is :func:`model_drive`'s result, or None for random news.
    """
    from configurations import strategy_counts

    rng = np.random.default_rng([seed, 2])
    assets = list(scenario.assets)
    spec = scenario.assets
    hf = scenario.hedge_funds
    base = [s.count for s in hf.strategies]
    counts = base if n_funds is None else strategy_counts(base, n_funds)
    n = sum(counts)
    weights = np.zeros((n, len(assets)))
    target, limit, sizes = np.zeros(n), np.zeros(n), np.zeros(n)
    start = 0
    for strategy, count in zip(hf.strategies, counts, strict=True):
        block = slice(start, start + count)
        draws = rng.lognormal(0.0, hf.size_dispersion, count)
        sizes[block] = strategy.equity * draws / draws.sum() if count else 0.0
        w = np.array([strategy.weights.get(a, 0.0) for a in assets])
        weights[block] = w / w.sum()
        target[block] = strategy.leverage
        limit[block] = strategy.leverage_limit
        start += count
    column = lambda field: np.array([getattr(spec[a], field) for a in assets], dtype=float)  # noqa: E731
    price = column("price")
    gross = sizes * target
    cash = hf.cash_share * sizes
    units = weights * (gross - cash)[:, None] / price
    return KernelState(
        units=units,
        cash=cash,
        debt=gross - sizes,
        weights=weights,
        target=target,
        limit=limit,
        outstanding=column("units"),
        log_fundamental=np.log(price),
        distortion=np.zeros(len(assets)),
        elasticity=column("elasticity"),
        decay=np.log(2.0) / column("distortion_half_life"),
        volatility=column("volatility"),
        base_haircut=column("haircut"),
        drift=column("earnings_growth") / WEEKS_PER_YEAR,
        bank_cash=float(hf.prime_broker_cash),
        params={
            "cash_share": hf.cash_share,
            "relever_speed": hf.relever_speed,
            "haircut_volatility_beta": hf.haircut_volatility_beta,
            "deleverage_buffer": hf.deleverage_buffer,
            "lookback": hf.redemption_lookback,
            "threshold": hf.redemption_threshold,
            "sensitivity": hf.redemption_sensitivity,
            "maximum": hf.redemption_max,
            "notice": max(hf.redemption_notice, 1),
            "volatility_half_life": scenario.markets.volatility_half_life,
            "margin_buffer": scenario.markets.margin_buffer,
        },
        drive=drive,
    )


def _column_sum(x: np.ndarray, order_independent: bool) -> np.ndarray:
    return np.sort(x, axis=0).sum(axis=0) if order_independent else x.sum(axis=0)


def _clear_rounds(
    st: KernelState,
    price: np.ndarray,
    rounds: int,
    need: np.ndarray | None,
    buys: np.ndarray | None,
    limit: np.ndarray | None,
    target: np.ndarray | None,
    order_independent: bool,
    depth: float = 1.0,
    exact: bool = False,
) -> tuple[int, int]:
    """Rounds of selling (cash needs, deleveraging) and buying at one price per asset.

    Stops when nobody trades, or with ``exact`` runs all ``rounds`` rounds (the model's
    count) whatever the numbers.

    Updates units, cash, debt and the distortion (hence prices) in place; returns the
    number of rounds that traded and the number of forced sales (fund-rounds).
    """
    impact = 1.0 / (st.elasticity * depth * np.maximum(price * st.outstanding, 1e-9))
    need_left = None if need is None else need.copy()
    reserved = np.zeros(st.cash.size)
    done = sellers = 0
    for r in range(rounds):
        value = st.units * price
        book = value.sum(axis=1)
        gross = book + st.cash
        equity = gross - st.debt
        threshold = TOL * np.maximum(gross, 1.0)
        forced = np.zeros(st.cash.size)
        delever = forced
        if limit is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                lev = np.where(equity > 0, gross / np.where(equity > 0, equity, 1.0), np.inf)
            lev = np.where(st.debt > 0, lev, 1.0)
            bankrupt = (equity <= 0) & (st.debt > 0)
            shrink = np.where(
                (equity > 0) & (st.debt > 0),
                np.maximum(gross - target * np.maximum(equity, 0.0), 0.0),
                0.0,
            )
            shrink = np.where(bankrupt, gross, shrink)
            shrink = np.where((lev > limit) & (shrink >= threshold), shrink, 0.0)
            free = np.maximum(st.cash - reserved, 0.0)
            repaid = np.minimum(np.minimum(free, shrink), st.debt)
            st.cash -= repaid
            st.debt -= repaid
            delever = np.minimum(np.minimum(shrink - repaid, st.debt), book)
            delever = np.where(delever >= threshold, delever, 0.0)
            forced = delever
        if need_left is not None:
            need_sale = np.minimum(np.where(need_left >= threshold, need_left, 0.0), book - forced)
            need_sale = np.where(need_sale >= threshold, need_sale, 0.0)
            forced = forced + need_sale
        fraction = np.where(book > 0, np.minimum(forced / np.where(book > 0, book, 1.0), 1.0), 0.0)
        sold = value * fraction[:, None]
        bought = None
        if r == 0 and buys is not None:
            wanted = buys.sum(axis=1)
            budget = np.maximum(st.cash - reserved, 0.0)
            scale = np.where(wanted > budget, budget / np.where(wanted > 0, wanted, 1.0), 1.0)
            bought = buys * scale[:, None]
        if not exact and not forced.any() and bought is None:
            break
        done += 1
        sellers += int(np.count_nonzero(forced))
        net = _column_sum(sold, order_independent)
        if bought is not None:
            net = net - _column_sum(bought, order_independent)
        factor = np.exp(np.clip(-impact * net, -50.0, 50.0))
        proceeds = (sold * factor).sum(axis=1)
        share = np.where(forced > 0, delever / np.where(forced > 0, forced, 1.0), 0.0)
        delever_proceeds = proceeds * share
        repay = np.minimum(delever_proceeds, st.debt)
        st.debt -= repay
        cash_in = proceeds - repay
        if bought is not None:
            cash_in = cash_in - bought.sum(axis=1)
        st.cash = np.maximum(st.cash + cash_in, 0.0)
        if need_left is not None:
            need_proceeds = proceeds - delever_proceeds
            reserved += np.minimum(need_proceeds, need_left)
            need_left = np.maximum(need_left - need_proceeds, 0.0)
        # Book in units at the round's prices: sellers at the pre-round mark, buyers after.
        post = price * factor
        st.units = np.maximum(st.units - sold / price, 0.0)
        if bought is not None:
            st.units += bought / post
        st.distortion += np.log(factor)
        price = post
    return done, sellers


def run_kernel(
    st: KernelState, weeks: int, seed: int = 1, *, order_independent: bool = True
) -> dict:
    """Run the weekly loop; returns counters that show how much work was done."""
    p = st.params
    news = np.random.default_rng([seed, 1]).standard_normal((weeks + 1, st.elasticity.size))
    n = st.cash.size
    pending = np.zeros((weeks + 2, n))
    lookback = p["lookback"]
    equity_history = np.zeros((lookback + 1, n))  # ring buffer
    log_prices = [st.log_fundamental + st.distortion]
    downside_variance = st.volatility**2
    counters = dict.fromkeys(
        ("funding_rounds", "margin_rounds", "forced_sales", "margin_calls", "redemptions"), 0
    )
    drive = st.drive
    if drive is not None and drive["depth"].size < weeks:
        raise ValueError(f"the model drive covers {drive['depth'].size} weeks, not {weeks}")
    for w in range(1, weeks + 1):
        depth = 1.0 if drive is None else float(drive["depth"][w - 1])
        funding_rounds = FUNDING_ROUNDS if drive is None else int(drive["funding_rounds"][w - 1])
        margin_rounds = MARGIN_ROUNDS if drive is None else int(drive["margin_rounds"][w - 1])
        price = np.exp(st.log_fundamental + st.distortion)
        # 1. Redemptions due: cash pays first, the rest is raised by selling.
        due = pending[w]
        need = np.maximum(due - st.cash, 0.0)
        # 2. Re-levering toward target (relever_orders), credit rationed by the brokers.
        value = st.units * price
        invested = value.sum(axis=1)
        equity = invested + st.cash - st.debt
        desired_cash = p["cash_share"] * np.maximum(equity, 0.0)
        desired = np.maximum(st.target * equity - desired_cash, 0.0)
        gap = np.where(equity > 0, np.maximum(desired - invested, 0.0), 0.0)
        under = np.maximum(st.weights * desired[:, None] - value, 0.0)
        total = under.sum(axis=1)
        scale = np.where(total > 0, p["relever_speed"] * gap / np.where(total > 0, total, 1.0), 0.0)
        buys = under * np.minimum(scale, 1.0)[:, None]
        borrowing = np.maximum(buys.sum(axis=1) - np.maximum(st.cash - desired_cash, 0.0), 0.0)
        if borrowing.sum() > st.bank_cash:
            ration = st.bank_cash / borrowing.sum()
            borrowing *= ration
            buys *= ration
        st.bank_cash -= borrowing.sum()
        st.cash += borrowing
        st.debt += borrowing
        # 3. Funding sales and buys cleared together; then redemptions are paid.
        rounds, sellers = _clear_rounds(
            st,
            price,
            funding_rounds,
            need,
            buys,
            None,
            None,
            order_independent,
            depth,
            drive is not None,
        )
        counters["funding_rounds"] += rounds
        counters["forced_sales"] += sellers
        paid = np.minimum(due, st.cash)
        st.cash -= paid
        # 4. Prices: news and the decay of the flow distortion.
        st.log_fundamental += st.drift + st.volatility * news[w] / np.sqrt(WEEKS_PER_YEAR)
        st.distortion *= np.exp(-st.decay * depth)
        price = np.exp(st.log_fundamental + st.distortion)
        # 5. Margin checks: haircuts rise with realised volatility; limits shrink.
        fall = np.minimum(np.log(price) - log_prices[-1], 0.0)
        weight = 1.0 - 0.5 ** (1.0 / p["volatility_half_life"])
        downside_variance += weight * (2.0 * fall**2 * WEEKS_PER_YEAR - downside_variance)
        ratio = np.maximum(1.0, np.sqrt(downside_variance) / st.volatility)
        factor = np.maximum(1.0, ratio ** p["haircut_volatility_beta"] / (1.0 + p["margin_buffer"]))
        haircut = np.minimum(0.95, st.base_haircut * np.minimum(3.0, factor))
        value = st.units * price
        book = value.sum(axis=1)
        mix = value / np.maximum(book, 1e-12)[:, None]
        base_h, now_h = mix @ st.base_haircut, mix @ haircut
        ratio = np.divide(base_h, now_h, out=np.ones_like(base_h), where=now_h > 0)
        limits = np.maximum(1.0, st.limit * ratio)
        targets = np.maximum(1.0, limits * (1.0 - p["deleverage_buffer"]))
        gross = book + st.cash
        eq = gross - st.debt
        lev = np.where(eq > 0, gross / np.where(eq > 0, eq, 1.0), np.inf)
        counters["margin_calls"] += int((lev > limits).sum())
        rounds, sellers = _clear_rounds(
            st,
            price,
            margin_rounds,
            None,
            None,
            limits,
            targets,
            order_independent,
            depth,
            drive is not None,
        )
        counters["margin_rounds"] += rounds
        counters["forced_sales"] += sellers
        price = np.exp(st.log_fundamental + st.distortion)
        # 6. Redemption notices after poor trailing returns.
        equity = (st.units * price).sum(axis=1) + st.cash - st.debt
        equity_history[w % (lookback + 1)] = equity
        if w > lookback:
            past = equity_history[(w - lookback) % (lookback + 1)]
            trailing = np.where(past > 0, equity / np.where(past > 0, past, 1.0) - 1.0, -1.0)
            already = pending[w + 1 :].sum(axis=0)
            fraction = np.clip(p["sensitivity"] * (p["threshold"] - trailing), 0.0, p["maximum"])
            amount = np.where(already > 0, 0.0, fraction * np.maximum(equity, 0.0))
            pending[min(w + p["notice"], weeks + 1)] += amount
            counters["redemptions"] += int((amount > 1e-6).sum())
        log_prices.append(np.log(price))
    counters["final_prices"] = np.exp(st.log_fundamental + st.distortion).tolist()
    return counters


def time_kernel(
    scenario,
    n_funds: int,
    weeks: int,
    *,
    seed: int = 1,
    replications: int = 3,
    order_independent: bool = True,
    drive: dict | None = None,
) -> dict:
    """Fastest of ``replications`` timed runs (after one short warm-up), GC off while timing.

    ``drive``: :func:`model_drive`'s result (the model's rounds per week), or None.
    """
    import gc

    run_kernel(build_state(scenario, n_funds, seed, drive), min(weeks, 4), seed)
    best, best_cpu, counters = np.inf, np.inf, {}
    for _ in range(replications):
        st = build_state(scenario, n_funds, seed, drive)
        gc.collect()
        gc.disable()
        try:
            c0, t0 = time.process_time(), time.perf_counter()
            counters = run_kernel(st, weeks, seed, order_independent=order_independent)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            gc.enable()
        best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
    counters.pop("final_prices", None)
    return {
        "hedge_funds": n_funds,
        "weeks": weeks,
        "run": best,
        "run_cpu": best_cpu,
        "per_fund_week_us": best / (n_funds * weeks) * 1e6,
        "per_fund_week_cpu_us": best_cpu / (n_funds * weeks) * 1e6,
        "order_independent": order_independent,
        "driven_by_model": drive is not None,
        **counters,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, nargs="+", default=[1_000, 3_000, 10_000, 30_000])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--plain-sums", action="store_true", help="sum without sorting")
    parser.add_argument(
        "--free-rounds",
        action="store_true",
        help="stop clearing when nobody trades instead of running the model's rounds",
    )
    args = parser.parse_args(argv)
    from configurations import load_scenario

    scenario = load_scenario()
    drive = None if args.free_rounds else model_drive(scenario, args.weeks)
    for n in args.funds:
        result = time_kernel(
            scenario,
            n,
            args.weeks,
            replications=args.replications,
            order_independent=not args.plain_sums,
            drive=drive,
        )
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
