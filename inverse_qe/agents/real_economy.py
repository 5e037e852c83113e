"""The real economy: everything outside the financial tub.

Capex that suppliers do not recycle and the treasury's deficit spending flow in
here (plant, wages, imports). It pays hyperscalers' operating cash flow and the
sovereign funds' oil revenue (they ask for it in their ``receive_income``), and
returns a fraction ``return_rate`` of its balance to households each week as
savings, so a leak from the tub is a delay, not a hole. It pays only what it
has: a payment it cannot make in full is a ``Default`` event, never a negative
balance.
"""

from __future__ import annotations

import mesa

from inverse_qe.model.events import Default


class RealEconomy(mesa.Agent):
    """The ``real_economy`` node: a cash balance that pays out with a lag."""

    def __init__(self, model, row: int, spec):
        super().__init__(model)
        self.name = "real_economy"
        self.row = row
        self.spec = spec
        self.return_rate = spec.return_rate

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

    def pay(self, target: int, amount: float, kind: str) -> None:
        """Pay ``amount`` to ledger row ``target``, or as much of it as the balance allows."""
        model = self.model
        paid = min(amount, max(model.ledger.cash[self.row], 0.0))
        if paid < amount - 1e-9:
            model.events.add(
                Default(week=model.week, holder=self.name, shortfall=amount - paid, what=kind)
            )
        model.ledger.pay(self.row, target, paid, kind)
