// The browser tool's shaders (docs/web.md): WGSL compute shaders for the conv passes of a pass plan,
// and plan.js, the table that tells web/network.js how to bind and dispatch them.
//
// Unlike the GLSL hook files, the WGSL holds no weights: every pass reads them from a storage
// buffer and takes the model's channel counts as pipeline-overridable constants, so one set of
// files serves every model (any enc_channels) and a model loads without regenerating anything. The
// FiLM vector (SPEC §3 order) comes from a uniform buffer the page fills after running the MLP in
// JavaScript. Intermediate tensors are storage buffers, group-major: element (g * h + y) * w + x of
// a level's w x h holds channels 4g..4g+3.
//
// Temporal feedback (SPEC 2 channels 9-11, docs/formats.md "prev.rgb"): dec0 also writes the network
// output before the strength mix into the `prev` storage buffer (vec4<f32> per pixel, row-major),
// which enc0 reads as channels 9-11 on the next run; the page clears it where prev must be 0.
// plan.js also carries the conditioning names (conditioning_names.h) and the scene-cut constants
// (scene_cut.h) for the page.
//
// Pure text generation: no I/O, thread-compatible.
#pragma once

#include "pass_plan.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3 {

struct WgslFile {
    std::string name;  // e.g. "enc1.f16.wgsl", "plan.js"
    std::string text;
};

// The plan the web files are generated from: a dynamic plan of the default architecture. Only the
// pass structure is used (sources, levels, what each pass writes), never the weights.
PassPlan web_pass_plan();

// For every conv pass: NAME.wgsl (f32 intermediates) and NAME.f16.wgsl (f16 intermediates, for
// adapters with shader-f16; arithmetic stays f32), then plan.js. Throws std::invalid_argument for a
// plan whose passes lack the structured fields (PlannedPass::layer).
std::vector<WgslFile> emit_wgsl_files(const PassPlan& plan);

// Replaces every {{NAME}} in `text` by values[NAME]. Throws std::invalid_argument naming a
// placeholder without a value or a value no placeholder uses, so templates and emitters stay in step.
std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace cnnv3
