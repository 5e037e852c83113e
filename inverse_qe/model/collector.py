"""Mesa's ``DataCollector`` for the bathtub model, read from the recorder's arrays.

The :class:`~inverse_qe.model.recorder.Recorder` fills one preallocated row of
numbers per week, which is all the model's hot path pays. :class:`RecorderCollector`
is a :class:`mesa.DataCollector` whose model-level series *are* those rows:
``model_vars``, the collection steps and ``get_model_vars_dataframe()`` are
read from the arrays when asked for, so ``mesa.batch_run``, Mesa's plot
components and a user's ``model.datacollector.get_model_vars_dataframe()``
all work, and nothing is copied while the model runs.

The series are the recorder's columns (``water_level``, ``dry_powder``,
``policy_rate``, ``yield_10y``, ``price_<asset>``...): the same as
``timeseries.csv``, without its ``date`` column.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd


class RecorderCollector(mesa.DataCollector):
    """The recorder's weekly series, as Mesa's DataCollector shows model-level data.

    Args:
        recorder: the model's :class:`~inverse_qe.model.recorder.Recorder`.

    ``collect(model)`` does nothing: the model records every week itself (it
    calls ``collect`` each week, as a Mesa model does, so a collector of your
    own put in ``model.datacollector`` is fed too). There are no agent-level
    reporters: a sector's state is in the ledger, read with
    :func:`inverse_qe.results.balances`.
    """

    def __init__(self, recorder) -> None:
        self._recorder = recorder
        self._cache: tuple[int, dict[str, list]] | None = None
        super().__init__()
        # What each series is (an attribute-style description; never evaluated by collect).
        self.model_reporters = {column: column for column in recorder.columns}
        self._validated = True

    # Mesa's __init__ assigns these; they are views of the recorder instead.
    @property
    def model_vars(self) -> dict[str, list]:
        """Every series as a list, week 0 to the current week (Mesa's layout)."""
        week = self._recorder.model.week
        if self._cache is None or self._cache[0] != week:
            table = self._recorder.table()
            values = {
                name: (column.astype(int) if name == "week" else column).tolist()
                for name, column in table.items()
            }
            self._cache = (week, values)
        return self._cache[1]

    @model_vars.setter
    def model_vars(self, value: dict) -> None:
        pass  # always the recorder's

    @property
    def _collection_steps(self) -> list[int]:
        return list(range(self._recorder.model.week + 1))

    @_collection_steps.setter
    def _collection_steps(self, value: list) -> None:
        pass

    def collect(self, model) -> None:
        """Nothing to do: the recorder has this week's row already."""

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One row per week (the index is the week), one column per series."""
        table = self._recorder.table()
        frame = pd.DataFrame({k: v for k, v in table.items() if k != "week"})
        frame.index = pd.Index(np.asarray(table["week"], dtype=int), name="week")
        return frame
