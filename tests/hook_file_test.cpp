#include "film_fold.h"
#include "half.h"
#include "hook_file.h"
#include "model_files.h"
#include "pass_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

using namespace cnnv3;
using namespace cnnv3::testing;

namespace {

// The passes of a hook file: the text from each //!HOOK line up to the next one.
std::vector<std::string> split_passes(const std::string& text)
{
    std::vector<std::string> passes;
    std::size_t at = text.find("//!HOOK ");
    while (at != std::string::npos) {
        const std::size_t next = text.find("//!HOOK ", at + 1);
        passes.push_back(text.substr(at, next == std::string::npos ? std::string::npos : next - at));
        at = next;
    }
    return passes;
}

// Every float in the comma-separated argument lists that `pattern` captures, parsed back as f32.
std::vector<float> literal_values(const std::string& pass, const std::regex& pattern)
{
    std::vector<float> values;
    for (auto it = std::sregex_iterator(pass.begin(), pass.end(), pattern); it != std::sregex_iterator(); ++it) {
        const std::string body = (*it)[1];
        std::size_t pos = 0;
        while (pos < body.size()) {
            const std::size_t comma = body.find(',', pos);
            values.push_back(std::strtof(body.substr(pos, comma - pos).c_str(), nullptr));
            pos = comma == std::string::npos ? body.size() : comma + 1;
        }
    }
    return values;
}

// The weights: every mat4(...) literal of a pass.
std::vector<float> mat4_values(const std::string& pass)
{
    return literal_values(pass, std::regex(R"(mat4\(([^)]*)\))"));
}

// The biases: the accumulator initialisers.
std::vector<float> bias_values(const std::string& pass)
{
    return literal_values(pass, std::regex(R"(acc\[\d+\] = vec4\(([^)]*)\))"));
}

// The multiset of a layer's weights plus the zeros that pad groups of four: what the shader must hold.
std::vector<float> expected_weights(const ConvWeights& cw, const std::vector<float>& shader_values)
{
    std::vector<float> want = cw.weights;
    std::size_t zeros = shader_values.size() - want.size();
    want.insert(want.end(), zeros, 0.0f);
    std::sort(want.begin(), want.end());
    return want;
}

void expect_layers_round_trip(const std::string& text, const std::array<ConvWeights, 5>& convs, bool dynamic,
                              bool check_half_bits)
{
    auto passes = split_passes(text);
    ASSERT_EQ(passes.size(), dynamic ? 6u : 5u);
    if (dynamic)
        passes.erase(passes.begin());  // the FiLM MLP pass
    for (Layer l : all_layers) {
        const std::string& pass = passes[static_cast<std::size_t>(l)];
        const ConvWeights& cw = convs[static_cast<std::size_t>(l)];
        std::vector<float> got = mat4_values(pass);
        std::vector<float> got_sorted = got;
        std::sort(got_sorted.begin(), got_sorted.end());
        // enc0 folds away the 11 always-zero video feature channels, so compare the non-folded ones.
        if (l == Layer::enc0) {
            std::vector<float> live;
            for (int o = 0; o < cw.shape.out; ++o)
                for (int i : {0, 1, 2, 12, 13, 14, 15, 16, 17, 18})
                    for (int t = 0; t < 9; ++t)
                        live.push_back(cw.weight(o, i, t / 3, t % 3));
            live.insert(live.end(), got.size() - live.size(), 0.0f);
            std::sort(live.begin(), live.end());
            EXPECT_EQ(got_sorted, live) << "enc0 weights differ from the model";
        } else {
            ASSERT_GE(got.size(), cw.weights.size()) << layer_name(l);
            EXPECT_EQ(got_sorted, expected_weights(cw, got)) << layer_name(l) << " weights differ from the model";
        }
        std::vector<float> bias = bias_values(pass);
        bias.resize(static_cast<std::size_t>(cw.shape.out));
        EXPECT_EQ(bias, cw.bias) << layer_name(l) << " bias";
        if (check_half_bits) {
            for (float v : got)
                ASSERT_EQ(half_to_float(float_to_half(v)), v) << layer_name(l) << ": " << v << " is not an f16 value";
        }
    }
}

}  // namespace

TEST(HookFile, static_preset_holds_the_folded_weights_bit_for_bit)
{
    for (const NetworkShape shape : {NetworkShape{4, 8, 5}, NetworkShape{8, 16, 5}}) {
        TempDir dir("hookstatic");
        write_model_dir(dir.path(), shape, 41, true);
        const Model m = load_model(dir.path());
        PlanOptions opt;
        opt.cond = std::vector<float>{0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
        const std::string text = emit_hook_file(plan_passes(m, opt), opt, {});
        expect_layers_round_trip(text, fold_film(m, *opt.cond), false, false);
        EXPECT_EQ(text.find("//!PARAM"), std::string::npos);
    }
}

TEST(HookFile, dynamic_preset_holds_the_f16_weights_bit_for_bit)
{
    for (const NetworkShape shape : {NetworkShape{4, 8, 5}, NetworkShape{8, 16, 5}}) {
        TempDir dir("hookdyn");
        write_model_dir(dir.path(), shape, 42, true);
        const Model m = load_model(dir.path());
        PlanOptions opt;
        opt.default_params = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.75f};
        const std::string text = emit_hook_file(plan_passes(m, opt), opt, {});
        expect_layers_round_trip(text, m.convs, true, true);
        for (const std::string& name : dynamic_param_names())
            EXPECT_NE(text.find("//!PARAM " + name + "\n"), std::string::npos) << name;
        EXPECT_NE(text.find("//!PARAM strength\n//!DESC mix of stylized output over the input\n//!TYPE float\n"
                            "//!MINIMUM 0.0\n//!MAXIMUM 1.0\n0.75\n"),
                  std::string::npos);
        // The MLP's parameters are in the FiLM pass, exactly.
        const std::string film = split_passes(text)[0];
        for (float w : m.film_mlp.w1)
            ASSERT_NE(film.find(glsl_float_literal(w)), std::string::npos);
    }
}

TEST(HookFile, every_saved_texture_has_four_components_and_never_saves_main)
{
    TempDir dir("hooksave");
    write_model_dir(dir.path(), {8, 16, 5}, 43, true);
    const Model m = load_model(dir.path());
    PlanOptions opt;
    const std::string text = emit_hook_file(plan_passes(m, opt), opt, {});
    std::size_t saves = 0, at = 0;
    while ((at = text.find("//!SAVE ", at)) != std::string::npos) {
        const std::string rest = text.substr(at, text.find("//!COMPUTE", at) - at);
        EXPECT_NE(rest.find("//!COMPONENTS 4"), std::string::npos) << rest;
        EXPECT_EQ(rest.find("//!SAVE MAIN"), std::string::npos);
        ++saves;
        ++at;
    }
    EXPECT_EQ(saves, 5u);  // FiLM, E0, E1, B, D1; the last pass writes the hooked frame
}

TEST(HookFile, header_comment_never_contains_a_directive)
{
    TempDir dir("hookhdr");
    write_model_dir(dir.path(), {4, 8, 5}, 44, true);
    const Model m = load_model(dir.path());
    PlanOptions opt;
    HookFileInfo info;
    info.header_comment = "uses //!PARAM lines\nsecond line";
    const std::string text = emit_hook_file(plan_passes(m, opt), opt, info);
    const std::string head = text.substr(0, text.find("\n\n"));
    EXPECT_EQ(head.find("//!"), std::string::npos) << head;
}

TEST(HookFile, float_literals_round_trip_exactly)
{
    for (float v : {0.0f, -0.0f, 1.0f, 0.1f, -1e-7f, 65504.0f, 3.0517578e-05f, 1.0f / 3.0f})
        EXPECT_EQ(std::strtof(glsl_float_literal(v).c_str(), nullptr), v) << glsl_float_literal(v);
    EXPECT_NE(glsl_float_literal(2.0f).find('.'), std::string::npos);
}

// Issue 16: the stage is written into every //!HOOK line, so only mpv's hook points are accepted
// (a newline would let the caller inject directives).
TEST(HookFile, stage_is_one_of_mpvs_hook_points)
{
    TempDir dir("hookstage");
    write_model_dir(dir.path(), {4, 8, 5}, 43, true);
    const Model m = load_model(dir.path());
    PlanOptions opt;
    opt.cond = std::vector<float>{0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
    const PassPlan plan = plan_passes(m, opt);
    for (const std::string_view stage : hook_stages) {
        HookFileInfo info;
        info.stage = std::string(stage);
        const std::string text = emit_hook_file(plan, opt, info);
        EXPECT_NE(text.find("//!HOOK " + info.stage + "\n"), std::string::npos) << stage;
    }
    for (const std::string bad : {"MAIN\n//!BIND EVIL", "", "main", "MAIN ", "HOOKED", "NATIVE_CROPPED"}) {
        HookFileInfo info;
        info.stage = bad;
        EXPECT_THROW(emit_hook_file(plan, opt, info), std::invalid_argument) << bad;
    }
}

TEST(HookFile, prev_input_is_refused_and_only_enc0_binds_prev)
{
    TempDir dir("hookprev");
    write_model_dir(dir.path(), {4, 8, 5}, 44, true);
    const Model m = load_model(dir.path());
    PlanOptions opt;
    opt.prev_input = true;
    const PassPlan plan = plan_passes(m, opt);
    for (const PlannedPass& p : plan.passes) {
        const bool binds = std::find(p.binds.begin(), p.binds.end(), "CNNV3_PREV") != p.binds.end();
        EXPECT_EQ(binds, p.layer == Layer::enc0) << p.description;
        EXPECT_EQ(p.body.find("CNNV3_PREV_raw") != std::string::npos, binds) << p.description;
    }
    EXPECT_THROW(emit_hook_file(plan, opt, HookFileInfo{}), std::invalid_argument);
    opt.prev_input = false;
    EXPECT_EQ(emit_hook_file(plan_passes(m, opt), opt, HookFileInfo{}).find("PREV"), std::string::npos);
}
