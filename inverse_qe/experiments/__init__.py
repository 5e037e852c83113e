"""Experiments over many runs (Monte Carlo, sweeps). Not yet built: see the issue tracker."""
