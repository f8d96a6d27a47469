// A test FrameProcessor that works on float RGB: each frame goes through the CPU converter (this
// directory, the tests' oracle) to RgbFrame, process(), and back into the pipeline's output frame.
// The product converts on the GPU (filter/gpu/frame_planes_gpu.h); the pipeline's own tests run
// without one.
#pragma once

#include "frame_convert.h"
#include "frame_processor.h"

namespace cnnv3::test {

struct RgbProcessor : FrameProcessor {
    // May change the values in place (clamped to [0, 1] on the way out).
    virtual void process(RgbFrame& frame) = 0;

    bool process_native(const AVFrame& in, AVFrame& out, double time, int64_t index) override
    {
        converter_.to_rgb(in, rgb_);
        rgb_.time = time;
        rgb_.index = index;
        process(rgb_);
        converter_.from_rgb(rgb_, out);
        return true;
    }

private:
    FrameConverter converter_;
    RgbFrame rgb_;
};

}  // namespace cnnv3::test
