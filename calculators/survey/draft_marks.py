"""From the draft marks to one mean draft: length between marks, perpendicular corrections, the
quarter mean (or the river and barge variants) and the hog/sag label (UN/ECE Code § 5).
"""

from __future__ import annotations

from calculators.survey.inputs import MEAN_METHODS, MeanMethod, SurveyInputError


def length_between_marks(lbp_m: float, fwd_offset_m: float, aft_offset_m: float) -> float:
    """Length between the forward and aft draft marks.

    Parameters
    ----------
    lbp_m : float
        Length between perpendiculars [m].
    fwd_offset_m, aft_offset_m : float
        Signed offsets of the forward and aft marks from their perpendiculars [m], positive forward.

    Returns
    -------
    float
        LBM = LBP − d_A + d_F [m].

    References
    ----------
    UN/ECE Code (1992) § 5.3; docs/formulas.md A.3.
    """
    return lbp_m - aft_offset_m + fwd_offset_m


def perpendicular_correction(mark_offset_m: float, apparent_trim_m: float, length_between_marks_m: float) -> float:
    """Correction that moves a mark reading to its perpendicular (or to midships).

    Parameters
    ----------
    mark_offset_m : float
        Signed offset of the mark from its perpendicular [m], positive when the mark is forward of it.
    apparent_trim_m : float
        Aft mean − forward mean of the mark readings [m], positive by the stern.
    length_between_marks_m : float
        [m].

    Returns
    -------
    float
        Correction [m] to add to the mark reading: d × t / LBM. By the stern, a forward mark aft of
        the FP gets a negative correction and an aft mark forward of the AP a positive one.

    References
    ----------
    UN/ECE Code (1992) § 5.3; docs/formulas.md A.4.
    """
    return mark_offset_m * apparent_trim_m / length_between_marks_m


def mean_of_means(fwd_m: float, mid_m: float, aft_m: float, method: MeanMethod = "quarter_mean") -> float:
    """The mean draft entered into the tables, allowing for deflection.

    Parameters
    ----------
    fwd_m, mid_m, aft_m : float
        Drafts corrected to the perpendiculars and midships [m].
    method : {'quarter_mean', 'river', 'barge'}
        (F + 6M + A)/8 (the Code's quarter mean, mean of mean of means), (F + 4M + A)/6 (Simpson, used
        for river craft) or (3F + 14M + 3A)/20 (barges, fuller hull form).

    Returns
    -------
    float
        [m]

    References
    ----------
    UN/ECE Code (1992) § 5.3 (quarter mean); surveyor practice for the river and barge variants.
    """
    if method == "quarter_mean":
        return (fwd_m + 6.0 * mid_m + aft_m) / 8.0
    if method == "river":
        return (fwd_m + 4.0 * mid_m + aft_m) / 6.0
    if method == "barge":
        return (3.0 * fwd_m + 14.0 * mid_m + 3.0 * aft_m) / 20.0
    raise SurveyInputError(f"unknown mean method {method!r}; expected one of {', '.join(MEAN_METHODS)}")


def deflection_label(deflection_m: float) -> str:
    """'sag' when midships is deeper than the fore-and-aft mean, 'hog' when shallower, else 'none'."""
    if deflection_m > 0:
        return "sag"
    if deflection_m < 0:
        return "hog"
    return "none"


__all__ = [
    "deflection_label",
    "length_between_marks",
    "mean_of_means",
    "perpendicular_correction",
]
