"""The zoo report flags each confound that alone names the faker in more pairs than `report.max_confound`."""

from poser_lib.confounds import CONFOUNDS, confounds_over_limit


def test_only_confounds_over_the_limit_are_listed_in_a_fixed_order():
    metrics = {"confidence_pair_accuracy": 0.654, "weight_distance_pair_accuracy": 0.5,
               "final_norm_scale_pair_accuracy": 1.0, "final_loss_pair_accuracy": 0.65,
               "trained_distance_pair_accuracy": 0.7}
    assert confounds_over_limit(metrics, 0.65) == ["confidence_pair_accuracy", "final_norm_scale_pair_accuracy",
                                                   "trained_distance_pair_accuracy"]
    assert confounds_over_limit(metrics, 1.0) == []
    assert confounds_over_limit(metrics, 0.5) == list(CONFOUNDS[:1]) + list(CONFOUNDS[2:])


def test_a_confound_not_measured_is_not_listed():
    # confidence is None where no pair has a benchmark prompt (possible only off the default)
    assert confounds_over_limit({"confidence_pair_accuracy": None, "final_loss_pair_accuracy": 0.9}, 0.65) == \
        ["final_loss_pair_accuracy"]
