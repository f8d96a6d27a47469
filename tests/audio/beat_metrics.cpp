#include "beat_metrics.h"

#include "beat_clock.h"

#include <algorithm>
#include <cmath>

namespace cnnv3::test {

double f_measure(const std::vector<double>& estimated, const std::vector<double>& reference, double tolerance,
                 double skip_before)
{
    std::vector<double> est, ref;
    for (double t : estimated)
        if (t >= skip_before)
            est.push_back(t);
    for (double t : reference)
        if (t >= skip_before)
            ref.push_back(t);
    if (est.empty() && ref.empty())
        return 1.0;
    if (est.empty() || ref.empty())
        return 0.0;
    // Greedy matching in time order is optimal here: beats are much further apart than 2 × tolerance.
    std::vector<bool> used(est.size(), false);
    std::size_t matched = 0;
    for (double r : ref) {
        std::size_t best = est.size();
        double best_d = tolerance;
        for (std::size_t i = 0; i < est.size(); ++i) {
            const double d = std::abs(est[i] - r);
            if (!used[i] && d <= best_d) {
                best_d = d;
                best = i;
            }
        }
        if (best < est.size()) {
            used[best] = true;
            ++matched;
        }
    }
    const double p = static_cast<double>(matched) / static_cast<double>(est.size());
    const double r = static_cast<double>(matched) / static_cast<double>(ref.size());
    return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}

double mean_phase_error(const std::vector<double>& estimated, const std::vector<double>& reference, double step)
{
    if (estimated.size() < 2 || reference.size() < 2)
        return 1.0;
    std::vector<double> intervals;
    for (std::size_t k = 1; k < reference.size(); ++k)
        intervals.push_back(reference[k] - reference[k - 1]);
    std::vector<double> sorted = intervals;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    const double gap = 1.5 * sorted[sorted.size() / 2];

    const BeatClock est(estimated, 0), ref(reference, 0);
    double sum = 0.0;
    std::size_t count = 0;
    for (std::size_t k = 0; k + 1 < reference.size(); ++k) {
        if (intervals[k] > gap)
            continue;
        for (double t = reference[k]; t < reference[k + 1]; t += step) {
            double d = std::abs(est.position(t).phase - ref.position(t).phase);
            d = std::min(d, 1.0 - d);
            sum += d;
            ++count;
        }
    }
    return count ? sum / static_cast<double>(count) : 1.0;
}

}  // namespace cnnv3::test
