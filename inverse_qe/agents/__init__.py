"""The agents, one module per type; each decision rule is short and in economic terms."""
