// Resampling one float plane between the luma grid and a subsampled chroma grid (both ways), with
// the chroma samples where the chroma location puts them. Separable Lanczos-3, widened by the
// subsampling factor when reducing so it also low-passes; weights normalised, edges replicated.
// (Lanczos-3 both ways keeps a 4:2:0 round trip within 1 code value at 8 bits on noisy pictures;
// a Catmull-Rom pair measured 2.)
#pragma once

#include <vector>

namespace cnnv3 {

// Where the samples of one axis sit, in luma sample units: sample i is at step * i + offset.
struct SampleGrid {
    int count = 0;
    double step = 1.0;
    double offset = 0.0;
    bool operator==(const SampleGrid&) const = default;
};

// For every output sample of one axis: the first input index and its weights.
struct ResampleTaps {
    int taps = 0;                 // weights per output sample
    std::vector<int> indices;     // output count x taps: input index of each weight (edges clamped)
    std::vector<float> weights;   // output count x taps, summing to 1 per output sample
    int output_count = 0;
};

ResampleTaps make_taps(const SampleGrid& from, const SampleGrid& to);

// Resamples a width_in x height_in plane (row-major, `in`) to the output grids of `horizontal`
// and `vertical` into `out` (resized). `scratch` is reused between calls.
void resample_plane(const float* in, int width_in, int height_in, const ResampleTaps& horizontal,
                    const ResampleTaps& vertical, std::vector<float>& out, std::vector<float>& scratch);

}  // namespace cnnv3
