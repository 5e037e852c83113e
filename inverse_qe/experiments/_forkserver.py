"""Preloaded by the process pool's forkserver: it dies with the command that started it.

The forkserver outlives a command killed with SIGKILL otherwise (and keeps its
workers and the resource tracker alive with it). Importing this module in the
forkserver sets its parent-death signal; its workers set their own
(:func:`inverse_qe.lifeline.bind_to`), so they follow it.
"""

from inverse_qe.lifeline import set_parent_death_signal

set_parent_death_signal()
