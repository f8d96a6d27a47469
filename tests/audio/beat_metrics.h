// Beat-tracking accuracy measures used by the tests.
#pragma once

#include <vector>

namespace cnnv3::test {

// F-measure with a ±tolerance window (the standard MIREX/mir_eval definition): each reference beat
// matches at most one estimated beat within the tolerance; precision = matched / estimated,
// recall = matched / reference, F = 2PR / (P + R). Empty inputs give 0 (both empty: 1).
// Beats before `skip_before` (seconds) are ignored in both lists (MIREX skips the first 5 s).
double f_measure(const std::vector<double>& estimated, const std::vector<double>& reference, double tolerance = 0.07,
                 double skip_before = -1e300);

// Mean |beat_phase(estimated) − beat_phase(reference)| in beats (wrapped to [0, 0.5]), over times
// sampled every `step` seconds from the first to the last reference beat, skipping reference
// intervals longer than 1.5 times the median interval (silence gaps).
double mean_phase_error(const std::vector<double>& estimated, const std::vector<double>& reference, double step = 0.01);

}  // namespace cnnv3::test
