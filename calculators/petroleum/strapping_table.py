"""Tank strapping (capacity) table: total observed volume from an innage level.

References
----------
.. [1] API MPMS Chapter 2.2A (tank calibration) and Chapter 12.1.1, §12.1.1.7 (TOV from the capacity
   table by linear interpolation between its rows). The table is never extrapolated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bulkdaq.errors import BulkdaqError


class OutsideStrappingTable(BulkdaqError, ValueError):
    """A level outside the strapping table; the table is never extrapolated."""


class InvalidStrappingTable(BulkdaqError, ValueError):
    """A strapping table that cannot be interpolated (too short, levels not increasing, volume falling).

    Attributes
    ----------
    row : int or None
        Index of the first offending row, when one is to blame.
    """

    def __init__(self, message: str, row: int | None = None) -> None:
        self.row = row
        super().__init__(message)


@dataclass(frozen=True)
class StrappingTable:
    """A tank's capacity table: volume at each innage level.

    Parameters
    ----------
    levels_m : array_like
        Innage levels [m], strictly increasing.
    volumes_m3 : array_like
        Total observed volume at each level [m³], never decreasing.

    Raises
    ------
    InvalidStrappingTable
        Fewer than two rows, unequal lengths, non-finite values, levels not strictly increasing or
        volumes decreasing.
    """

    levels_m: NDArray[np.float64]
    volumes_m3: NDArray[np.float64]

    def __init__(self, levels_m: ArrayLike, volumes_m3: ArrayLike) -> None:
        levels = np.asarray(levels_m, dtype=np.float64).ravel()
        volumes = np.asarray(volumes_m3, dtype=np.float64).ravel()
        if levels.size != volumes.size:
            raise InvalidStrappingTable(f"{levels.size} levels but {volumes.size} volumes")
        if levels.size < 2:
            raise InvalidStrappingTable(f"a strapping table needs at least 2 rows, not {levels.size}")
        for name, values in (("level", levels), ("volume", volumes)):
            bad = ~np.isfinite(values)
            if np.any(bad):
                row = int(np.argmax(bad))
                raise InvalidStrappingTable(f"row {row}: {name} {values[row]!r} is not a finite number", row)
        steps = np.diff(levels) <= 0
        if np.any(steps):
            row = int(np.argmax(steps)) + 1
            raise InvalidStrappingTable(
                f"row {row}: level {levels[row]:.10g} m does not increase from {levels[row - 1]:.10g} m", row
            )
        falls = np.diff(volumes) < 0
        if np.any(falls):
            row = int(np.argmax(falls)) + 1
            raise InvalidStrappingTable(
                f"row {row}: volume {volumes[row]:.10g} m³ is less than {volumes[row - 1]:.10g} m³ at the "
                "level below",
                row,
            )
        object.__setattr__(self, "levels_m", levels)
        object.__setattr__(self, "volumes_m3", volumes)

    def volume_at(self, level_m: ArrayLike) -> NDArray[np.float64] | np.float64:
        """Total observed volume at an innage level, linearly interpolated.

        Parameters
        ----------
        level_m : array_like
            Innage level [m].

        Returns
        -------
        numpy.ndarray or numpy.float64
            TOV [m³], unrounded.

        Raises
        ------
        OutsideStrappingTable
            A level below the first or above the last row.

        References
        ----------
        .. [1] API MPMS Chapter 12.1.1, §12.1.1.7.
        """
        level = np.asarray(level_m, dtype=np.float64)
        low, high = self.levels_m[0], self.levels_m[-1]
        bad = ~((level >= low) & (level <= high))
        if np.any(bad):
            value = level[np.unravel_index(int(np.argmax(bad)), bad.shape)] if level.ndim else level
            raise OutsideStrappingTable(
                f"level {float(value):.10g} m is outside the strapping table {low:.10g} … {high:.10g} m; "
                "the table is never extrapolated"
            )
        volume = np.interp(level, self.levels_m, self.volumes_m3)
        return volume if np.ndim(volume) else np.float64(volume)


__all__ = [
    "InvalidStrappingTable",
    "OutsideStrappingTable",
    "StrappingTable",
]
