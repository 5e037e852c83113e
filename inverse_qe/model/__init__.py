"""The model: ledger, markets, forced-selling engine, network, events and the Mesa model."""
