"""Typed, timestamped events with causal links (DESIGN §7).

A *cascade* is a chain of forced sales linked by cause: a margin call in one
clearing round is caused by the forced sales of the round before it that hit the
same assets. :func:`cascades` follows those links and measures each chain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar


@dataclass(slots=True)
class Event:
    """Something that happened to one holder in one week."""

    week: int
    holder: str
    id: int = -1
    causes: tuple[int, ...] = ()
    type: ClassVar[str] = "Event"

    def to_dict(self) -> dict:
        """A JSON-ready record with the event type first."""
        return {"type": self.type, **asdict(self)}


@dataclass(slots=True)
class DryPowderExhausted(Event):
    """A holder's cash fell to its money demand: it has no dry powder left to pay with."""

    cash: float = 0.0
    money_demand: float = 0.0
    type: ClassVar[str] = "DryPowderExhausted"


@dataclass(slots=True)
class MarginCall(Event):
    """A leveraged holder's leverage passed its limit; it must deleverage."""

    leverage: float = 0.0
    limit: float = 0.0
    round: int = 0
    type: ClassVar[str] = "MarginCall"


@dataclass(slots=True)
class Redemption(Event):
    """Investors gave notice to withdraw ``amount`` from a fund, due in ``due_week``."""

    amount: float = 0.0
    trailing_return: float = 0.0
    due_week: int = 0
    type: ClassVar[str] = "Redemption"


@dataclass(slots=True)
class ForcedSale(Event):
    """Sales a holder had to make: ``reason`` is margin, redemption, commitment or funding."""

    reason: str = ""
    amount: float = 0.0
    by_asset: dict[str, float] = field(default_factory=dict)
    round: int = 0
    type: ClassVar[str] = "ForcedSale"


@dataclass(slots=True)
class MissedCommitment(Event):
    """A commitment (capital call) that could not be paid in full."""

    due: float = 0.0
    paid: float = 0.0
    type: ClassVar[str] = "MissedCommitment"


@dataclass(slots=True)
class BondIssued(Event):
    """A hyperscaler sold new bonds to fund capex."""

    amount: float = 0.0
    spread: float = 0.0
    type: ClassVar[str] = "BondIssued"


@dataclass(slots=True)
class CapexCut(Event):
    """A hyperscaler cut capex because its funding cost passed the hurdle."""

    funding_cost: float = 0.0
    cut_fraction: float = 0.0
    type: ClassVar[str] = "CapexCut"


@dataclass(slots=True)
class PolicyChange(Event):
    """The central bank changed its policy rate or balance-sheet pace."""

    policy_rate: float = 0.0
    previous_rate: float = 0.0
    qe_pace: float = 0.0
    reason: str = ""
    type: ClassVar[str] = "PolicyChange"


@dataclass(slots=True)
class Default(Event):
    """A holder's equity went below zero, or a payment it owed was not made."""

    shortfall: float = 0.0
    what: str = ""
    type: ClassVar[str] = "Default"


class EventLog:
    """Events in the order they happened, each with a unique id."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event) -> Event:
        """Record an event and give it its id."""
        event.id = len(self.events)
        self.events.append(event)
        return event

    def of_type(self, kind: type[Event]) -> list[Event]:
        """The recorded events of one type, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)


@dataclass(frozen=True)
class Cascade:
    """A chain of forced sales linked by cause."""

    size: float
    depth: int
    sales: int
    first_week: int
    last_week: int


def cascades(log: EventLog) -> list[Cascade]:
    """Group forced sales into cascades: connected chains of causal links.

    Sizes are in US$bn sold; depth is the number of sales on the longest causal
    chain (a lone forced sale has depth 1).
    Sorted largest first.
    """
    sales = {e.id: e for e in log.events if isinstance(e, ForcedSale)}
    parent = {i: i for i in sales}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    depth: dict[int, int] = {}
    for i in sorted(sales):
        links = [c for c in sales[i].causes if c in sales]
        depth[i] = 1 + max((depth[c] for c in links), default=0)
        for c in links:
            parent[find(i)] = find(c)
    groups: dict[int, list[int]] = {}
    for i in sales:
        groups.setdefault(find(i), []).append(i)
    found = [
        Cascade(
            size=sum(sales[i].amount for i in members),
            depth=max(depth[i] for i in members),
            sales=len(members),
            first_week=min(sales[i].week for i in members),
            last_week=max(sales[i].week for i in members),
        )
        for members in groups.values()
    ]
    return sorted(found, key=lambda c: c.size, reverse=True)
