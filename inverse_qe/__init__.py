"""inverse-qe: an agent-based model of liquidity in which AI capex acts as inverse QE."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inverse-qe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
