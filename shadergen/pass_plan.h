// The pass plan: how the network runs as GPU compute passes (DESIGN.md "Performance shape").
//
// One compute pass per conv layer; each invocation computes every output channel of one pixel; the
// input tile plus its halo is staged in shared memory, with pooling, upsampling, concat and the
// 20-feature build fused into that staging, and FiLM + activation fused into the epilogue. A
// dynamic plan adds one tiny pass that evaluates the FiLM MLP from five parameters. The hook files
// use the PlanOptions defaults (f32, 16 KiB, texel-major tiles); the GPU host may ask for f16 tiles
// and products, group-major tiles and a larger shared-memory budget where the device has them.
//
// The plan holds GLSL bodies only; emit_hook_file (hook_file.h) wraps them in mpv hook syntax and
// the GPU host binds the same names itself, so both run identical code. The bodies expect:
//   HOOKED_raw (sampler2D), HOOKED_mul (float), HOOKED_size (vec2): the input frame, RGB(A); the
//     features read its RGB clamped to [0, 1]
//   CNNV3_PREV_raw (sampler2D): the previous output RGB, frame-sized (PlanOptions::prev_input only)
//   <TEX>_raw (sampler2D) for every intermediate tensor the pass reads, stored as rgba mosaics
//   out_image (image2D): where the pass writes
//   beat_phase, beat_norm, audio_intensity, style_p0, style_p1, strength (float): dynamic plans only
//   CNNV3_W (uvec4[], a storage buffer): PlannedPass::coop_weights, tensor-core passes only
//   CNNV3_FILM(i) (vec4): texel i of the FiLM vector (film_texels() layout), dynamic plans only; the
//     hook file reads it from the MLP pass's texture, the GPU host from a uniform array
#pragma once

#include "coop_gemm.h"
#include "model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnv3 {

// Resolution of a tensor: full (H x W), half (ceil), quarter (ceil of ceil), or a fixed size.
enum class Level { full = 0, half = 1, quarter = 2, fixed = 3 };

// An intermediate texture: `groups` rgba texels per pixel laid out as a mosaic of
// mosaic_cols x mosaic_rows copies of the level's size (group g at column g % cols, row g / cols).
struct PlannedTexture {
    std::string name;      // e.g. CNNV3_E0
    Level level = Level::full;
    int groups = 1;
    int mosaic_cols = 1;
    int mosaic_rows = 1;
    int fixed_width = 0;   // Level::fixed only
    int fixed_height = 0;
};

// How a conv pass reads one of its inputs (DESIGN.md): at its own resolution, ceil 2x2-average
// pooled from the level above, or nearest-upsampled from the level below. Concatenated in order.
struct PlannedSource {
    enum class Kind { direct, pooled, upsampled } kind = Kind::direct;
    std::string texture;               // a PlannedTexture name, e.g. CNNV3_E0
    int first_channel = 0;             // where its channels start in the conv's input
    int channels = 0;
};

struct PlannedPass {
    std::string description;           // //!DESC
    std::vector<std::string> binds;    // textures read, HOOKED first when used
    std::vector<std::string> linear_binds;  // ... of them, those sampled with bilinear filtering (the
                                            // others nearest); PlanOptions::linear_pooling only
    std::optional<PlannedTexture> save;  // empty: writes the hooked frame (the last pass)
    int tile = 16;                     // output pixels per workgroup side (threads = tile x tile)
    bool film_mlp = false;             // the dynamic plan's MLP pass (a host with a CPU MLP skips it)
    bool reads_film = false;           // uses CNNV3_FILM(i)
    int film_first = 0;                // ... for i in [film_first, film_first + film_count) only
    int film_count = 0;
    int shared_bytes = 0;              // shared memory the body declares
    bool coop_matrix = false;          // the body is the tensor-core form (PlanOptions::coop_matrix)
    std::vector<std::uint32_t> coop_weights;  // ... whose CNNV3_W[] holds these (half pairs, low first)
    std::string body;                  // GLSL: shared declarations + void hook()
    // What the body computes, for emitters of other shader languages (wgsl_file.h). Conv passes only.
    std::optional<Layer> layer;        // the conv layer (empty for the FiLM MLP pass and the fused low-res pass)
    Level level = Level::full;         // resolution of the conv
    std::vector<PlannedSource> sources;  // empty for enc0 (its 20 features are built from HOOKED)
};

struct PlanOptions {
    // Static preset: FiLM folded at this conditioning. Empty: dynamic preset (//!PARAMs + MLP pass).
    std::optional<std::vector<float>> cond;
    float strength = 1.0f;               // static presets bake it; dynamic presets expose it
    std::vector<float> default_params;   // dynamic: the PARAM defaults (cond_dim values)
    int shared_bytes_budget = 16384;     // Vulkan's guaranteed minimum of compute shared memory

    // GPU host only. Hook files keep these defaults: float16_t does not compile in mpv's OpenGL
    // renderer, a hook cannot ask whether the device has shaderFloat16, and glsl/ must not change.
    bool f16_tiles = false;  // shared-memory tiles as f16vec4: half the shared traffic and size; the
                             // data is already f16 in the rgba16f intermediates (needs shaderFloat16)
    bool f16_math = false;   // also the mat4 * vec4 products, summed in f16 over one tap's input
                             // groups and added into f32 accumulators; the output pass (dec0 +
                             // sigmoid) stays f32. Implies f16_tiles.
    bool prev_input = false;  // enc0 also reads channels 9-11 (prev.rgb, SPEC §2) from CNNV3_PREV_raw, a
                              // frame-sized texture; without it they are 0, as hook files must keep them
    bool coop_matrix = false;  // conv passes as implicit GEMMs on tensor cores (coop_gemm.h): needs
                               // GL_NV_cooperative_matrix with f16 16x16 x 16x8 -> f32 blocks at subgroup
                               // scope, subgroups of 32, shaderFloat16; workgroups of 16x16. A layer where
                               // tensor cores do not pay (coop_pays) or whose coop form exceeds
                               // shared_bytes_budget keeps the FMA form.
    bool coop_fuse_low_res = false;  // with coop_matrix, a [8,16] network's enc1, bottleneck and dec1 run as one
                                     // pass (coop_gemm.h CoopLowRes) where its 47.5 KiB fit shared_bytes_budget;
                                     // slower than the three passes on an H100 (bench/RESULTS.md "Session 7")
    CoopSums coop_sums = CoopSums::f32;  // with coop_matrix, how the C blocks sum and reach the epilogue
                                         // (coop_gemm.h): f32 through shared memory as f32 (variant "tc");
                                         // f32_stored_f16, converted to f16 there: half the bytes stored and
                                         // read, a smaller C region ("tch"); f16, accumulated in f16 (16x8x16
                                         // f16 += f16 x f16, GpuContext::coop_f16_sums) and stored as they
                                         // are: fewer registers, so more workgroups per SM ("tc16")
    bool linear_pooling = false;  // tensor-core passes pool their sources with one bilinear sample per 2x2
                                  // window (exact: the sample sits on the window's centre, weights 1/4)
                                  // where the window is whole; needs the intermediates' format to filter
                                  // linearly
    bool planar_tiles = false;  // conv tiles group-major, S[group][texel], so neighbouring invocations
                                // read neighbouring texels; texel-major (the hooks' layout) puts them
                                // groups x 16 bytes apart: shared-memory bank conflicts (H200, [8,16]
                                // at 2160p, f32 tiles and math: 2.24 -> 1.43 ms per frame)
};

struct PassPlan {
    std::vector<PlannedPass> passes;
    bool dynamic = false;
    // The GLSL shared by every pass (helpers, precision macros); emitted once per pass body.
    std::string common;
};

PassPlan plan_passes(const Model& model, const PlanOptions& options);

// The FiLM vector as the passes read it: per FiLM layer, gamma then beta, each padded to whole
// vec4 texels. film_texel_sources gives, per component, the SPEC §3 index it comes from (-1: pad).
int film_texel_count(const NetworkShape& shape);
std::vector<int> film_texel_sources(const NetworkShape& shape);
std::vector<float> film_texels(const NetworkShape& shape, const std::vector<float>& film);

// A GLSL float literal that parses back to exactly `v` (shortest round-trip digits, always with a
// '.', 'e', or "nan"/"inf" marker so GLSL reads it as a float).
std::string glsl_float_literal(float v);

// Names of the dynamic parameters, in conditioning order, then "strength".
const std::vector<std::string>& dynamic_param_names();

}  // namespace cnnv3
