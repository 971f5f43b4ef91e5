"""Belt weighers (continuous totalizing automatic weighing instruments): the accuracy class's maximum
permissible error, the minimum totalized load, and the standard uncertainty a class gives a totalized load.

A belt scale's totalized load is a legal figure only when it is at least the minimum totalized load
Σmin of the instrument, and its error is bounded by the maximum permissible error (MPE) of its
accuracy class, a percentage of the totalized load. bulkdaq takes the in-service MPE as the half-width
of a rectangular distribution of the error and turns it into a standard uncertainty u = MPE/√3
(JCGM 100:2008 4.3.7): a verified scale's error is known only to lie within ±MPE, with nothing to say
that any value in between is more likely. This is a choice of bulkdaq, not a rule of OIML R 50 (the
initial-verification MPE can be chosen instead, for a scale just verified).

What could be cited and what not
--------------------------------
* MPE at initial verification, 0.10 / 0.25 / 0.50 / 1.00 % of the totalized load for classes 0.2 / 0.5
  / 1 / 2: verified in the EU Measuring Instruments Directive 2014/32/EU, Annex VIII (MI-006), Chapter IV
  (continuous totalisers), Table 6, as transposed in France (arrêté du 9 juin 2016, annexe, chapitre IV,
  tableau 6: "erreur maximale tolérée sur la charge totalisée"). The Directive gives one MPE, the one of
  conformity assessment, i.e. of a new instrument.
* MPE in service, 0.2 / 0.5 / 1 / 2 % (twice the initial one): NOT verified against R 50-1:2014, whose
  text could not be read here (only its title page and contents were found). The same doubling, class
  by class, was verified for the sister Recommendation for automatic rail-weighbridges, OIML R 106-1
  (UK SI 2003/2454, Schedule 6, Table 1). Check it against R 50-1 before a clearance rests on it.
* Minimum totalized load Σmin, as the Directive defines it (MI-006 Chapter IV, as transposed): not
  less than the load at which the MPE equals the totalization scale interval d_t, nor less than the
  minimum load the manufacturer specifies; d_t within 0.01 % … 0.2 % of Max. This is
  :func:`minimum_totalized_load_mid_t`.
* Σmin as R 50-1 defines it, the largest of a number of totalization scale intervals (fixed per class),
  the load at maximum flowrate in one revolution of the belt and the load at maximum flowrate for a
  part of an hour: the numbers (intervals per class, the part of the hour) could NOT be verified, so
  :func:`minimum_totalized_load_t` takes every one of them as an input.
* In service the figure that counts is the Σmin marked on the instrument and stated in its certificate;
  :func:`totalized_load_is_legal` takes that figure.

References
----------
.. [1] OIML R 50-1:2014, Continuous totalizing automatic weighing instruments (belt weighers), Part 1:
   Metrological and technical requirements (accuracy classes 0.2, 0.5, 1, 2; MPE of the totalized
   load; minimum totalized load). Clauses and values not verified here (see above).
.. [2] Directive 2014/32/EU, Annex VIII (MI-006), Chapter IV, continuous totalisers: accuracy classes,
   Table 6 (MPE of the totalized load), totalization scale interval, minimum totalized load; read in
   the French transposition, arrêté du 9 juin 2016, annexe, chapitre IV.
.. [3] OIML R 106-1 as enacted in UK SI 2003/2454, Schedule 6, Table 1 (initial and in-service MPE
   per class 0.2 … 2, automatic rail-weighbridges: the in-service = 2 × initial pattern).
.. [4] JCGM 100:2008 (GUM), 4.3.7: bounds ±a with no other knowledge, rectangular distribution,
   u = a/√3.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.blending.quantity_arrays import scalar_or_array
from calculators.quantity_error import QuantityError

Verification = Literal["in_service", "initial_verification"]
VERIFICATIONS: tuple[str, ...] = ("in_service", "initial_verification")

ACCURACY_CLASSES: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
"""The accuracy classes of OIML R 50-1 [-]."""

MPE_IN_SERVICE_PCT: dict[float, float] = {0.2: 0.2, 0.5: 0.5, 1.0: 1.0, 2.0: 2.0}
"""MPE of the totalized load in service [% of the totalized load], per class: twice the initial one, as
the issue states OIML R 50-1:2014; not verified against the Recommendation's text (see the module's note)."""

MPE_INITIAL_VERIFICATION_PCT: dict[float, float] = {0.2: 0.1, 0.5: 0.25, 1.0: 0.5, 2.0: 1.0}
"""MPE of the totalized load at initial verification [% of the totalized load], per class: Directive
2014/32/EU Annex VIII (MI-006) Chapter IV, Table 6."""

RECTANGULAR_DIVISOR = math.sqrt(3.0)
"""u = a/√3 for a rectangular distribution of half-width a (JCGM 100 4.3.7)."""

METHOD = (
    "maximum permissible error of the OIML R 50 accuracy class (initial: Directive 2014/32/EU MI-006 Chapter IV "
    "Table 6; in service 2 × initial, not verified against R 50-1:2014) taken as the half-width of a rectangular "
    "distribution, u = MPE/√3 (JCGM 100:2008 4.3.7)"
)


class BeltScaleError(QuantityError):
    """An accuracy class, verification stage, load or scale parameter the calculator cannot use."""


def _real(quantity: str, value: object, unit: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise BeltScaleError(quantity, f"{quantity} = {value!r} {unit} is not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or (positive and number == 0.0):
        expected = "> 0" if positive else "≥ 0"
        raise BeltScaleError(quantity, f"{quantity} = {value!r} {unit} is not a finite number {expected}")
    return number


def _loads(quantity: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        x = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise BeltScaleError(quantity, f"{quantity} = {value!r} t is not a number") from None
    if np.any(~np.isfinite(x)) or np.any(x < 0.0):
        raise BeltScaleError(quantity, f"{quantity} = {value!r} t: expected finite masses ≥ 0 t")
    return x


def accuracy_class(value: object) -> float:
    """The accuracy class, checked: one of 0.2, 0.5, 1, 2 (a number or its text, as in a site file).

    Raises
    ------
    BeltScaleError
        Anything else (class 3, ``"A"``, ``True``).
    """
    number: float | None = None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    elif not isinstance(value, bool) and isinstance(value, (int, float, np.floating, np.integer)):
        number = float(value)
    if number is None or number not in ACCURACY_CLASSES:
        raise BeltScaleError("accuracy_class", f"accuracy class {value!r} is not a class of OIML R 50-1; expected one of 0.2, 0.5, 1, 2")
    return number


def mpe_pct(accuracy_class_: object, verification: Verification = "in_service") -> float:
    """Maximum permissible error of the totalized load for a class [% of the totalized load].

    Parameters
    ----------
    accuracy_class_ : {0.2, 0.5, 1, 2}
        The scale's accuracy class [-].
    verification : {"in_service", "initial_verification"}, default "in_service"
        Which MPE: in service (twice the initial one) or at initial verification.

    Returns
    -------
    float
        MPE [%], e.g. 0.5 for class 0.5 in service, 0.25 at initial verification.

    Raises
    ------
    BeltScaleError
        Unknown class or verification stage.

    References
    ----------
    .. [1] Directive 2014/32/EU, Annex VIII (MI-006), Chapter IV, Table 6 (initial verification).
    .. [2] OIML R 50-1:2014, MPE for automatic weighing (in service: as the issue states it, not verified).
    """
    checked = accuracy_class(accuracy_class_)
    if verification == "in_service":
        return MPE_IN_SERVICE_PCT[checked]
    if verification == "initial_verification":
        return MPE_INITIAL_VERIFICATION_PCT[checked]
    raise BeltScaleError("verification", f"verification {verification!r} is unknown; expected one of {', '.join(VERIFICATIONS)}")


def mpe_t(load_t: ArrayLike, accuracy_class_: object, verification: Verification = "in_service") -> NDArray[np.float64] | np.float64:
    """Maximum permissible error of a totalized load [t]: load × MPE% / 100.

    Parameters
    ----------
    load_t : array_like
        Totalized load [t], ≥ 0.
    accuracy_class_ : {0.2, 0.5, 1, 2}
        Accuracy class [-].
    verification : {"in_service", "initial_verification"}, default "in_service"

    Returns
    -------
    numpy.float64 or numpy.ndarray
        MPE [t], the half-width of the permitted error.
    """
    pct = mpe_pct(accuracy_class_, verification)
    return scalar_or_array(_loads("load_t", load_t) * pct / 100.0)


def standard_uncertainty_t(load_t: ArrayLike, accuracy_class_: object, verification: Verification = "in_service") -> NDArray[np.float64] | np.float64:
    """Standard uncertainty of a totalized load from its class: u = MPE/√3 [t].

    The MPE is taken as the half-width of a rectangular distribution of the scale's error (JCGM 100
    4.3.7); in service, that is the bound a scale that passed its verification is held to. The choice
    is bulkdaq's (see the module's note); the class itself says nothing about a distribution.

    Parameters
    ----------
    load_t : array_like
        Totalized load [t], ≥ 0.
    accuracy_class_ : {0.2, 0.5, 1, 2}
        Accuracy class [-].
    verification : {"in_service", "initial_verification"}, default "in_service"
        Which MPE is the half-width.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        u [t]; e.g. 10,000 t on a class 0.5 scale in service: 50 t / √3 = 28.87 t.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM), 4.3.7.
    """
    return scalar_or_array(np.asarray(mpe_t(load_t, accuracy_class_, verification)) / RECTANGULAR_DIVISOR)


def minimum_totalized_load_t(
    scale_interval_t: float,
    scale_intervals: float,
    max_flowrate_t_h: float,
    belt_revolution_s: float,
    max_flow_time_h: float,
) -> float:
    """The minimum totalized load Σmin as the largest of the three terms of OIML R 50-1 [t].

    Σmin = max(n · d_t, Q_max · T_rev / 3600, Q_max · t), with n the number of totalization scale
    intervals the class requires, d_t the totalization scale interval, Q_max the maximum flowrate,
    T_rev the time of one belt revolution and t the time at maximum flowrate the standard names (a
    fraction of one hour). Every term is an input: the numbers R 50-1 fixes for n and t could not be
    verified here (see the module's note), and the figure that counts in service is the Σmin marked on
    the instrument.

    Parameters
    ----------
    scale_interval_t : float
        Totalization scale interval d_t [t], > 0.
    scale_intervals : float
        n, the number of scale intervals of the class [-], > 0.
    max_flowrate_t_h : float
        Q_max [t/h], > 0.
    belt_revolution_s : float
        Time of one revolution of the belt at the speed that carries Q_max [s], > 0.
    max_flow_time_h : float
        t, the time at Q_max whose load is a term of Σmin [h], > 0.

    Returns
    -------
    float
        Σmin [t].

    Raises
    ------
    BeltScaleError
        An input that is not a positive finite number.

    References
    ----------
    .. [1] OIML R 50-1:2014, minimum totalized load (definition as described; clause and numbers not
       verified).
    """
    d = _real("scale_interval_t", scale_interval_t, "t", positive=True)
    n = _real("scale_intervals", scale_intervals, "intervals", positive=True)
    q = _real("max_flowrate_t_h", max_flowrate_t_h, "t/h", positive=True)
    rev = _real("belt_revolution_s", belt_revolution_s, "s", positive=True)
    t = _real("max_flow_time_h", max_flow_time_h, "h", positive=True)
    return max(n * d, q * rev / 3600.0, q * t)


def minimum_totalized_load_mid_t(scale_interval_t: float, accuracy_class_: object, manufacturer_minimum_t: float = 0.0) -> float:
    """The minimum totalized load Σmin as the Measuring Instruments Directive defines it [t].

    Σmin = max(d_t · 100 / MPE%, Σmin of the manufacturer): the load at which the MPE of the class
    (initial, Table 6) equals the totalization scale interval d_t, unless the manufacturer specifies more.

    Parameters
    ----------
    scale_interval_t : float
        Totalization scale interval d_t [t], > 0.
    accuracy_class_ : {0.2, 0.5, 1, 2}
        Accuracy class [-].
    manufacturer_minimum_t : float, default 0.0
        The minimum load the manufacturer specifies [t], ≥ 0 (0 when none is specified).

    Returns
    -------
    float
        Σmin [t]; e.g. d_t = 0.01 t on a class 0.5 scale: 0.01 / 0.0025 = 4 t.

    Raises
    ------
    BeltScaleError
        An interval that is not a positive finite number, a negative manufacturer's minimum, an unknown class.

    References
    ----------
    .. [1] Directive 2014/32/EU, Annex VIII (MI-006), Chapter IV (minimum totalized load, Table 6).
    """
    d = _real("scale_interval_t", scale_interval_t, "t", positive=True)
    manufacturer = _real("manufacturer_minimum_t", manufacturer_minimum_t, "t")
    return max(d * 100.0 / mpe_pct(accuracy_class_, "initial_verification"), manufacturer)


def totalized_load_is_legal(load_t: ArrayLike, minimum_t: float) -> NDArray[np.bool_] | np.bool_:
    """Whether a totalized load is a legal figure: load ≥ Σmin.

    Parameters
    ----------
    load_t : array_like
        Totalized load(s) [t], ≥ 0.
    minimum_t : float
        The scale's minimum totalized load Σmin [t], > 0 (as marked on the instrument).

    Returns
    -------
    numpy.bool_ or numpy.ndarray of bool
        True where the load is at least Σmin (Σmin itself is legal).

    References
    ----------
    .. [1] OIML R 50-1:2014 and Directive 2014/32/EU MI-006 Chapter IV (minimum totalized load); the
       rule that a total below Σmin is not a legal figure is issue 17's.
    """
    loads = _loads("load_t", load_t)
    minimum = _real("minimum_t", minimum_t, "t", positive=True)
    result = loads >= minimum
    return result if np.ndim(result) else np.bool_(result)


__all__ = [
    "ACCURACY_CLASSES",
    "METHOD",
    "MPE_INITIAL_VERIFICATION_PCT",
    "MPE_IN_SERVICE_PCT",
    "VERIFICATIONS",
    "BeltScaleError",
    "accuracy_class",
    "minimum_totalized_load_mid_t",
    "minimum_totalized_load_t",
    "mpe_pct",
    "mpe_t",
    "standard_uncertainty_t",
    "totalized_load_is_legal",
]
