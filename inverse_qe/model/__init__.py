"""Shared mechanics and the Mesa model.

The ledger, markets, clearing and fire-sale engine, the water in the tub, events,
the record and the network; ``bathtub`` builds them with the sectors of
``inverse_qe.agents`` and runs the week.
"""
