"""The real economy: everything outside the financial tub.

Capex that suppliers do not recycle and the treasury's deficit spending flow in
here (plant, wages, imports). It pays hyperscalers' operating cash flow and the
sovereign funds' oil revenue (they ask for it in their ``receive_income``), and
returns a fraction ``return_rate`` of its balance to households each week as
savings, so a leak from the tub is a delay, not a hole. It pays only what it
has: a payment it cannot make in full is a ``Default`` event, never a negative
balance.

It is also where AI spending becomes income. Spending on plant and equipment is
revenue to the firms that build it, wages to their workers and, as the wages are
spent, revenue again, while it is no expense of the investor's in the year it is
made: Kalecki's profit equation (aggregate profits = investment + capitalists'
consumption + the government deficit + net exports - households' saving;
Kalecki 1971, Levy and Levy 1983) makes every dollar of extra investment a dollar
of extra profits, less what leaks abroad (chips and servers are largely
imported) and what wage earners save. ``profit_pass_through`` is the share that
stays: each week's profits are ``profits`` plus that share of the AI spending
memory makers do not already book as their own earnings, and the growth of their
smoothed record moves equities' fundamentals (each in proportion to its
``profits_beta``). The equation's other terms sit at the levels the opening
prices value (the deficit's path and net exports are not income in this model),
so here only AI spending moves the economy's profits.
"""

from __future__ import annotations

import mesa

from inverse_qe.model.events import Default
from inverse_qe.model.markets import SmoothedEarnings


class RealEconomy(mesa.Agent):
    """The ``real_economy`` node: a cash balance that pays out with a lag."""

    def __init__(self, model, row: int, spec):
        super().__init__(model)
        self.name = "real_economy"
        self.row = row
        self.spec = spec
        self.return_rate = spec.return_rate
        self.profits = SmoothedEarnings()
        self.profits_growth = 0.0  # this week's, read by the price update

    def open_accounts(self) -> None:
        """Its opening cash."""
        self.model.ledger.open_account(self.name, self.spec.cash)

    def savings(self, cash: float) -> float:
        """Savings paid to households this week: a fixed fraction of the balance."""
        return self.return_rate * max(cash, 0.0)

    def pay_savings(self) -> None:
        """This week's savings into household deposits."""
        cash = self.model.ledger.cash[self.row]
        self.pay(self.model.rows.households, self.savings(cash), "savings")

    def earn_profits(self, ai_spending: float) -> None:
        """This week's profits across the economy, with what ``ai_spending`` adds to them."""
        spec = self.spec
        self.profits_growth = self.profits.growth(
            spec.profits + spec.profit_pass_through * ai_spending
        )

    def pay(self, target: int, amount: float, kind: str) -> None:
        """Pay ``amount`` to ledger row ``target``, or as much of it as the balance allows."""
        model = self.model
        paid = min(amount, max(model.ledger.cash[self.row], 0.0))
        if paid < amount - 1e-9:
            model.events.add(
                Default(week=model.week, holder=self.name, shortfall=amount - paid, what=kind)
            )
        model.ledger.pay(self.row, target, paid, kind)
