"""The sectors of the economy, one module and one class each.

Each class holds its sector's ledger rows and state and answers every phase of
the week for the whole sector (``open_accounts``, ``receive_income``,
``payments_due``, ``orders``, ``settle``, ``update_money_demand``, and the
hedge funds' ``margin_terms`` and ``notices``); every rule the sector follows and
every event it raises is in its module. ``portfolio`` holds the rules several
investors share. ``docs/architecture.md`` maps each phase and sector to its method.
"""
