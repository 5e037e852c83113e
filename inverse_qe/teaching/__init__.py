"""Teaching the inverse-QE mechanism: the narrated run, the bathtub picture, the flow diagram.

* :mod:`~inverse_qe.teaching.narrative` writes a run's story from its event log
  and time series (``inverse-qe explain``).
* :mod:`~inverse_qe.teaching.tub` draws the metaphor literally -- the tub, the
  RRP side tank, taps and drains sized by their flows, assets as ducks -- and
  animates it week by week (``inverse-qe animate``).
* :mod:`~inverse_qe.teaching.flows` draws who paid whom over a run
  (``inverse-qe flows``).
* :mod:`~inverse_qe.teaching.commands` registers those commands and ``app``,
  which serves the dashboard in :mod:`inverse_qe.app`.
"""
