// YUV <-> float RGB on plain float planes, independent of any frame type: the ITU-T H.273 matrix
// evaluated in float and the chroma resampling of chroma_resampler.h at the chroma location.
// yuv_convert.h wraps it for AVFrames; the VapourSynth plugin for VSFrames.
//
// Planes are normalised: luma Y' nominally in [0, 1], chroma Cb', Cr' nominally in [-0.5, 0.5];
// yuv_code_levels() maps them to and from integer code values.
#pragma once

#include "chroma_resampler.h"
#include "color_tags.h"
#include "planes.h"

#include <deque>
#include <vector>

namespace cnnv3 {

// Code value = normalised value * scale + offset, per H.273, for one component of `depth` bits.
struct YuvCodeLevels {
    float scale = 1.0f;
    float offset = 0.0f;
};
YuvCodeLevels luma_code_levels(int depth, bool full_range);
YuvCodeLevels chroma_code_levels(int depth, bool full_range);

// The shape of a YUV picture: luma size and chroma subsampling (log2), or gray (no chroma).
struct YuvPlaneLayout {
    int width = 0;
    int height = 0;
    int log2_chroma_w = 0;
    int log2_chroma_h = 0;
    bool gray = false;

    int chroma_width() const { return (width + (1 << log2_chroma_w) - 1) >> log2_chroma_w; }
    int chroma_height() const { return (height + (1 << log2_chroma_h) - 1) >> log2_chroma_h; }
};

// Converts normalised YUV planes to and from RGB Planes; keeps its scratch planes and resampling
// taps between calls (one instance per stream or per thread, not shared between threads).
class YuvPlaneConverter {
public:
    // The normalised planes: to_rgb() reads them (fill them first, luma width x height, chroma
    // chroma_width x chroma_height), from_rgb() writes them.
    std::vector<float>& luma() { return luma_; }
    std::vector<float>& cb() { return cb_; }
    std::vector<float>& cr() { return cr_; }

    // luma()/cb()/cr() -> rgb (3 x height x width, clamped to [0, 1]); resized as needed.
    void to_rgb(const YuvPlaneLayout& layout, const YuvInterpretation& yuv, Planes& rgb);
    // rgb (clamped to [0, 1] first) -> luma()/cb()/cr(), resized to the layout.
    void from_rgb(const Planes& rgb, const YuvPlaneLayout& layout, const YuvInterpretation& yuv);

private:
    // make_taps() for these grids, remembered (a video asks for the same four every frame).
    const ResampleTaps& taps(const SampleGrid& from, const SampleGrid& to);

    // One remembered make_taps() result and the grids it was made for.
    struct CachedTaps {
        SampleGrid from, to;
        ResampleTaps taps;
    };
    std::deque<CachedTaps> taps_;  // deque: references stay valid as entries are added
    std::vector<float> luma_, cb_, cr_, full_cb_, full_cr_, scratch_;
};

}  // namespace cnnv3
