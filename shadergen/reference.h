// The CPU reference of the CNN v3 network (SPEC §1–3): f32 math on the f16 weights.
//
// The oracle every GPU path is compared against; written for clarity and exactness first, speed
// second (it still handles a 1080p frame in about a second on one core).
#pragma once

#include "film.h"
#include "model.h"
#include "planes.h"

#include <span>

namespace cnnv3 {

// SPEC avgpool2: ceil-mode 2x2 mean over the in-image pixels of each window.
Planes avgpool2(const Planes& in);

// SPEC up2: nearest 2x upsampling, cropped to height x width.
Planes upsample2(const Planes& low, int height, int width);

// 3x3 conv with zero padding = dilation, weights then bias (no FiLM, no activation).
Planes conv3x3(const Planes& in, const ConvWeights& conv);

// The 20 feature channels of SPEC §2 for a video frame or photo (3 channels). The RGB is clamped to
// [0, 1] first (albedo, mip1 and mip2 all come from the clamped values), as the GPU passes do.
// prev: the previous frame's network output RGB before any strength mix (3 channels, same size;
// channels 9-11, taken as given); nullptr: zeros (the first frame, a seek, a scene cut, hook files).
// Throws std::invalid_argument on a wrong channel count or size.
Planes photo_features(const Planes& rgb, const Planes* prev = nullptr);

// The whole network on 20-channel features; returns the 4 sigmoid output channels.
Planes run_network(const Model& model, const FilmParams& film, const Planes& features);

// Convenience: conditioning -> FiLM MLP -> network on photo features of `rgb` (and `prev`, as above).
Planes stylize_rgb(const Model& model, std::span<const float> cond, const Planes& rgb, const Planes* prev = nullptr);

}  // namespace cnnv3
