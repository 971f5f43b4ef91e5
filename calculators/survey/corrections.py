"""Corrections of the displacement read at the mean draft: first and second (Nemoto) trim corrections
and the list correction (UN/ECE Code § 5.5).
"""

from __future__ import annotations

import math


def first_trim_correction(true_trim_m: float, lcf_m: float, tpc_t_cm: float, lbp_m: float) -> float:
    """First (layer) trim correction: moves the displacement from midships to the centre of flotation.

    Parameters
    ----------
    true_trim_m : float
        [m], positive by the stern.
    lcf_m : float
        LCF from midships [m], positive aft.
    tpc_t_cm : float
        [t/cm] at the mean draft.
    lbp_m : float
        [m]

    Returns
    -------
    float
        FTC = T × LCF × TPC × 100 / LBP [t]; positive when trim and LCF are on the same side (by the
        stern with LCF aft, or by the head with LCF forward), so all four cases need no sign table.

    References
    ----------
    UN/ECE Code (1992) § 5.5; docs/formulas.md A.7.
    """
    return true_trim_m * lcf_m * tpc_t_cm * 100.0 / lbp_m


def second_trim_correction(true_trim_m: float, mtc_difference_t_m_cm: float, lbp_m: float) -> float:
    """Second trim correction (Nemoto): allows for the shift of LCF with trim.

    Parameters
    ----------
    true_trim_m : float
        [m]
    mtc_difference_t_m_cm : float
        MTC at mean draft + 0.5 m minus MTC at mean draft − 0.5 m [t·m/cm], i.e. dM/dZ per metre.
    lbp_m : float
        [m]

    Returns
    -------
    float
        STC = 50 × T² × ΔMTC / LBP [t]; positive whatever the direction of trim.

    References
    ----------
    UN/ECE Code (1992) § 5.5; docs/formulas.md A.8.
    """
    return 50.0 * true_trim_m * true_trim_m * mtc_difference_t_m_cm / lbp_m


def list_correction(mid_port_m: float, mid_stbd_m: float, tpc_port_t_cm: float, tpc_stbd_t_cm: float) -> float:
    """List correction from the midship drafts and the TPC at each of them.

    Parameters
    ----------
    mid_port_m, mid_stbd_m : float
        Midship draft readings port and starboard [m].
    tpc_port_t_cm, tpc_stbd_t_cm : float
        TPC at the port and starboard midship drafts [t/cm].

    Returns
    -------
    float
        LC = 6 × |MP − MS| × |TPC_P − TPC_S| [t], always ≥ 0 (added to displacement).

    References
    ----------
    Surveyor practice (not in the UN/ECE Code); docs/formulas.md A.9.
    """
    return 6.0 * abs(mid_port_m - mid_stbd_m) * abs(tpc_port_t_cm - tpc_stbd_t_cm)


def list_angle_deg(mid_port_m: float, mid_stbd_m: float, breadth_m: float) -> float:
    """Angle of list [°] from the midship drafts across the breadth: atan(|MP − MS| / B)."""
    return math.degrees(math.atan(abs(mid_port_m - mid_stbd_m) / breadth_m))


__all__ = [
    "first_trim_correction",
    "list_angle_deg",
    "list_correction",
    "second_trim_correction",
]
