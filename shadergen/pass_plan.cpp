#include "pass_plan.h"

#include "conditioning_names.h"
#include "coop_gemm.h"
#include "film_fold.h"
#include "glsl_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <stdexcept>
#include <string_view>

namespace cnnv3 {
namespace {

int groups_of(int channels) { return (channels + 3) / 4; }

std::string glsl_float(float v) { return glsl_float_literal(v); }

PlannedTexture make_texture(std::string name, Level level, int channels)
{
    PlannedTexture t;
    t.name = std::move(name);
    t.level = level;
    t.groups = groups_of(channels);
    t.mosaic_cols = std::min(t.groups, 2);
    t.mosaic_rows = (t.groups + t.mosaic_cols - 1) / t.mosaic_cols;
    return t;
}

// How one group of staged input maps to the conv's input channels: four channel indices, -1 unused.
using GroupChannels = std::array<int, 4>;

// One source of a conv's input, staged into shared memory at the conv's resolution.
struct Source {
    using Kind = PlannedSource::Kind;
    Kind kind;
    PlannedTexture texture;
    int first_channel = 0;  // where its channels start in the conv's input
    int channels = 0;
};

std::vector<GroupChannels> source_groups(const std::vector<Source>& sources)
{
    std::vector<GroupChannels> groups;
    for (const Source& s : sources) {
        for (int g = 0; g < groups_of(s.channels); ++g) {
            GroupChannels gc{-1, -1, -1, -1};
            for (int c = 0; c < 4; ++c)
                if (g * 4 + c < s.channels)
                    gc[static_cast<std::size_t>(c)] = s.first_channel + g * 4 + c;
            groups.push_back(gc);
        }
    }
    return groups;
}

// The weights of one tap from input group `gc` to output group `go` as a mat4 literal. Column i
// holds the weights of input component i (GLSL mat * vec convention). Weights are inlined at their
// use so every compiler folds them as constants (a dynamically indexed const array is copied to
// private memory per invocation by some, llvmpipe among them). `type` "f16mat4" gives f16 weights
// (the model stores halves, so nothing is lost); "f16mat2x4" keeps only the first two columns.
std::string mat4_literal(const ConvWeights& cw, const GroupChannels& gc, int tap, int go, const char* type = "mat4")
{
    const int columns = std::string_view(type).ends_with("mat2x4") ? 2 : 4;
    std::string s = std::string(type) + "(";
    for (int i = 0; i < columns; ++i) {
        for (int o = 0; o < 4; ++o) {
            const int out = go * 4 + o, in = gc[static_cast<std::size_t>(i)];
            const float w = (out < cw.shape.out && in >= 0) ? cw.weight(out, in, tap / 3, tap % 3) : 0.0f;
            s += glsl_float(w);
            s += (i * 4 + o < columns * 4 - 1) ? "," : ")";
        }
    }
    return s;
}

std::string bias_init(const ConvWeights& cw)
{
    const int go_count = groups_of(cw.shape.out);
    std::string s = fmt::format("    vec4 acc[{}];\n", go_count);
    for (int go = 0; go < go_count; ++go) {
        s += fmt::format("    acc[{}] = vec4(", go);
        for (int o = 0; o < 4; ++o) {
            const int out = go * 4 + o;
            s += glsl_float(out < cw.shape.out ? cw.bias[static_cast<std::size_t>(out)] : 0.0f);
            s += o < 3 ? "," : ");\n";
        }
    }
    return s;
}

// How a pass is emitted. The defaults give the hook files' code, byte for byte.
struct Style {
    int tile = 16;           // threads (= output pixels) per workgroup side
    bool f16_tiles = false;  // shared tiles hold f16vec4
    bool f16_math = false;   // products in f16, summed in f16 over one tap's input groups, then in f32
    bool planar = false;     // conv tiles group-major (S[group][texel]) instead of texel-major
    const char* tile_type() const { return f16_tiles ? "f16vec4" : "vec4"; }
    // A tile element read for f32 math / a vec4 written into a tile.
    std::string read(const std::string& e) const { return f16_tiles && !f16_math ? "vec4(" + e + ")" : e; }
    std::string write(const std::string& e) const { return f16_tiles ? "f16vec4(" + e + ")" : e; }
    const char* math_type() const { return f16_math ? "f16vec4" : "vec4"; }
    const char* mat_type() const { return f16_math ? "f16mat4" : "mat4"; }
};

// With f16 math each tap's products over all input groups are summed in f16 partials p[], which are
// then added into the f32 accumulators. Longer f16 sums save conversions but their rounding shows:
// against the CPU reference on tests/vectors/test-random-816 (853x479) one tap measured 0.95/255 on
// lavapipe (0.87/255 on an H200), a kernel row in enc0 and enc1 0.97/255, a row in every layer
// 1.34/255, over the 1/255 bar.
std::string f16_tap_begin(const Style& st, int go)
{
    std::string s;
    for (int o = 0; st.f16_math && o < go; ++o)
        s += fill_template("    p[{{G}}] = f16vec4(0.0);\n", {{"G", o}});
    return s;
}
std::string f16_tap_end(const Style& st, int go)
{
    std::string s;
    for (int o = 0; st.f16_math && o < go; ++o)
        s += fill_template("    acc[{{G}}] += vec4(p[{{G}}]);\n", {{"G", o}});
    return s;
}

// Texel index of gamma (beta follows after groups_of(channels) texels) in the FiLM texture.
int film_texel_offset(const NetworkShape& shape, Layer layer)
{
    int offset = 0;
    for (Layer l : all_layers) {
        if (l == layer)
            return offset;
        offset += 2 * groups_of(shape.film_channels(l));
    }
    return offset;
}



std::string mosaic_offset(const PlannedTexture& t, int g, const char* size)
{
    const int col = g % t.mosaic_cols, row = g / t.mosaic_cols;
    if (col == 0 && row == 0)
        return "";
    return fmt::format(" + ivec2({}, {}) * {}", col, row, size);
}

const char* level_size_expr(Level level)
{
    switch (level) {
    case Level::full: return "cnnv3_size(0)";
    case Level::half: return "cnnv3_size(1)";
    case Level::quarter: return "cnnv3_size(2)";
    case Level::fixed: break;
    }
    return "ivec2(0)";
}

Level level_above(Level l) { return static_cast<Level>(static_cast<int>(l) - 1); }
Level level_below(Level l) { return static_cast<Level>(static_cast<int>(l) + 1); }

struct ConvPassSpec {
    Layer layer;
    Level level;                       // resolution of the conv
    std::vector<Source> sources;       // empty for enc0 (features from HOOKED)
    std::optional<PlannedTexture> out; // empty: the final pass
};

// FiLM on the accumulators (dynamic plans; a static plan folded it into the weights).
std::string emit_film(Layer layer, const NetworkShape& shape, bool dynamic)
{
    if (!dynamic || shape.film_channels(layer) == 0)
        return "";
    const int go_count = groups_of(shape.conv(layer).out);
    const int g0 = film_texel_offset(shape, layer);
    std::string s;
    for (int o = 0; o < go_count; ++o)
        s += fill_template("    acc[{{G}}] = acc[{{G}}] * CNNV3_FILM({{GAMMA}}) + CNNV3_FILM({{BETA}});\n",
                           {{"G", o}, {"GAMMA", g0 + o}, {"BETA", g0 + go_count + o}});
    return s;
}

// A hidden layer's epilogue (enc0, enc1, bottleneck, dec1): FiLM, ReLU, one store per mosaic group.
std::string emit_hidden_epilogue(const ConvPassSpec& spec, const NetworkShape& shape, bool dynamic)
{
    std::string s = emit_film(spec.layer, shape, dynamic);
    for (int o = 0; o < groups_of(shape.conv(spec.layer).out); ++o)
        s += fill_template("    imageStore(out_image, pos{{OFFSET}}, max(acc[{{G}}], vec4(0.0)));\n",
                           {{"OFFSET", mosaic_offset(*spec.out, o, "size")}, {"G", o}});
    return s;
}

// The output pass's epilogue (dec0): FiLM, the sigmoid in f32, the strength mix with the input as
// sampled (not clamped), the input's alpha. `fetched`: the input pixel was fetched into `src_early`
// before the staging barrier (the tensor-core form: its latency then overlaps the staging and the GEMM
// instead of following them).
std::string emit_output_epilogue(const ConvPassSpec& spec, const NetworkShape& shape, bool dynamic, float strength,
                                 bool fetched = false)
{
    return emit_film(spec.layer, shape, dynamic) + fill_template(R"(    vec3 y = 1.0 / (1.0 + exp(-acc[0].rgb));
    vec4 src = {{SRC}} * HOOKED_mul;
    imageStore(out_image, pos, vec4(mix(src.rgb, y, {{STRENGTH}}), src.a));
)",
                                                                 {{"SRC", fetched ? "src_early" : "texelFetch(HOOKED_raw, pos, 0)"},
                                                                  {"STRENGTH", dynamic ? "strength" : glsl_float(strength)}});
}

// Fully unrolled 3x3 accumulation over the staged tile S (row width `sw`, `gi` groups per texel,
// `plane` texels per group when planar); the tile origin is offset by the halo, which equals the
// dilation, so tap (ky, kx) of this pixel sits at lid + (ky, kx) * dilation.
std::string emit_accumulate(const ConvWeights& cw, const std::vector<GroupChannels>& in_groups, int sw, int plane,
                            const Style& st)
{
    const int gi = static_cast<int>(in_groups.size());
    const int go_count = groups_of(cw.shape.out);
    const int d = cw.shape.dilation;
    std::string s = bias_init(cw);
    s += fill_template(st.planar ? "    int b = lid.y * {{SW}} + lid.x;\n    {{V_TYPE}} v;\n"
                                 : "    int b = (lid.y * {{SW}} + lid.x) * {{GI}};\n    {{V_TYPE}} v;\n",
                       st.planar ? std::vector<std::pair<std::string_view, TemplateValue>>{{"SW", sw}, {"V_TYPE", st.math_type()}}
                                 : std::vector<std::pair<std::string_view, TemplateValue>>{
                                       {"SW", sw}, {"GI", gi}, {"V_TYPE", st.math_type()}});
    if (st.f16_math)
        s += fill_template("    f16vec4 p[{{GO}}];\n", {{"GO", go_count}});
    for (int tap = 0; tap < 9; ++tap) {
        const int texel = (tap / 3 * d) * sw + tap % 3 * d;
        s += f16_tap_begin(st, go_count);
        for (int i = 0; i < gi; ++i) {
            const int index = st.planar ? i * plane + texel : texel * gi + i;
            s += fill_template("    v = {{VALUE}};\n", {{"VALUE", st.read("S[b + " + std::to_string(index) + "]")}});
            for (int go = 0; go < go_count; ++go)
                s += fill_template("    {{SUM}}[{{G}}] += {{W}} * v;\n",
                                   {{"SUM", st.f16_math ? "p" : "acc"},
                                    {"G", go},
                                    {"W", mat4_literal(cw, in_groups[static_cast<std::size_t>(i)], tap, go, st.mat_type())}});
        }
        s += f16_tap_end(st, go_count);
    }
    return s;
}

// How a source group is read while staging: directly, 2x2-pooled from the level above, or
// nearest-upsampled from the level below; `qc` is the staged pixel, clamped into the conv's level.
std::string source_load(const Source& src, int g)
{
    const std::string tex = src.texture.name + "_raw";
    switch (src.kind) {
    case Source::Kind::direct:
        return fill_template("texelFetch({{TEX}}, qc{{OFFSET}}, 0)",
                             {{"TEX", tex}, {"OFFSET", mosaic_offset(src.texture, g, "size")}});
    case Source::Kind::upsampled:
        return fill_template("texelFetch({{TEX}}, (qc >> 1){{OFFSET}}, 0)",
                             {{"TEX", tex}, {"OFFSET", mosaic_offset(src.texture, g, "size_lo")}});
    case Source::Kind::pooled:
        return fill_template("cnnv3_pool({{TEX}}, 2 * qc, size_hi, ivec2(0){{OFFSET}})",
                             {{"TEX", tex}, {"OFFSET", mosaic_offset(src.texture, g, "size_hi")}});
    }
    return "";
}

// A tensor-core pass's staged source group: source_load, except that with linear pooling a whole 2x2
// window is one bilinear sample at its centre (the corner its four texels share, in the group's
// mosaic tile), weights 1/4 each, instead of four fetches; a window over the image's last row or
// column (ceil mode) takes cnnv3_pool. Expects <TEX>_texel, 1 / the texture's size (coop_texel_sizes).
std::string coop_source_load(const Source& src, int g, bool linear)
{
    if (!linear || src.kind != Source::Kind::pooled)
        return source_load(src, g);
    return fill_template(
        "(all(lessThan(2 * qc + 1, size_hi)) ? textureLod({{TEX}}_raw, vec2(2 * qc + 1{{OFFSET}}) * {{TEX}}_texel, 0.0) : {{POOL}})",
        {{"TEX", src.texture.name}, {"OFFSET", mosaic_offset(src.texture, g, "size_hi")}, {"POOL", source_load(src, g)}});
}

// The textures a tensor-core pass samples bilinearly (its pooled texture sources, with linear pooling).
std::vector<std::string> coop_linear_binds(const std::vector<Source>& sources, bool linear)
{
    std::vector<std::string> names;
    for (const Source& src : sources)
        if (linear && src.kind == Source::Kind::pooled &&
            std::find(names.begin(), names.end(), src.texture.name) == names.end())
            names.push_back(src.texture.name);
    return names;
}

// <TEX>_texel for each of them (GLSL statements).
std::string coop_texel_sizes(const std::vector<Source>& sources, bool linear)
{
    std::string s;
    for (const std::string& name : coop_linear_binds(sources, linear))
        s += fill_template("    vec2 {{TEX}}_texel = 1.0 / vec2(textureSize({{TEX}}_raw, 0));\n", {{"TEX", name}});
    return s;
}

// The part every staged conv (enc1, bottleneck, dec1, dec0) shares: its sources (pooled, upsampled
// or direct, concatenated) staged with a halo of `dilation` pixels, then the 3x3 accumulation. Ends
// inside hook(), with `acc` holding the conv's result at `pos`.
// size_hi / size_lo: the sizes of the levels a pass's pooled / upsampled sources come from (declared
// only where a source needs them), shared by the FMA and the tensor-core conv emitters.
std::string emit_source_level_sizes(const ConvPassSpec& spec)
{
    bool has_pooled = false, has_up = false;
    for (const Source& src : spec.sources) {
        has_pooled |= src.kind == Source::Kind::pooled;
        has_up |= src.kind == Source::Kind::upsampled;
    }
    std::string out;
    if (has_pooled)
        out += fill_template("    ivec2 size_hi = {{EXPR}};\n", {{"EXPR", level_size_expr(level_above(spec.level))}});
    if (has_up)
        out += fill_template("    ivec2 size_lo = {{EXPR}};\n", {{"EXPR", level_size_expr(level_below(spec.level))}});
    return out;
}

std::string emit_staged_conv(const ConvPassSpec& spec, const ConvWeights& cw, const Style& st)
{
    const std::vector<GroupChannels> in_groups = source_groups(spec.sources);
    const int gi = static_cast<int>(in_groups.size());
    const int halo = cw.shape.dilation;
    const int sw = st.tile + 2 * halo;
    std::string level_sizes = emit_source_level_sizes(spec), loads;
    int slot = 0;
    for (const Source& src : spec.sources)
        for (int g = 0; g < groups_of(src.channels); ++g, ++slot)
            loads += fill_template(st.planar ? "        S[{{PLANE}} + i] = {{VALUE}};\n" : "        S[i * {{GI}} + {{SLOT}}] = {{VALUE}};\n",
                                   st.planar ? std::vector<std::pair<std::string_view, TemplateValue>>{
                                                   {"PLANE", slot * sw * sw},
                                                   {"VALUE", st.write("inside ? " + source_load(src, g) + " : vec4(0.0)")}}
                                             : std::vector<std::pair<std::string_view, TemplateValue>>{
                                                   {"GI", gi},
                                                   {"SLOT", slot},
                                                   {"VALUE", st.write("inside ? " + source_load(src, g) + " : vec4(0.0)")}});
    std::string s = fill_template(R"(shared {{TILE_TYPE}} S[{{S_SIZE}}];
void hook() {
    ivec2 size = {{SIZE}};
    ivec2 lid = ivec2(gl_LocalInvocationID.xy);
    ivec2 origin = ivec2(gl_WorkGroupID.xy) * {{TILE}} - {{HALO}};
{{LEVEL_SIZES}}    for (int i = int(gl_LocalInvocationIndex); i < {{TEXELS}}; i += {{THREADS}}) {
        ivec2 q = origin + ivec2(i % {{SW}}, i / {{SW}});
        bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        ivec2 qc = clamp(q, ivec2(0), size - 1);  // fetch in bounds even where `inside` discards it
{{LOADS}}    }
    barrier();
    ivec2 pos = origin + {{HALO}} + lid;
    if (any(greaterThanEqual(pos, size))) return;
)",
                                  {{"TILE_TYPE", st.tile_type()},
                                   {"S_SIZE", sw * sw * gi},
                                   {"SIZE", level_size_expr(spec.level)},
                                   {"TILE", st.tile},
                                   {"HALO", halo},
                                   {"LEVEL_SIZES", level_sizes},
                                   {"TEXELS", sw * sw},
                                   {"THREADS", st.tile * st.tile},
                                   {"SW", sw},
                                   {"LOADS", loads}});
    return s + emit_accumulate(cw, in_groups, sw, sw * sw, st);
}

// enc1, bottleneck, dec1: a staged conv into an intermediate mosaic.
std::string emit_conv_pass(const ConvPassSpec& spec, const ConvWeights& cw, const NetworkShape& shape, bool dynamic,
                           const Style& st)
{
    return emit_staged_conv(spec, cw, st) + emit_hidden_epilogue(spec, shape, dynamic) + "}\n";
}

// dec0: a staged conv into the output frame.
std::string emit_output_pass(const ConvPassSpec& spec, const ConvWeights& cw, const NetworkShape& shape, bool dynamic,
                             float strength, const Style& st)
{
    return emit_staged_conv(spec, cw, st) + emit_output_epilogue(spec, shape, dynamic, strength) + "}\n";
}

// enc0: the 20 features are built from HOOKED in shared memory. Channels 3..8 and 19 are zero for
// video (SPEC §2) and folded away, as are 9..11 (prev.rgb) unless `prev`; channel 18 (shadow = 1
// inside the image, 0 in the padding) rides in the alpha of the albedo group. mip1/mip2 are ceil
// avg-pools computed hierarchically in the tile: the alpha of each staged texel counts the in-image
// pixels under it. The albedo is clamped to [0, 1] before anything reads it.
// The feature build of enc0 (both forms): shared tiles A0 (albedo + in-image count, 4-pixel margin),
// A1, A2 (mip1, mip2) and, with `prev`, P (prev.rgb, 1-pixel margin); ends after the last barrier.
std::string emit_enc0_features(const Style& st, bool prev)
{
    const int tile = st.tile;
    const int aw = tile + 8, a1 = aw / 2, a2 = aw / 4;
    const int pw = tile + 2;  // prev tile: the output tile plus the 1-pixel halo
    // 2x2 sums of a tile, read as vec4 (alpha counts in-image pixels, up to 4: exact in f16 too).
    auto sum4 = [&](const char* a, int w) {
        std::string s;
        for (const char* at : {"p.y * {{W}} + p.x", "p.y * {{W}} + p.x + 1", "(p.y + 1) * {{W}} + p.x", "(p.y + 1) * {{W}} + p.x + 1"}) {
            const std::string element = fill_template(std::string("{{A}}[") + at + "]", {{"A", a}, {"W", w}});
            s += (s.empty() ? "" : " + ") + (st.f16_tiles ? "vec4(" + element + ")" : element);
        }
        return s;
    };
    const std::string prev_staging =
        !prev ? "" : fill_template(R"(shared {{TILE_TYPE}} P[{{P_SIZE}}];
)", {{"TILE_TYPE", st.tile_type()}, {"P_SIZE", pw * pw}});
    const std::string prev_loop = !prev ? "" : fill_template(R"(    for (int i = int(gl_LocalInvocationIndex); i < {{P_SIZE}}; i += {{THREADS}}) {
        ivec2 q = tile0 - 1 + ivec2(i % {{PW}}, i / {{PW}});
        bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        P[i] = {{VALUE}};
    }
)",
        {{"P_SIZE", pw * pw},
         {"THREADS", tile * tile},
         {"PW", pw},
         {"VALUE", st.write("inside ? vec4(texelFetch(CNNV3_PREV_raw, clamp(q, ivec2(0), size - 1), 0).rgb, 0.0) : vec4(0.0)")}});
    const std::string pool = st.write("m.w > 0.0 ? vec4(m.rgb / m.w, 1.0) : vec4(0.0)");
    std::string s = fill_template(R"(shared {{TILE_TYPE}} A0[{{A0_SIZE}}];
shared {{TILE_TYPE}} A1[{{A1_SIZE}}];
shared {{TILE_TYPE}} A2[{{A2_SIZE}}];
{{PREV_SHARED}}void hook() {
    ivec2 size = cnnv3_size(0);
    ivec2 lid = ivec2(gl_LocalInvocationID.xy);
    ivec2 tile0 = ivec2(gl_WorkGroupID.xy) * {{TILE}};
    for (int i = int(gl_LocalInvocationIndex); i < {{A0_SIZE}}; i += {{THREADS}}) {
        ivec2 q = tile0 - 4 + ivec2(i % {{AW}}, i / {{AW}});
        bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        ivec2 qc = clamp(q, ivec2(0), size - 1);  // fetch in bounds even where `inside` discards it
        A0[i] = {{ALBEDO}};
    }
{{PREV_LOOP}}    barrier();
    for (int i = int(gl_LocalInvocationIndex); i < {{A1_SIZE}}; i += {{THREADS}}) {
        ivec2 p = ivec2(i % {{A1W}}, i / {{A1W}}) * 2;
        vec4 m = {{SUM_A0}};
        A1[i] = {{POOL}};
    }
    barrier();
    for (int i = int(gl_LocalInvocationIndex); i < {{A2_SIZE}}; i += {{THREADS}}) {
        ivec2 p = ivec2(i % {{A2W}}, i / {{A2W}}) * 2;
        vec4 m = {{SUM_A1}};
        A2[i] = {{POOL}};
    }
    barrier();
)",
        {{"TILE_TYPE", st.tile_type()},
         {"A0_SIZE", aw * aw},
         {"A1_SIZE", a1 * a1},
         {"A2_SIZE", a2 * a2},
         {"PREV_SHARED", prev_staging},
         {"TILE", tile},
         {"THREADS", tile * tile},
         {"AW", aw},
         // Both sides of ?: may be evaluated (SIMD compilers select): a fetch at q outside the image
         // is undefined and crashed lavapipe, hence qc.
         {"ALBEDO", st.write("inside ? vec4(clamp(texelFetch(HOOKED_raw, qc, 0).rgb * HOOKED_mul, 0.0, 1.0), 1.0) : vec4(0.0)")},
         {"PREV_LOOP", prev_loop},
         {"A1W", a1},
         {"A2W", a2},
         {"SUM_A0", sum4("A0", aw)},
         {"SUM_A1", sum4("A1", a1)},
         {"POOL", pool}});
    return s;
}

std::string emit_enc0_pass(const ConvPassSpec& spec, const ConvWeights& cw, const NetworkShape& shape, bool dynamic,
                           const Style& st, bool prev)
{
    const std::vector<GroupChannels> in_groups = {GroupChannels{0, 1, 2, 18}, GroupChannels{12, 13, 14, 15},
                                                  GroupChannels{16, 17, -1, -1}, GroupChannels{9, 10, 11, -1}};
    const int go = groups_of(cw.shape.out);
    const int tile = st.tile;
    const int aw = tile + 8, a1 = aw / 2, a2 = aw / 4;
    const int pw = tile + 2;
    std::string s = emit_enc0_features(st, prev);
    s += "    ivec2 pos = tile0 + lid;\n"
         "    if (any(greaterThanEqual(pos, size))) return;\n";
    // Taps outside the image read f0.w == 0 and contribute nothing (zero padding of all 20 channels).
    s += bias_init(cw);
    if (st.f16_math)  // f2 holds the two real channels of the third group: a mat2x4 skips the zero columns
        s += fill_template("    f16vec4 f0, f1, m1, m2;\n    f16vec2 f2;\n    f16vec4 p[{{GO}}];\n", {{"GO", go}});
    else
        s += "    vec4 f0, f1, f2, m1, m2;\n";
    if (prev)
        s += fill_template("    {{TYPE}} f3;\n", {{"TYPE", st.math_type()}});
    for (int tap = 0; tap < 9; ++tap) {
        const int ay = tap / 3 + 3, ax = tap % 3 + 3;  // tile origin is 4 pixels before the tile, minus the 1-pixel halo
        s += f16_tap_begin(st, go);
        s += fill_template("    f0 = {{V}};\n", {{"V", st.read(fill_template("A0[(lid.y + {{AY}}) * {{AW}} + lid.x + {{AX}}]", {{"AY", ay}, {"AW", aw}, {"AX", ax}}))}});
        s += fill_template("    m1 = {{V}};\n", {{"V", st.read(fill_template("A1[((lid.y + {{AY}}) >> 1) * {{A1W}} + ((lid.x + {{AX}}) >> 1)]", {{"AY", ay}, {"A1W", a1}, {"AX", ax}}))}});
        s += fill_template("    m2 = {{V}};\n", {{"V", st.read(fill_template("A2[((lid.y + {{AY}}) >> 2) * {{A2W}} + ((lid.x + {{AX}}) >> 2)]", {{"AY", ay}, {"A2W", a2}, {"AX", ax}}))}});
        if (st.f16_math)
            s += "    f1 = f16vec4(m1.rgb, m2.r) * f0.w;\n    f2 = m2.gb * f0.w;\n";
        else
            s += "    f1 = vec4(m1.rgb, m2.r) * f0.w;\n    f2 = vec4(m2.gb, 0.0, 0.0) * f0.w;\n";
        if (prev)  // P is zero outside the image: no f0.w mask needed
            s += fill_template("    f3 = {{V}};\n", {{"V", st.read(fill_template("P[(lid.y + {{KY}}) * {{PW}} + lid.x + {{KX}}]", {{"KY", tap / 3}, {"PW", pw}, {"KX", tap % 3}}))}});
        for (int o = 0; o < go; ++o)
            s += fill_template("    {{SUM}}[{{G}}] += {{W0}} * f0 + {{W1}} * f1 + {{W2}} * f2{{PREV}};\n",
                               {{"SUM", st.f16_math ? "p" : "acc"},
                                {"G", o},
                                {"W0", mat4_literal(cw, in_groups[0], tap, o, st.mat_type())},
                                {"W1", mat4_literal(cw, in_groups[1], tap, o, st.mat_type())},
                                {"W2", mat4_literal(cw, in_groups[2], tap, o, st.f16_math ? "f16mat2x4" : "mat4")},
                                {"PREV", prev ? " + " + mat4_literal(cw, in_groups[3], tap, o, st.mat_type()) + " * f3" : ""}});
        s += f16_tap_end(st, go);
    }
    return s + emit_hidden_epilogue(spec, shape, dynamic) + "}\n";
}

// ---- Tensor-core form (PlanOptions::coop_matrix; coop_gemm.h has the layout and its arithmetic) ----

// Weights as packed half pairs (low half first), for the host's CNNV3_W[] storage buffer. Not a const
// array in the text: a dynamically indexed const array is copied into every invocation's private
// memory by some compilers (the first version of these passes, weights in a const array, ran
// 2.4x slower than the FMA passes on an H100 at 2160p).
std::vector<std::uint32_t> coop_weight_pairs(const std::vector<std::uint16_t>& halves)
{
    std::vector<std::uint32_t> pairs;
    for (std::size_t i = 0; i < halves.size(); i += 2)
        pairs.push_back(halves[i] | (static_cast<std::uint32_t>(halves[i + 1]) << 16));
    return pairs;
}

// Shared declarations of a coop pass: S (staged input), f16 packed 8 to a uvec4 (the matrix loads
// read it with offsets and strides in uvec4 units), and W, the workgroup's copy of the weights, where
// the B blocks do not load straight from the CNNV3_W buffer (coop_b_from_buffer). After the GEMM
// the f32 C blocks are stored over S (read back through cnnv3_o): without a separate C array a
// workgroup needs 8 to 17 KiB less shared memory, more of them fit on an SM, and the passes ran 2-19 %
// faster (H100, bench/RESULTS.md).
std::string coop_shared(const CoopGeometry& g, int weight_halves)
{
    std::string s = fill_template("shared uvec4 S[{{S}}];\n", {{"S", g.shared_bytes() / 16}});
    if (!coop_b_from_buffer(g))
        s += fill_template("shared uvec4 W[{{W}}];\n", {{"W", weight_halves / 8}});
    return s;
}

// Shared memory of a coop pass beyond its feature tiles: S and, where the B blocks come from shared
// memory, W.
int coop_shared_bytes(const CoopGeometry& g, int weight_halves)
{
    return g.shared_bytes() + (coop_b_from_buffer(g) ? 0 : 2 * weight_halves);
}

// The copy of CNNV3_W into W, before the staging barrier ("" where the B blocks load from CNNV3_W).
std::string coop_weight_copy(const CoopGeometry& g, int weight_halves)
{
    if (coop_b_from_buffer(g))
        return "";
    return fill_template(R"(    for (int i = int(gl_LocalInvocationIndex); i < {{UNITS}}; i += 256)
        W[i] = CNNV3_W[i];
)",
                         {{"UNITS", weight_halves / 8}});
}

// The GEMM, after the staging barrier: each subgroup takes the output rows r and r + 1 (r = 2 x
// subgroup id, uniform per subgroup as cooperative matrices need; 256 invocations in subgroups of 32,
// which GpuContext::coop_matrix() requires, make the 8 subgroups that cover the 16 rows). Every B
// block is loaded once for both rows; every distinct A block once (with dilation 1, staged row e
// serves tap ky = e - r of row r and ky = e - r - 1 of row r + 1: 12 A loads per K block instead of
// 18). A barrier (every subgroup done reading S), the C blocks over S, a barrier.
std::string coop_gemm(const CoopGeometry& g)
{
    constexpr int rows = CoopGeometry::rows_per_subgroup;
    const int c_bits = g.f16_sums() ? 16 : 32;
    std::string decl, zero, loads, mul, store;
    for (int tap = 0; tap < 9; ++tap)
        for (int kb = 0; kb < g.k_blocks(); ++kb)
            for (int nb = 0; nb < g.n_blocks(); ++nb) {
                decl += fill_template("    fcoopmatNV<16, gl_ScopeSubgroup, 16, 8> b{{T}}_{{K}}_{{N}};\n",
                                      {{"T", tap}, {"K", kb}, {"N", nb}});
                loads += fill_template("        coopMatLoadNV(b{{T}}_{{K}}_{{N}}, {{W}}, {{B0}}u, 1u, false);\n",
                                       {{"T", tap}, {"K", kb}, {"N", nb}, {"W", coop_b_from_buffer(g) ? "CNNV3_W" : "W"},
                                        {"B0", g.b_offset(tap, kb, nb) / 8}});
            }
    for (int ri = 0; ri < rows; ++ri)
        for (int nb = 0; nb < g.n_blocks(); ++nb) {
            decl += fill_template("    fcoopmatNV<{{BITS}}, gl_ScopeSubgroup, 16, 8> c{{R}}_{{N}};\n", {{"R", ri}, {"N", nb}, {"BITS", c_bits}});
            zero += fill_template("        c{{R}}_{{N}} = fcoopmatNV<{{BITS}}, gl_ScopeSubgroup, 16, 8>(0.0);\n",
                                  {{"R", ri}, {"N", nb}, {"BITS", c_bits}});
            if (g.f16_sums())  // f16 already (coop_gemm.h CoopGeometry::f16_sums), stored as f16_c lays it out
                store += fill_template("    coopMatStoreNV(c{{R}}_{{N}}, S, r * {{C_ROW}}u + {{C0}}u, {{STRIDE}}u, false);\n",
                                       {{"R", ri}, {"N", nb}, {"C_ROW", (g.hc_offset(1, 0) - g.hc_offset(0, 0)) / 8},
                                        {"C0", g.hc_offset(ri, nb) / 8}, {"STRIDE", CoopGeometry::n / 8}});
            else if (g.f16_c())  // converted to f16 (coop_gemm.h CoopGeometry::f16_c), row-major, offsets in uvec4s
                store += fill_template("    coopMatStoreNV(fcoopmatNV<16, gl_ScopeSubgroup, 16, 8>(c{{R}}_{{N}}), S, r * {{C_ROW}}u + {{C0}}u, "
                                       "{{STRIDE}}u, false);\n",
                                       {{"R", ri}, {"N", nb}, {"C_ROW", (g.hc_offset(1, 0) - g.hc_offset(0, 0)) / 8},
                                        {"C0", g.hc_offset(ri, nb) / 8}, {"STRIDE", CoopGeometry::n / 8}});
            else
                store += fill_template("    coopMatStoreNV(c{{R}}_{{N}}, S, r * {{C_ROW}}u + {{C0}}u, {{STRIDE}}u, true);\n",
                                       {{"R", ri}, {"N", nb}, {"C_ROW", (g.c_offset(1, 0) - g.c_offset(0, 0)) / 4},
                                        {"C0", g.c_offset(ri, nb) / 4}, {"STRIDE", g.c_stride() / 4}});
        }
    // Distinct A blocks (by offset from row r's staged origin), each with the (row, tap) pairs it serves.
    std::vector<std::pair<int, std::vector<std::pair<int, int>>>> blocks;
    for (int ri = 0; ri < rows; ++ri)
        for (int tap = 0; tap < 9; ++tap)
            for (int kb = 0; kb < g.k_blocks(); ++kb) {
                const int offset = g.a_offset(ri, tap, kb);
                auto found = std::find_if(blocks.begin(), blocks.end(), [&](const auto& bl) { return bl.first == offset; });
                if (found == blocks.end())
                    found = blocks.insert(blocks.end(), {offset, {}});
                found->second.emplace_back(ri, tap * g.k_blocks() + kb);
            }
    std::sort(blocks.begin(), blocks.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [offset, uses] : blocks) {
        mul += fill_template("        coopMatLoadNV(a, S, r * {{A_ROW}}u + {{A0}}u, {{PS}}u, false);\n",
                             {{"A_ROW", (g.a_offset(1, 0, 0) - g.a_offset(0, 0, 0)) / 8}, {"A0", offset / 8}, {"PS", g.ps() / 8}});
        for (const auto& [ri, tk] : uses)
            for (int nb = 0; nb < g.n_blocks(); ++nb)
                mul += fill_template("        c{{R}}_{{N}} = coopMatMulAddNV(a, b{{T}}_{{K}}_{{N}}, c{{R}}_{{N}});\n",
                                     {{"R", ri}, {"N", nb}, {"T", tk / g.k_blocks()}, {"K", tk % g.k_blocks()}});
    }
    return fill_template(R"(    fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a;
{{DECL}}    uint r = {{ROWS}}u * gl_SubgroupID;
    {
{{ZERO}}{{LOADS}}{{MUL}}    }
    barrier();
{{STORE}}    barrier();
)",
                         {{"DECL", decl}, {"ROWS", rows}, {"ZERO", zero}, {"LOADS", loads}, {"MUL", mul}, {"STORE", store}});
}

// After the GEMM: this invocation's pixel, bias + C into acc[] (then the FMA form's epilogues).
std::string coop_gather(const ConvWeights& cw, const CoopGeometry& g, const char* pos)
{
    std::string s = fill_template("    ivec2 pos = {{POS}};\n    if (any(greaterThanEqual(pos, size))) return;\n", {{"POS", pos}});
    s += bias_init(cw);
    s += "    int o = lid.y * 16 + lid.x;\n";
    // With f16 C blocks, the half pair of channels c, c + 1 (c even) at pixel o: a component of S[o + ...].
    auto half_pair = [&](int c) {
        return fmt::format("unpackHalf2x16(S[o + {}].{})", g.hc_index(0, c) / 8, "xyzw"[g.hc_index(0, c) % 8 / 2]);
    };
    for (int go = 0; go < groups_of(cw.shape.out); ++go) {
        if (g.f16_c())
            s += fill_template("    acc[{{G}}] += vec4({{P0}}, {{P1}});\n",
                               {{"G", go}, {"P0", half_pair(4 * go)}, {"P1", half_pair(4 * go + 2)}});
        else
            s += fill_template("    acc[{{G}}] += vec4(cnnv3_o(o + {{C}}), cnnv3_o(o + {{C1}}), cnnv3_o(o + {{C2}}), cnnv3_o(o + {{C3}}));\n",
                               {{"G", go}, {"C", g.c_index(0, 4 * go)}, {"C1", g.c_index(0, 4 * go + 1)},
                                {"C2", g.c_index(0, 4 * go + 2)}, {"C3", g.c_index(0, 4 * go + 3)}});
    }
    return s;
}

// enc1, bottleneck, dec1, dec0 on tensor cores: the FMA form's sources, staged pixel-major in f16.
std::string emit_coop_conv_pass(const ConvPassSpec& spec, const ConvWeights& cw, const NetworkShape& shape, bool dynamic,
                                float strength, bool linear, CoopSums sums, int* shared_bytes, std::vector<std::uint32_t>* weight_pairs)
{
    const std::vector<GroupChannels> in_groups = source_groups(spec.sources);
    std::vector<int> channel_map;
    for (const GroupChannels& gc : in_groups)
        channel_map.insert(channel_map.end(), gc.begin(), gc.end());
    const CoopGeometry g = coop_geometry(cw.shape, static_cast<int>(channel_map.size()), sums);
    channel_map.resize(static_cast<std::size_t>(g.kp), -1);
    const std::vector<std::uint16_t> weights = pack_coop_weights(cw, channel_map, g);
    const int wh = static_cast<int>(weights.size());
    *shared_bytes = coop_shared_bytes(g, wh);
    const int halo = cw.shape.dilation, sw = g.sw();
    std::string level_sizes = emit_source_level_sizes(spec), loads;
    // Staged slot s (4 channels) is group gi of a source; every uvec4 of S takes two slots.
    std::vector<std::string> slot_loads;
    for (const Source& src : spec.sources) {
        for (int gi = 0; gi < groups_of(src.channels); ++gi)
            slot_loads.push_back(fill_template("inside ? {{LOAD}} : vec4(0.0)", {{"LOAD", coop_source_load(src, gi, linear)}}));
    }
    for (int u = 0; u < g.kp / 8; ++u) {
        auto slot = [&](int k) { return k < static_cast<int>(slot_loads.size()) ? slot_loads[static_cast<std::size_t>(k)] : "vec4(0.0)"; };
        if (2 * u >= static_cast<int>(slot_loads.size()))
            loads += fill_template("        S[i * {{PS}} + {{U}}] = uvec4(0u);\n", {{"PS", g.ps() / 8}, {"U", u}});
        else
            loads += fill_template(R"(        v0 = {{V0}};
        v1 = {{V1}};
        S[i * {{PS}} + {{U}}] = cnnv3_pack8(v0, v1);
)",
                                   {{"V0", slot(2 * u)}, {"V1", slot(2 * u + 1)}, {"PS", g.ps() / 8}, {"U", u}});
    }
    *weight_pairs = coop_weight_pairs(weights);
    std::string s = coop_shared(g, wh);
    s += fill_template(R"(void hook() {
    ivec2 size = {{SIZE}};
    ivec2 lid = ivec2(gl_LocalInvocationID.xy);
    ivec2 origin = ivec2(gl_WorkGroupID.xy) * 16 - {{HALO}};
{{LEVEL_SIZES}}{{TEXEL_SIZES}}{{WEIGHTS}}{{SRC_EARLY}}    for (int i = int(gl_LocalInvocationIndex); i < {{TEXELS}}; i += 256) {
        ivec2 q = origin + ivec2(i % {{SW}}, i / {{SW}});
        bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        ivec2 qc = clamp(q, ivec2(0), size - 1);  // fetch in bounds even where `inside` discards it
        vec4 v0, v1;
{{LOADS}}    }
    barrier();
)",
                       {{"SIZE", level_size_expr(spec.level)},
                        {"HALO", halo},
                        {"LEVEL_SIZES", level_sizes},
                        {"TEXEL_SIZES", coop_texel_sizes(spec.sources, linear)},
                        {"WEIGHTS", coop_weight_copy(g, wh)},
                        {"SRC_EARLY", spec.out ? "" : fill_template("    vec4 src_early = texelFetch(HOOKED_raw, clamp(origin + {{HALO}} + lid, ivec2(0), size - 1), 0);\n", {{"HALO", halo}})},
                        {"TEXELS", sw * sw},
                        {"SW", sw},
                        {"LOADS", loads}});
    s += coop_gemm(g);
    s += coop_gather(cw, g, fmt::format("origin + {} + lid", halo).c_str());
    s += spec.out ? emit_hidden_epilogue(spec, shape, dynamic) : emit_output_epilogue(spec, shape, dynamic, strength, true);
    return s + "}\n";
}

// The 20 features (SPEC §2) as enc0's tensor-core form stages them: the 13 that video can make
// nonzero, padded to 16.
const std::vector<int> coop_enc0_channels = {0, 1, 2, 18, 12, 13, 14, 15, 16, 17, 9, 10, 11, -1, -1, -1};

// enc0 on tensor cores: 13 real features per staged pixel (albedo + shadow, mip1, mip2 masked to the
// image, prev) padded to 16, staged behind two barriers: first the mip1 tile A1 straight from the
// input (each entry the mean of its in-image 2x2 pixels, clamped to [0, 1] as SPEC §2 reads them),
// then S, whose albedo and prev come straight from their textures and whose mip2 is the mean of the
// in-image A1 entries under it (SPEC: avgpool2 of mip1). The FMA form's A0 -> A1 -> A2 chain, which
// the first versions of this pass shared, takes four barriers and 6-8 KiB more shared memory.
std::string emit_coop_enc0_pass(const ConvPassSpec& spec, const ConvWeights& cw, const NetworkShape& shape, bool dynamic,
                                bool prev, CoopSums sums, int* shared_bytes, std::vector<std::uint32_t>* weight_pairs)
{
    const std::vector<int>& channel_map = coop_enc0_channels;
    const CoopGeometry g = coop_geometry(cw.shape, static_cast<int>(channel_map.size()), sums);
    const std::vector<std::uint16_t> weights = pack_coop_weights(cw, channel_map, g);
    constexpr int tile = CoopGeometry::tile;
    // A1 starts at mip1 pixel (tile0 >> 1) - 2 so that the mip2 windows of the staged pixels (whose
    // mip2 pixels start at (tile0 >> 2) - 1) are whole (coop_gemm.h CoopEnc0Staging).
    const int a1 = CoopEnc0Staging::a1_side, sw = CoopEnc0Staging::staged_side;
    const int wh = static_cast<int>(weights.size());
    constexpr int a0 = CoopEnc0Staging::a0_side;
    *shared_bytes = coop_shared_bytes(g, wh) + 8 * (a1 * a1 + a0 * a0);
    *weight_pairs = coop_weight_pairs(weights);
    auto prev_value = [&](const char* i) {
        return prev ? fill_template("cnnv3_prev(tile0 - 4 + cnnv3_staged_t({{I}}), size)", {{"I", i}}) : std::string("vec3(0.0)");
    };
    static_assert(CoopEnc0Staging::staged_side * CoopEnc0Staging::staged_side <= 512, "two staged pixels per invocation");
    const std::string prev_fn = !prev ? "" : R"(vec3 cnnv3_prev(ivec2 q, ivec2 size) {
    bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
    return inside ? texelFetch(CNNV3_PREV_raw, clamp(q, ivec2(0), size - 1), 0).rgb : vec3(0.0);
}
)";
    std::string s = coop_shared(g, wh) + fill_template(R"(shared f16vec4 A0[{{A0_SIZE}}];
shared f16vec4 A1[{{A1_SIZE}}];
{{PREV_FN}}// Staged pixel i counted from tile0 - 4, as A1 (CoopEnc0Staging::tx/ty).
ivec2 cnnv3_staged_t(int i) { return ivec2(i % {{SW}}, i / {{SW}}) + 3; }
// Staged pixel i of S from prev pv and A0, A1: albedo (alpha: inside the image), mip1, mip2.
void cnnv3_stage(int i, vec3 pv) {
    ivec2 t = cnnv3_staged_t(i);
    vec4 f0 = vec4(A0[t.y * {{A0W}} + t.x]);  // CoopEnc0Staging::albedo_entry
    vec4 m1 = vec4(A1[(t.y >> 1) * {{A1W}} + (t.x >> 1)]) * f0.w;
    int a = (t.y >> 2) * {{A1W2}} + (t.x >> 2) * 2;  // mip2_window: the 2x2 A1 entries under its mip2 pixel
    vec4 m = vec4(A1[a]) + vec4(A1[a + 1]) + vec4(A1[a + {{A1W}}]) + vec4(A1[a + {{A1W}} + 1]);
    vec4 m2 = (m.w > 0.0 ? vec4(m.rgb / m.w, 1.0) : vec4(0.0)) * f0.w;
    S[i * {{PS}}] = cnnv3_pack8(f0, vec4(m1.xyz, m2.x));
    S[i * {{PS}} + 1] = cnnv3_pack8(vec4(m2.yz, pv.xy), vec4(pv.z, 0.0, 0.0, 0.0));
}
void hook() {
    ivec2 size = cnnv3_size(0);
    ivec2 lid = ivec2(gl_LocalInvocationID.xy);
    ivec2 tile0 = ivec2(gl_WorkGroupID.xy) * {{TILE}};
    // The prev of this invocation's (at most two) staged pixels, fetched before the A1 barrier: their
    // latency overlaps A1's instead of following it.
    int i0 = int(gl_LocalInvocationIndex), i1 = min(i0 + 256, {{SW2}} - 1);
    vec3 pv_0 = {{PREV0}}, pv_1 = {{PREV1}};
    // A0 and A1 from one 2x2 block of the input per A1 entry, read as three gathers (r, g, b) rather
    // than four rgba fetches: textureGather at the block's centre returns its texels in the order
    // (0, 1), (1, 1), (1, 0), (0, 0) (CoopEnc0Staging::gather_dx, gather_dy), clamped to the edge; texels
    // outside the image get alpha 0 (zero padding, and no weight in mip1's in-image mean).
    for (int i = int(gl_LocalInvocationIndex); i < {{A1_SIZE}}; i += 256) {
        ivec2 b = ivec2(i % {{A1W}}, i / {{A1W}});
        ivec2 q = tile0 - 4 + 2 * b;
        vec2 at = vec2(q + 1) / vec2(size);
        vec4 r = textureGather(HOOKED_raw, at, 0), g = textureGather(HOOKED_raw, at, 1), bl = textureGather(HOOKED_raw, at, 2);
        vec4 m = vec4(0.0);
        for (int k = 0; k < 4; k++) {
            ivec2 o = ivec2(k == 1 || k == 2 ? 1 : 0, k < 2 ? 1 : 0);
            bool inside = all(greaterThanEqual(q + o, ivec2(0))) && all(lessThan(q + o, size));
            vec4 v = inside ? vec4(clamp(vec3(r[k], g[k], bl[k]) * HOOKED_mul, 0.0, 1.0), 1.0) : vec4(0.0);
            A0[(2 * b.y + o.y) * {{A0W}} + 2 * b.x + o.x] = f16vec4(v);  // CoopEnc0Staging::a0_entry
            m += v;
        }
        A1[i] = f16vec4(m.w > 0.0 ? vec4(m.rgb / m.w, 1.0) : vec4(0.0));
    }
{{WEIGHTS}}    barrier();
    cnnv3_stage(i0, pv_0);
    if (i0 + 256 < {{SW2}})
        cnnv3_stage(i1, pv_1);
    barrier();
)",
                                                   {{"A0_SIZE", a0 * a0},
                                                    {"A0W", a0},
                                                    {"A1_SIZE", a1 * a1},
                                                    {"WEIGHTS", coop_weight_copy(g, wh)},
                                                    {"TILE", tile},
                                                    {"A1W", a1},
                                                    {"A1W2", 2 * a1},
                                                    {"SW2", sw * sw},
                                                    {"SW", sw},
                                                    {"PREV_FN", prev_fn},
                                                    {"PREV0", prev_value("i0")},
                                                    {"PREV1", prev_value("i1")},
                                                    {"PS", g.ps() / 8}});
    s += coop_gemm(g);
    s += coop_gather(cw, g, "tile0 + lid");
    return s + emit_hidden_epilogue(spec, shape, dynamic) + "}\n";
}

// ---- The fused low-resolution pass (coop_gemm.h CoopLowRes) ----

// Four channels of a bias vector (0 past its end) as a vec4 literal.
std::string bias_vec4(const ConvWeights& cw, int first)
{
    std::string s = "vec4(";
    for (int o = 0; o < 4; ++o) {
        const int out = first + o;
        s += glsl_float(out < cw.shape.out ? cw.bias[static_cast<std::size_t>(out)] : 0.0f);
        s += o < 3 ? ", " : ")";
    }
    return s;
}

// One C block (16 pixels x 8 channels, f32) of an M block that starts at grid pixel j0, turned into
// f16 pixels of a 16-channel array at uvec4 `dest` (two uvec4 per pixel): each subgroup stores the
// block into its own scratch, then lane l takes pixel l / 2, channels nb * 8 + (l % 2) * 4 .. + 3:
// bias, FiLM (dynamic plans, `layer`'s gamma and beta), ReLU, and zero where MASK (GLSL, pixel `j`)
// says the pixel is outside the image.
std::string low_res_block_epilogue(const ConvWeights& cw, Layer layer, const NetworkShape& shape, bool dynamic, int nb,
                                   int dest, const std::string& mask)
{
    std::string film;
    if (dynamic && shape.film_channels(layer) > 0) {
        const int g0 = film_texel_offset(shape, layer);
        film = fill_template("            v = v * CNNV3_FILM({{GAMMA}} + half_) + CNNV3_FILM({{BETA}} + half_);\n",
                             {{"GAMMA", g0 + 2 * nb}, {"BETA", g0 + groups_of(shape.conv(layer).out) + 2 * nb}});
    }
    return fill_template(R"(        coopMatStoreNV(c{{NB}}, S, {{SCRATCH}}u + sg * {{SCRATCH_UNITS}}u, 2u, false);
        subgroupMemoryBarrierShared();
        subgroupBarrier();
        {
            uint j = j0 + (lane >> 1u);
            int half_ = int(lane & 1u);
            vec4 v = uintBitsToFloat(S[{{SCRATCH}}u + sg * {{SCRATCH_UNITS}}u + lane]) + (half_ == 0 ? {{BIAS0}} : {{BIAS1}});
{{FILM}}            v = ({{MASK}}) ? max(v, vec4(0.0)) : vec4(0.0);
            uvec2 h = uvec2(packFloat2x16(f16vec2(v.xy)), packFloat2x16(f16vec2(v.zw)));
            if (half_ == 0)
                S[{{DEST}}u + 2u * j + {{NB}}u].xy = h;
            else
                S[{{DEST}}u + 2u * j + {{NB}}u].zw = h;
        }
        subgroupBarrier();  // the scratch is read before the next block overwrites it
)",
                         {{"NB", nb},
                          {"SCRATCH", CoopLowRes::scratch_at / 16},
                          {"SCRATCH_UNITS", CoopLowRes::scratch_bytes / 16},
                          {"BIAS0", bias_vec4(cw, 8 * nb)},
                          {"BIAS1", bias_vec4(cw, 8 * nb + 4)},
                          {"FILM", film},
                          {"MASK", mask},
                          {"DEST", dest}});
}

// enc1 + bottleneck + dec1 of a [8,16] network in one pass (CoopLowRes has the layout): pooled E0 ->
// S0 -> enc1 -> E1 -> pooled -> P -> bottleneck -> B -> up2 -> U; dec1 reads U and E1 and writes D1
// through the hidden epilogue. Six barriers; E1 and B stay in shared memory.
std::string emit_coop_low_res_pass(const ConvPassSpec& dec1_spec, const PlannedTexture& e0, const std::array<ConvWeights, 5>& convs,
                                   const NetworkShape& shape, bool dynamic, bool linear, int* shared_bytes,
                                   std::vector<std::uint32_t>* weight_pairs)
{
    using L = CoopLowRes;
    const ConvWeights& enc1 = convs[static_cast<std::size_t>(Layer::enc1)];
    const ConvWeights& bot = convs[static_cast<std::size_t>(Layer::bottleneck)];
    const ConvWeights& dec1 = convs[static_cast<std::size_t>(Layer::dec1)];
    std::vector<int> iota16(16), iota32(32);
    std::iota(iota16.begin(), iota16.end(), 0);
    std::iota(iota32.begin(), iota32.end(), 0);
    const CoopGeometry gb = coop_geometry(bot.shape, 16), gd = coop_geometry(dec1.shape, 32);
    std::vector<std::uint16_t> weights = pack_paired_weights(enc1);
    const int bot_at = static_cast<int>(weights.size()) / 8;
    const std::vector<std::uint16_t> wb = pack_coop_weights(bot, iota16, gb);
    weights.insert(weights.end(), wb.begin(), wb.end());
    const int dec1_at = static_cast<int>(weights.size()) / 8;
    const std::vector<std::uint16_t> wd = pack_coop_weights(dec1, iota32, gd);
    weights.insert(weights.end(), wd.begin(), wd.end());
    *weight_pairs = coop_weight_pairs(weights);
    *shared_bytes = L::shared_bytes;

    const std::string matrix_a = "fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>", matrix_b = "fcoopmatNV<16, gl_ScopeSubgroup, 16, 8>",
                      matrix_c = "fcoopmatNV<32, gl_ScopeSubgroup, 16, 8>";
    // enc1: six paired-tap K blocks x two N blocks.
    std::string enc1_b, enc1_mul;
    for (int kb = 0; kb < L::enc1_k_blocks; ++kb) {
        for (int nb = 0; nb < 2; ++nb)
            enc1_b += fill_template("        {{B}} w{{K}}_{{N}};\n        coopMatLoadNV(w{{K}}_{{N}}, CNNV3_W, {{AT}}u, 1u, false);\n",
                                    {{"B", matrix_b}, {"K", kb}, {"N", nb}, {"AT", (kb * 2 + nb) * 16}});
        enc1_mul += fill_template(R"(            coopMatLoadNV(a, S, {{S0}}u + j0 + {{A}}u, 1u, false);
            c0 = coopMatMulAddNV(a, w{{K}}_0, c0);
            c1 = coopMatMulAddNV(a, w{{K}}_1, c1);
)",
                                  {{"S0", L::s0_at / 16}, {"A", L::s0_pixel(0, kb / 2, kb % 2)}, {"K", kb}});
    }
    // The bottleneck: nine taps x two N blocks.
    std::string bot_b, bot_mul;
    for (int tap = 0; tap < 9; ++tap) {
        for (int nb = 0; nb < 2; ++nb)
            bot_b += fill_template("        {{B}} w{{T}}_{{N}};\n        coopMatLoadNV(w{{T}}_{{N}}, CNNV3_W, {{AT}}u, 1u, false);\n",
                                   {{"B", matrix_b}, {"T", tap}, {"N", nb}, {"AT", bot_at + gb.b_offset(tap, 0, nb) / 8}});
        bot_mul += fill_template(R"(            coopMatLoadNV(a, S, {{P}}u + 2u * (j0 + {{A}}u), 2u, false);
            c0 = coopMatMulAddNV(a, w{{T}}_0, c0);
            c1 = coopMatMulAddNV(a, w{{T}}_1, c1);
)",
                                 {{"P", L::p_at / 16}, {"A", L::p_pixel(0, tap)}, {"T", tap}});
    }
    // dec1: rows r and r + 1; the A block of staged row e (relative to r) serves tap ky = e of row r
    // and ky = e - 1 of row r + 1, as in coop_gemm.
    std::string dec1_b, dec1_mul;
    for (int tap = 0; tap < 9; ++tap)
        for (int kb = 0; kb < 2; ++kb)
            dec1_b += fill_template("        {{B}} w{{T}}_{{K}};\n        coopMatLoadNV(w{{T}}_{{K}}, CNNV3_W, {{AT}}u, 1u, false);\n",
                                    {{"B", matrix_b}, {"T", tap}, {"K", kb}, {"AT", dec1_at + gd.b_offset(tap, kb, 0) / 8}});
    for (int e = 0; e < 4; ++e)
        for (int kx = 0; kx < 3; ++kx)
            for (int kb = 0; kb < 2; ++kb) {
                // Tap (e, kx) of row 0 and row e's pixel offsets in U (K block 0) and E1 (K block 1).
                const int row_units = 2 * (kb == 0 ? L::u_side : L::s0_side);
                const int base = kb == 0 ? L::u_at / 16 + 2 * L::u_pixel(0, kx, 0) + 2 * e * L::u_side
                                         : L::e1_at / 16 + 2 * L::e1_pixel(0, kx, 0) + 2 * e * L::s0_side;
                dec1_mul += fill_template("        coopMatLoadNV(a, S, r * {{ROW}}u + {{BASE}}u, 2u, false);\n",
                                          {{"ROW", row_units}, {"BASE", base}});
                if (e <= 2)
                    dec1_mul += fill_template("        c0 = coopMatMulAddNV(a, w{{T}}_{{K}}, c0);\n", {{"T", e * 3 + kx}, {"K", kb}});
                if (e >= 1)
                    dec1_mul += fill_template("        c1 = coopMatMulAddNV(a, w{{T}}_{{K}}, c1);\n", {{"T", (e - 1) * 3 + kx}, {"K", kb}});
            }
    std::string dec1_store;
    for (int ri = 0; ri < 2; ++ri)
        dec1_store += fill_template("        coopMatStoreNV(c{{R}}, S, r * {{C_ROW}}u + {{C0}}u, {{STRIDE}}u, true);\n",
                                    {{"R", ri}, {"C_ROW", (gd.c_offset(1, 0) - gd.c_offset(0, 0)) / 4},
                                     {"C0", gd.c_offset(ri, 0) / 4}, {"STRIDE", gd.c_stride() / 4}});
    const Source e0_pooled{Source::Kind::pooled, e0, 0, shape.c0};
    const std::string e1_mask = fill_template(
        "j < {{E1_GRID}}u && j % {{W}}u < {{VALID}}u && all(greaterThanEqual(p0 + {{ORIGIN}} + ivec2(int(j % {{W}}u), int(j / {{W}}u)), ivec2(0))) && "
        "all(lessThan(p0 + {{ORIGIN}} + ivec2(int(j % {{W}}u), int(j / {{W}}u)), size))",
        {{"E1_GRID", L::e1_rows * L::s0_side}, {"W", L::s0_side}, {"VALID", L::e1_valid}, {"ORIGIN", L::e1_origin}});

    std::string s = fill_template(R"(shared uvec4 S[{{S_UNITS}}];
void hook() {
    ivec2 size = cnnv3_size(1);
    ivec2 size_hi = cnnv3_size(0);
    ivec2 size_q = cnnv3_size(2);
    ivec2 lid = ivec2(gl_LocalInvocationID.xy);
    ivec2 p0 = ivec2(gl_WorkGroupID.xy) * {{TILE}};
    uint sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
{{E0_TEXEL}}    // S0: E0 pooled to half resolution, zero outside the image.
    for (int i = int(gl_LocalInvocationIndex); i < {{S0_PIXELS}}; i += 256) {
        ivec2 q = p0 + {{S0_ORIGIN}} + ivec2(i % {{S0_SIDE}}, i / {{S0_SIDE}});
        bool inside = i < {{S0_GRID}} && all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        ivec2 qc = clamp(q, ivec2(0), size - 1);  // fetch in bounds even where `inside` discards it
        S[{{S0}} + i] = cnnv3_pack8(inside ? {{POOL0}} : vec4(0.0), inside ? {{POOL1}} : vec4(0.0));
    }
    barrier();
    {  // enc1 over the S0 grid -> E1
        {{A}} a;
        {{C}} c0, c1;
{{ENC1_B}}        for (uint m = sg; m < {{ENC1_M}}u; m += 8u) {
            uint j0 = 16u * m;
            c0 = {{C}}(0.0);
            c1 = {{C}}(0.0);
{{ENC1_MUL}}{{ENC1_EPI0}}{{ENC1_EPI1}}        }
    }
    barrier();
    // P: E1 pooled to quarter resolution (the in-image pixels of each window), zero outside.
    for (int i = int(gl_LocalInvocationIndex); i < {{P_UNITS}}; i += 256) {
        int k = i >> 1, h = i & 1;
        ivec2 t = ivec2(k % {{P_SIDE}}, k / {{P_SIDE}});
        ivec2 q = (p0 >> 1) + {{P_ORIGIN}} + t;
        bool inside = t.y < {{P_SIDE}} && all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size_q));
        vec4 s0 = vec4(0.0), s1 = vec4(0.0);
        float n = 0.0;
        for (int d = 0; d < 4; d++) {
            ivec2 e = 2 * t + ivec2(d & 1, d >> 1);
            if (inside && all(lessThan(2 * q + ivec2(d & 1, d >> 1), size))) {
                uvec4 u = S[{{E1}} + 2 * (e.y * {{S0_SIDE}} + e.x) + h];
                s0 += vec4(vec2(unpackFloat2x16(u.x)), vec2(unpackFloat2x16(u.y)));
                s1 += vec4(vec2(unpackFloat2x16(u.z)), vec2(unpackFloat2x16(u.w)));
                n += 1.0;
            }
        }
        S[{{P}} + i] = inside ? cnnv3_pack8(s0 / n, s1 / n) : uvec4(0u);
    }
    barrier();
    {  // the bottleneck over the P grid -> B
        {{A}} a;
        {{C}} c0, c1;
{{BOT_B}}        for (uint m = sg; m < {{BOT_M}}u; m += 8u) {
            uint j0 = 16u * m;
            c0 = {{C}}(0.0);
            c1 = {{C}}(0.0);
{{BOT_MUL}}{{BOT_EPI0}}{{BOT_EPI1}}        }
    }
    barrier();
    // U: up2(B) at half resolution, zero outside the image.
    for (int i = int(gl_LocalInvocationIndex); i < {{U_UNITS}}; i += 256) {
        int k = i >> 1;
        ivec2 t = ivec2(k % {{U_SIDE}}, k / {{U_SIDE}});
        ivec2 q = p0 - 1 + t;
        bool inside = all(greaterThanEqual(q, ivec2(0))) && all(lessThan(q, size));
        S[{{U}} + i] = inside ? S[{{B}} + 2 * (((t.y + 1) >> 1) * {{P_SIDE}} + ((t.x + 1) >> 1)) + (i & 1)] : uvec4(0u);
    }
    barrier();
    {  // dec1: rows r, r + 1 of the tile; C over S0's region (nothing reads it any more)
        {{A}} a;
        {{C}} c0 = {{C}}(0.0), c1 = {{C}}(0.0);
        uint r = 2u * sg;
{{DEC1_B}}{{DEC1_MUL}}{{DEC1_STORE}}    }
    barrier();
)",
                                  {{"S_UNITS", L::shared_bytes / 16},
                                   {"TILE", L::tile},
                                   {"S0_PIXELS", L::s0_pixels},
                                   {"S0_ORIGIN", L::s0_origin},
                                   {"S0_SIDE", L::s0_side},
                                   {"S0_GRID", L::s0_side * L::s0_side},
                                   {"S0", L::s0_at / 16},
                                   {"POOL0", coop_source_load(e0_pooled, 0, linear)},
                                   {"POOL1", coop_source_load(e0_pooled, 1, linear)},
                                   {"E0_TEXEL", coop_texel_sizes({e0_pooled}, linear)},
                                   {"A", matrix_a},
                                   {"C", matrix_c},
                                   {"ENC1_B", enc1_b},
                                   {"ENC1_M", L::enc1_m_blocks},
                                   {"ENC1_MUL", enc1_mul},
                                   {"ENC1_EPI0", low_res_block_epilogue(enc1, Layer::enc1, shape, dynamic, 0, L::e1_at / 16, e1_mask)},
                                   {"ENC1_EPI1", low_res_block_epilogue(enc1, Layer::enc1, shape, dynamic, 1, L::e1_at / 16, e1_mask)},
                                   {"P_UNITS", 2 * L::p_pixels},
                                   {"P_SIDE", L::p_side},
                                   {"P_ORIGIN", L::p_origin},
                                   {"E1", L::e1_at / 16},
                                   {"P", L::p_at / 16},
                                   {"BOT_B", bot_b},
                                   {"BOT_M", L::bottleneck_m_blocks},
                                   {"BOT_MUL", bot_mul},
                                   {"BOT_EPI0", low_res_block_epilogue(bot, Layer::bottleneck, shape, dynamic, 0, L::b_at / 16, "true")},
                                   {"BOT_EPI1", low_res_block_epilogue(bot, Layer::bottleneck, shape, dynamic, 1, L::b_at / 16, "true")},
                                   {"U_UNITS", 2 * L::u_side * L::u_side},
                                   {"U_SIDE", L::u_side},
                                   {"U", L::u_at / 16},
                                   {"B", L::b_at / 16},
                                   {"DEC1_B", dec1_b},
                                   {"DEC1_MUL", dec1_mul},
                                   {"DEC1_STORE", dec1_store}});
    s += coop_gather(dec1, gd, "p0 + lid");
    return s + emit_hidden_epilogue(dec1_spec, shape, dynamic) + "}\n";
}

// The dynamic plan's FiLM MLP (SPEC §3) in f32, one workgroup per FiLM texel.
std::string emit_film_pass(const Model& model)
{
    const NetworkShape& shape = model.shape;
    const FilmMlp& mlp = model.film_mlp;
    auto floats = [](const char* name, const std::vector<float>& v) {
        std::string values;
        for (std::size_t i = 0; i < v.size(); ++i)
            values += (i ? "," : "") + glsl_float(v[i]) + (i % 16 == 15 ? "\n" : "");
        return fill_template("const float {{NAME}}[{{N}}] = float[]({{VALUES}});\n",
                             {{"NAME", name}, {"N", static_cast<int>(v.size())}, {"VALUES", values}});
    };
    const std::vector<int> index = film_texel_sources(shape);
    std::string indices;
    for (std::size_t i = 0; i < index.size(); ++i)
        indices += (i ? "," : "") + std::to_string(index[i]);
    return floats("W0", mlp.w0) + floats("B0", mlp.b0) + floats("W1", mlp.w1) + floats("B1", mlp.b1) +
           fill_template(R"(const int IDX[{{N_IDX}}] = int[]({{INDICES}});
void hook() {
    int texel = int(gl_WorkGroupID.x);
    float c[5] = float[](beat_phase, beat_norm, audio_intensity, style_p0, style_p1);
    float h[{{HIDDEN}}];
    for (int j = 0; j < {{HIDDEN}}; j++) {
        float s = B0[j];
        for (int k = 0; k < 5; k++) s += W0[j * 5 + k] * clamp(c[k], 0.0, 1.0);
        h[j] = max(s, 0.0);
    }
    vec4 v = vec4(0.0);
    for (int comp = 0; comp < 4; comp++) {
        int k = IDX[texel * 4 + comp];
        if (k < 0) continue;
        float s = B1[k];
        for (int j = 0; j < {{HIDDEN}}; j++) s += W1[k * {{HIDDEN}} + j] * h[j];
        v[comp] = s;
    }
    imageStore(out_image, ivec2(texel, 0), v);
}
)",
                         {{"N_IDX", static_cast<int>(index.size())}, {"INDICES", indices}, {"HIDDEN", film_hidden}});
}

// Shared-memory bytes of a pass in a style.
int staged_bytes(const ConvPassSpec& spec, const ConvShape& conv, const Style& st, bool prev)
{
    const int texel = st.f16_tiles ? 8 : 16;
    if (spec.sources.empty()) {
        const int aw = st.tile + 8;
        return texel * (aw * aw + (aw / 2) * (aw / 2) + (aw / 4) * (aw / 4) + (prev ? (st.tile + 2) * (st.tile + 2) : 0));
    }
    int groups = 0;
    for (const Source& s : spec.sources)
        groups += groups_of(s.channels);
    const int sw = st.tile + 2 * conv.dilation;
    return texel * sw * sw * groups;
}

const char* common_glsl =
    "ivec2 cnnv3_size(int level) {\n"
    "    ivec2 s = ivec2(HOOKED_size);\n"
    "    for (int i = 0; i < level; i++) s = (s + 1) >> 1;\n"
    "    return s;\n"
    "}\n"
    "// ceil-mode 2x2 average of a mosaic group: only the in-image pixels of the window count.\n"
    "vec4 cnnv3_pool(sampler2D tex, ivec2 p, ivec2 size, ivec2 offset) {\n"
    "    vec4 s = texelFetch(tex, p + offset, 0);\n"
    "    float n = 1.0;\n"
    "    if (p.x + 1 < size.x) { s += texelFetch(tex, p + ivec2(1, 0) + offset, 0); n += 1.0; }\n"
    "    if (p.y + 1 < size.y) { s += texelFetch(tex, p + ivec2(0, 1) + offset, 0); n += 1.0; }\n"
    "    if (p.x + 1 < size.x && p.y + 1 < size.y) { s += texelFetch(tex, p + ivec2(1, 1) + offset, 0); n += 1.0; }\n"
    "    return s / n;\n"
    "}\n";

// Whether the plan fuses enc1, the bottleneck and dec1 (CoopLowRes: [8,16] networks on tensor cores).
bool low_res_fusable(const NetworkShape& shape, const PlanOptions& options)
{
    return options.coop_matrix && options.coop_fuse_low_res && shape.c0 == 8 && shape.c1 == 16 &&
           CoopLowRes::shared_bytes <= options.shared_bytes_budget;
}

PlannedPass fused_low_res_pass(const ConvPassSpec& dec1_spec, const PlannedTexture& e0, const std::array<ConvWeights, 5>& convs,
                               const NetworkShape& shape, bool dynamic, bool linear)
{
    PlannedPass p;
    p.description = fmt::format("cnnv3 enc1+bottleneck+dec1 fused, {}->{}->{}->{} (tensor cores)", shape.c0, shape.c1,
                                shape.c1, shape.c0);
    p.binds = {"HOOKED", e0.name};
    if (dynamic) {  // enc1's and dec1's gamma and beta are neighbours (the bottleneck has no FiLM)
        p.binds.push_back("CNNV3_FILM");
        p.reads_film = true;
        p.film_first = film_texel_offset(shape, Layer::enc1);
        p.film_count = film_texel_offset(shape, Layer::dec0) - p.film_first;
    }
    p.save = dec1_spec.out;
    p.level = Level::half;
    p.tile = CoopLowRes::tile;
    p.coop_matrix = true;
    if (linear)
        p.linear_binds = {e0.name};
    p.body = emit_coop_low_res_pass(dec1_spec, e0, convs, shape, dynamic, linear, &p.shared_bytes, &p.coop_weights);
    return p;
}

}  // namespace

int film_texel_count(const NetworkShape& shape)
{
    return film_texel_offset(shape, Layer::dec0) + 2 * groups_of(shape.film_channels(Layer::dec0));
}

std::vector<int> film_texel_sources(const NetworkShape& shape)
{
    std::vector<int> index;
    for (Layer l : all_layers) {
        const int c = shape.film_channels(l);
        if (c == 0)
            continue;
        for (int part = 0; part < 2; ++part)
            for (int k = 0; k < groups_of(c) * 4; ++k)
                index.push_back(k < c ? shape.film_offset(l) + part * c + k : -1);
    }
    return index;
}

std::vector<float> film_texels(const NetworkShape& shape, const std::vector<float>& film)
{
    const std::vector<int> index = film_texel_sources(shape);
    std::vector<float> texels(index.size(), 0.0f);
    for (std::size_t i = 0; i < index.size(); ++i)
        if (index[i] >= 0)
            texels[i] = film.at(static_cast<std::size_t>(index[i]));
    return texels;
}

std::string glsl_float_literal(float v)
{
    // fmt prints the shortest representation that round-trips to the same f32.
    std::string s = fmt::format("{}", v);
    if (s.find_first_of(".en") == std::string::npos)
        s += ".0";
    return s;
}

const std::vector<std::string>& dynamic_param_names()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n(conditioning_names.begin(), conditioning_names.end());
        n.emplace_back("strength");
        return n;
    }();
    return names;
}

PassPlan plan_passes(const Model& model, const PlanOptions& options)
{
    const NetworkShape& shape = model.shape;
    PassPlan plan;
    plan.dynamic = !options.cond.has_value();
    const bool f16_tiles = options.f16_tiles || options.f16_math;
    const bool f16_math = options.f16_math;
    // libplacebo puts this after its own declarations; glslang accepts it there.
    plan.common = f16_tiles || options.coop_matrix
                      ? std::string("#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require\n") + common_glsl
                      : std::string(common_glsl);
    if (options.coop_matrix)
        plan.common = "#extension GL_NV_cooperative_matrix : require\n#extension GL_KHR_memory_scope_semantics : require\n"
                      "#extension GL_KHR_shader_subgroup_basic : require\n" + plan.common +
                      "// Float i of the C blocks stored over S.\n"
                      "#define cnnv3_o(i) uintBitsToFloat(S[(i) >> 2][(i) & 3])\n"
                      "// Eight values as the halves of a uvec4, low half first (a tensor-core pass's S element).\n"
                      "uvec4 cnnv3_pack8(vec4 a, vec4 b) {\n"
                      "    return uvec4(packFloat2x16(f16vec2(a.xy)), packFloat2x16(f16vec2(a.zw)),\n"
                      "                 packFloat2x16(f16vec2(b.xy)), packFloat2x16(f16vec2(b.zw)));\n"
                      "}\n";
    if (plan.dynamic && shape.cond_dim != 5)
        throw std::invalid_argument(fmt::format("a dynamic preset needs film_cond_dim 5 (this model has {})",
                                                shape.cond_dim));
    const std::array<ConvWeights, 5> convs = plan.dynamic ? model.convs : fold_film(model, *options.cond);

    PlannedTexture e0 = make_texture("CNNV3_E0", Level::full, shape.c0);
    PlannedTexture e1 = make_texture("CNNV3_E1", Level::half, shape.c1);
    PlannedTexture b = make_texture("CNNV3_B", Level::quarter, shape.c1);
    PlannedTexture d1 = make_texture("CNNV3_D1", Level::half, shape.c0);

    if (plan.dynamic) {
        PlannedTexture film;
        film.name = "CNNV3_FILM";
        film.level = Level::fixed;
        film.fixed_width = film_texel_count(shape);
        film.fixed_height = 1;
        PlannedPass p;
        p.description = "cnnv3 FiLM MLP (conditioning -> gamma, beta)";
        p.film_mlp = true;
        p.save = film;
        p.tile = 1;
        p.body = emit_film_pass(model);
        plan.passes.push_back(std::move(p));
    }

    const std::vector<ConvPassSpec> specs = {
        {Layer::enc0, Level::full, {}, e0},
        {Layer::enc1, Level::half, {{Source::Kind::pooled, e0, 0, shape.c0}}, e1},
        {Layer::bottleneck, Level::quarter, {{Source::Kind::pooled, e1, 0, shape.c1}}, b},
        {Layer::dec1, Level::half, {{Source::Kind::upsampled, b, 0, shape.c1}, {Source::Kind::direct, e1, shape.c1, shape.c1}}, d1},
        {Layer::dec0, Level::full, {{Source::Kind::upsampled, d1, 0, shape.c0}, {Source::Kind::direct, e0, shape.c0, shape.c0}}, std::nullopt},
    };
    const bool fuse_low_res = low_res_fusable(shape, options);
    // The tensor-core body of a conv, or nothing where the layer keeps the FMA form: tensor cores do
    // not pay for it (coop_pays) or its shared memory exceeds the budget.
    auto coop_body = [&](const ConvPassSpec& spec, bool prev, int* bytes, std::vector<std::uint32_t>* weights) -> std::optional<std::string> {
        const ConvWeights& cw = convs[static_cast<std::size_t>(spec.layer)];
        const int staged_in = spec.sources.empty()
                                  ? static_cast<int>(std::count_if(coop_enc0_channels.begin(), coop_enc0_channels.end(),
                                                                   [](int ch) { return ch >= 0; }))
                                  : cw.shape.in;
        if (!options.coop_matrix || !coop_pays(staged_in, cw.shape.out))
            return std::nullopt;
        std::string body = spec.sources.empty()
                               ? emit_coop_enc0_pass(spec, cw, shape, plan.dynamic, prev, options.coop_sums, bytes, weights)
                               : emit_coop_conv_pass(spec, cw, shape, plan.dynamic, options.strength, options.linear_pooling,
                                                     options.coop_sums, bytes, weights);
        if (*bytes > options.shared_bytes_budget)
            return std::nullopt;
        return body;
    };
    for (const ConvPassSpec& spec : specs) {
        if (fuse_low_res && (spec.layer == Layer::bottleneck || spec.layer == Layer::dec1))
            continue;  // inside the fused pass
        if (fuse_low_res && spec.layer == Layer::enc1) {
            plan.passes.push_back(fused_low_res_pass(specs[3], e0, convs, shape, plan.dynamic, options.linear_pooling));
            continue;
        }
        const ConvWeights& cw = convs[static_cast<std::size_t>(spec.layer)];
        Style st;
        st.f16_tiles = f16_tiles;
        st.f16_math = f16_math && spec.out.has_value();  // the output pass (dec0 + sigmoid) stays f32
        st.planar = options.planar_tiles;
        const bool prev = options.prev_input && spec.layer == Layer::enc0;
        while (st.tile > 4 && staged_bytes(spec, cw.shape, st, prev) > options.shared_bytes_budget)
            st.tile /= 2;
        if (staged_bytes(spec, cw.shape, st, prev) > options.shared_bytes_budget)
            throw std::invalid_argument(fmt::format("{} needs {} bytes of shared memory even at 4x4 tiles (budget {})",
                                                    layer_name(spec.layer), staged_bytes(spec, cw.shape, st, prev),
                                                    options.shared_bytes_budget));
        PlannedPass p;
        const ConvShape& c = cw.shape;
        p.description = fmt::format("cnnv3 {} conv {}->{}{}", layer_name(spec.layer), c.in, c.out,
                                    spec.out ? "" : " + sigmoid, output");
        p.binds.push_back("HOOKED");
        if (prev)
            p.binds.push_back("CNNV3_PREV");
        for (const Source& src : spec.sources)
            if (std::find(p.binds.begin(), p.binds.end(), src.texture.name) == p.binds.end())
                p.binds.push_back(src.texture.name);
        if (plan.dynamic && shape.film_channels(spec.layer) > 0) {
            p.binds.push_back("CNNV3_FILM");
            p.reads_film = true;
            p.film_first = film_texel_offset(shape, spec.layer);
            p.film_count = 2 * groups_of(shape.film_channels(spec.layer));
        }
        p.save = spec.out;
        p.layer = spec.layer;
        p.level = spec.level;
        for (const Source& src : spec.sources)
            p.sources.push_back({src.kind, src.texture.name, src.first_channel,
                                 src.channels});
        p.tile = st.tile;
        p.shared_bytes = staged_bytes(spec, cw.shape, st, prev);
        int bytes = 0;
        std::vector<std::uint32_t> weights;
        if (std::optional<std::string> body = coop_body(spec, prev, &bytes, &weights)) {
            p.body = std::move(*body);
            p.coop_weights = std::move(weights);
            p.linear_binds = coop_linear_binds(spec.sources, options.linear_pooling);
            p.shared_bytes = bytes;
            p.tile = CoopGeometry::tile;
            p.coop_matrix = true;
        } else {
            p.body = spec.sources.empty() ? emit_enc0_pass(spec, cw, shape, plan.dynamic, st, prev)
                     : spec.out           ? emit_conv_pass(spec, cw, shape, plan.dynamic, st)
                                          : emit_output_pass(spec, cw, shape, plan.dynamic, options.strength, st);
        }
        plan.passes.push_back(std::move(p));
    }
    return plan;
}

}  // namespace cnnv3
