// core.cnnv3.Stylize: the filter's creation (argument checking, model, conditioning, the shared
// GPU) and its frame callback. Registered by plugin_entry.cpp.
#pragma once

#include <VapourSynth4.h>

namespace cnnv3::vs {

// The arguments Stylize takes, in VapourSynth's registerFunction syntax (positional order).
extern const char* const stylize_arguments;

// VSPublicFunction: creates the filter, or sets an error "Stylize: ARGUMENT: problem" on `out`.
void VS_CC create_stylize(const VSMap* in, VSMap* out, void* user_data, VSCore* core, const VSAPI* vsapi);

}  // namespace cnnv3::vs
