"""The survey from observed marks: the cargo of the simulated Capesize's loading from drone files, its GUM
uncertainty against the truth over many seeds and against a Monte Carlo, preliminary sessions, and the
sessions a job refuses."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.errors import InputError
from bulkdaq.inputs.observation_file import MARKS, load_observation_file
from bulkdaq.inputs.survey_file import SurveyJob, load_survey_file
from bulkdaq.observations.observed_survey import observed_survey
from bulkdaq.observations.session import ObservationRefused, ObservationSession, session_from_file
from calculators.survey.survey_uncertainty import DOCK_DENSITY, survey_uncertainty_monte_carlo
from simulators.draft_observer import DroneSession, fly_drone, fly_preset, write_observation_file
from simulators.vessel_at_berth import EXAMPLE_JOB_FILE, capesize_loading_scenario

REPO = Path(__file__).resolve().parents[3]
JOB_FILE = REPO / EXAMPLE_JOB_FILE
SCENARIO = capesize_loading_scenario()
TRUE_CARGO_T = SCENARIO.final.cargo_t - SCENARIO.initial.cargo_t  # 165,000 t loaded

RECOVERY_SEEDS = 100
"""Seeds of the recovery test: ~0.13 s each on an idle machine (two drone flights, two files written and
read, the survey and its GUM uncertainty), ~13 s in all."""


@pytest.fixture(scope="module")
def job() -> SurveyJob:
    return load_survey_file(JOB_FILE)


def session_of(drone: DroneSession, path: Path, policy: ObservationPolicy = DEFAULT_POLICY) -> ObservationSession:
    return session_from_file(load_observation_file(write_observation_file(path, drone)), policy)


def flown(tmp_path: Path, survey: str, seed: int, preset: str = "calm") -> tuple[DroneSession, ObservationSession]:
    drone = fly_preset(SCENARIO, preset, survey, seed=seed)
    return drone, session_of(drone, tmp_path / f"{survey}-{preset}-{seed}.json")


def test_the_job_file_is_the_simulated_capesize(job):
    assert [condition.name for condition in job.conditions] == ["initial", "final"]
    assert job.vessel_name == SCENARIO.vessel.name
    assert (job.cargo_from, job.cargo_to) == ("initial", "final")
    assert job.compute().cargo_t == pytest.approx(TRUE_CARGO_T, abs=1e-6)


def test_observed_marks_give_the_cargo_within_its_uncertainty(job, tmp_path):
    initial_drone, initial = flown(tmp_path, "initial", 7)
    final_drone, final = flown(tmp_path, "final", 7)
    observed = observed_survey(job, [initial, final])

    assert not observed.preliminary and observed.reasons == ()
    assert dict(observed.sessions) == {"initial": initial, "final": final}
    true_cargo = final_drone.truth.cargo_t - initial_drone.truth.cargo_t
    assert true_cargo == TRUE_CARGO_T
    u = observed.uncertainty.u_cargo_t
    assert 20.0 < u < 100.0  # tens of tonnes on 165,000 t: the dock densities and the midship marks
    assert abs(observed.result.cargo_t - true_cargo) <= 3 * u
    # the uncertainty is that of the figure reported
    assert observed.uncertainty.cargo_t == pytest.approx(observed.result.cargo_t, abs=1e-6)
    assert (observed.uncertainty.cargo_from, observed.uncertainty.cargo_to) == ("initial", "final")
    assert observed.uncertainty.u_cargo_t == pytest.approx(
        math.sqrt(sum(c.contribution_t**2 for c in observed.uncertainty.contributions)), rel=1e-12
    )

    # the observed job carries each session's means as the form prints them: 1 mm, 0.0001 t/m³
    for condition, session in zip(observed.job.conditions, (initial, final), strict=True):
        assert condition.name == session.survey
        for mark in MARKS:
            assert getattr(condition.marks, mark) == round(session.marks[mark].draft_m, 3)
        assert session.density is not None
        assert condition.dock_density_t_m3 == round(session.density.density_t_m3, 4)

    # each contribution carries the u the session stated
    by_input = {(c.survey, c.item): c for c in observed.uncertainty.contributions}
    assert len(by_input) == 14  # six marks and the density, of each of the two surveys
    for session in (initial, final):
        for mark in MARKS:
            assert by_input[(session.survey, mark)].u == session.marks[mark].u_m
        assert session.density is not None
        assert by_input[(session.survey, DOCK_DENSITY)].u == session.density.u_t_m3
    # loading: the final survey adds, the initial subtracts
    assert by_input[("final", "mid_port")].sensitivity > 0 > by_input[("initial", "mid_port")].sensitivity


def test_the_survey_recovers_the_true_cargo_within_its_stated_uncertainty_over_many_seeds(job, tmp_path):
    """The issue's acceptance test: the survey from simulated observations recovers the true cargo within
    its stated uncertainty over many seeds.

    For each of N = 100 seeds the drone flies the initial and the final survey (calm sea, independent draws
    per survey), each session goes through a real observation file, and the cargo and its GUM standard
    uncertainty u_c come from `observed_survey`. The error e = cargo − true cargo is checked three ways:

    * coverage: if u_c were exactly right and e Gaussian, P(|e| ≤ 2·u_c) = 0.9545, and the number of seeds
      covered is binomial(N, 0.9545): standard deviation √(N·p·(1 − p)) = 2.1 seeds, 2.1 % of N. The
      threshold 0.90 lies 2.6 standard deviations below 0.9545: an honest u_c fails it with probability
      0.6 % (exact binomial tail P(X ≤ 89)), while an u_c understated by a third (true coverage ≈ 0.82)
      fails it almost surely. Measured: 1.00, 100 of 100 (u_c is conservative, below); 0.84 within 1·u_c.
    * no bias: the mean error is within 3 standard errors (s/√N) of zero, and below 0.15·rms(u_c).
    * not absurdly conservative: rms(e)/rms(u_c) is between 0.45 and 1.2. Measured 0.74 (rms e 40 t,
      rms u_c 54 t; mean error 0.7 t, standard error 4.0 t; the worst seed 1.8 u_c off). u_c is dominated
      by the dock densities, whose u has a type A part from three hydrometer samples and a resolution part
      of 0.0005 t/m³/√12 though the simulated hydrometer reads to 0.0001 t/m³, and by each mark's
      1 cm/√12 reading floor though the simulated reader is finer (1 mm, 450 frames): both make u_c larger
      than the spread of the errors, as a floor should. With N = 100 the ratio's own relative spread is
      about 1/√(2N) = 7 %, so both bounds stand more than 5 of its standard deviations from 0.74.
    """
    errors, uncertainties = [], []
    for seed in range(RECOVERY_SEEDS):
        initial_drone, initial = flown(tmp_path, "initial", seed)
        final_drone, final = flown(tmp_path, "final", seed)
        observed = observed_survey(job, [initial, final])
        assert not observed.preliminary, (seed, observed.reasons)
        errors.append(observed.result.cargo_t - (final_drone.truth.cargo_t - initial_drone.truth.cargo_t))
        uncertainties.append(observed.uncertainty.u_cargo_t)
    e, u = np.array(errors), np.array(uncertainties)

    coverage = float(np.mean(np.abs(e) <= 2 * u))
    rms_e, rms_u = float(np.sqrt(np.mean(e**2))), float(np.sqrt(np.mean(u**2)))
    summary = f"coverage(2u) {coverage:.3f}, mean error {e.mean():.1f} t, rms error {rms_e:.1f} t, rms u {rms_u:.1f} t"
    assert coverage >= 0.90, summary
    assert abs(e.mean()) <= 3 * e.std(ddof=1) / math.sqrt(e.size), summary
    assert abs(e.mean()) <= 0.15 * rms_u, summary
    assert 0.45 <= rms_e / rms_u <= 1.2, summary
    # no seed is wildly off: the worst is within 4 u of its own
    assert float(np.max(np.abs(e) / u)) <= 4.0, summary


def test_the_gum_uncertainty_agrees_with_a_monte_carlo(job, tmp_path):
    _, initial = flown(tmp_path, "initial", 11)
    _, final = flown(tmp_path, "final", 11)
    observed = observed_survey(job, [initial, final])
    gum = observed.uncertainty
    marks_u = {name: session.mark_uncertainties() for name, session in observed.sessions.items()}
    density_u = {name: session.density.u_t_m3 for name, session in observed.sessions.items() if session.density is not None}
    assert set(density_u) == {"initial", "final"}
    draws = 20_000
    monte_carlo = survey_uncertainty_monte_carlo(
        observed.job.vessel,
        observed.job.table,
        observed.job.conditions,
        marks_u,
        density_u,
        rng=np.random.default_rng(16),
        draws=draws,
        mean_method=observed.job.mean_method,  # type: ignore[arg-type]
        cargo_from=observed.job.cargo_from,
        cargo_to=observed.job.cargo_to,
    )
    assert monte_carlo.draws == draws
    # M = 2·10⁴ gives u to about 1/√(2M) = 0.5 %: 3 % is six of those
    assert monte_carlo.u_cargo_t == pytest.approx(gum.u_cargo_t, rel=0.03)
    # the model is close to linear over a few mm of draft: the Monte Carlo mean is the figure, to 4 u/√M
    assert abs(monte_carlo.cargo_t - gum.cargo_t) <= 4 * gum.u_cargo_t / math.sqrt(draws)
    # the 95 % intervals agree to a few % of u at each end
    k = 1.959963984540054
    assert abs(monte_carlo.low_t - (gum.cargo_t - k * gum.u_cargo_t)) <= 0.05 * gum.u_cargo_t
    assert abs(monte_carlo.high_t - (gum.cargo_t + k * gum.u_cargo_t)) <= 0.05 * gum.u_cargo_t


def test_a_rough_session_computes_only_as_a_preliminary_figure(job, tmp_path):
    _, rough = flown(tmp_path, "initial", 7, "rough")
    final_drone, final = flown(tmp_path, "final", 7)
    with pytest.raises(ObservationRefused, match="survey 'initial': a preliminary reading, not a figure: mark fwd_port: .*rough sea"):
        observed_survey(job, [rough, final])

    observed = observed_survey(job, [rough, final], allow_preliminary=True)
    assert observed.preliminary
    assert observed.reasons == tuple(f"survey initial: {reason}" for reason in rough.reasons)
    assert len(observed.reasons) == 6
    for mark in MARKS:
        assert any(reason.startswith(f"survey initial: mark {mark}: spread") and reason.endswith("(rough sea)") for reason in observed.reasons)
    # the waves widen the marks' uncertainty, and the cargo's with it; the truth is still within reach
    calm = observed_survey(job, [flown(tmp_path, "initial", 7)[1], final])
    assert observed.uncertainty.u_cargo_t > calm.uncertainty.u_cargo_t
    assert abs(observed.result.cargo_t - TRUE_CARGO_T) <= 3 * observed.uncertainty.u_cargo_t
    assert final_drone.truth.cargo_t == SCENARIO.final.cargo_t


def test_a_session_missing_a_mark_is_refused_naming_the_mark(job, tmp_path):
    _, skipped = flown(tmp_path, "initial", 7, "skipped")
    _, final = flown(tmp_path, "final", 7)
    for allow in (False, True):
        with pytest.raises(ObservationRefused) as refused:
            observed_survey(job, [skipped, final], allow_preliminary=allow)
        assert "survey 'initial': mark mid_stbd not observed" in str(refused.value)
        assert skipped.origin in str(refused.value)


def test_a_session_of_a_survey_the_job_does_not_have(job, tmp_path):
    drone = fly_drone(SCENARIO, "draft_check", seed=7, start_s=40_000.0)
    path = tmp_path / "draft_check.json"
    session = session_of(drone, path)
    with pytest.raises(InputError) as refused:
        observed_survey(job, [session])
    message = str(refused.value)
    assert message.startswith(f"{path}: survey: observes survey 'draft_check', which the job ")
    assert message.endswith("does not have (it has initial, final)")
    assert str(EXAMPLE_JOB_FILE) in message or str(JOB_FILE) in message


def test_two_sessions_of_one_survey(job, tmp_path):
    _, first = flown(tmp_path, "initial", 7)
    _, second = flown(tmp_path, "initial", 8)
    with pytest.raises(InputError) as refused:
        observed_survey(job, [first, second])
    assert str(refused.value) == (
        f"{second.origin}: survey: survey 'initial' is already observed by {first.origin}; give one session per survey"
    )


def test_a_session_of_another_vessel(job, tmp_path):
    drone = fly_drone(SCENARIO, "final", seed=7)
    document = {**drone.document, "vessel": "MV OTHER SHIP"}
    path = write_observation_file(tmp_path / "other.json", document)
    session = session_from_file(load_observation_file(path))
    with pytest.raises(InputError) as refused:
        observed_survey(job, [session])
    message = str(refused.value)
    assert message.startswith(f"{path}: vessel: observes vessel 'MV OTHER SHIP', but the job ")
    assert message.endswith(f"is of {SCENARIO.vessel.name!r}")


def test_the_vessel_name_is_matched_without_case(job, tmp_path):
    drone = fly_drone(SCENARIO, "final", seed=7)
    document = {**drone.document, "vessel": SCENARIO.vessel.name.lower()}
    session = session_from_file(load_observation_file(write_observation_file(tmp_path / "lower.json", document)))
    assert observed_survey(job, [session]).sessions["final"] is session


def test_a_survey_not_observed_keeps_the_job_marks_read_by_hand(job, tmp_path):
    final_drone, final = flown(tmp_path, "final", 7)
    observed = observed_survey(job, [final])
    assert set(observed.sessions) == {"final"}
    initial = observed.job.conditions[0]
    assert initial.name == "initial"
    assert initial.marks == job.conditions[0].marks
    assert initial.dock_density_t_m3 == job.conditions[0].dock_density_t_m3

    by_input = {(c.survey, c.item): c for c in observed.uncertainty.contributions}
    for mark in MARKS:
        assert by_input[("initial", mark)].u == DEFAULT_POLICY.hand_read_u_m == 0.01
        assert by_input[("final", mark)].u == final.marks[mark].u_m
    assert by_input[("initial", DOCK_DENSITY)].u == DEFAULT_POLICY.hand_density_u_t_m3
    # the job's initial marks are the truth, so the error is the final session's alone
    assert abs(observed.result.cargo_t - (final_drone.truth.cargo_t - SCENARIO.initial.cargo_t)) <= 3 * observed.uncertainty.u_cargo_t

    # a policy with another hand-read u changes exactly those contributions
    policy = DEFAULT_POLICY.model_copy(update={"hand_read_u_m": 0.02})
    wider = observed_survey(job, [final], policy)
    assert {c.u for c in wider.uncertainty.contributions if c.survey == "initial" and c.item in MARKS} == {0.02}
    assert wider.uncertainty.u_cargo_t > observed.uncertainty.u_cargo_t
