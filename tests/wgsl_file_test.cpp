#include "wgsl_file.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace cnnv3;

TEST(WgslTemplate, FillsNamedPlaceholders)
{
    EXPECT_EQ(fill_template("a {{X}} b {{Y}} {{X}}", {{"X", "1"}, {"Y", "two"}}), "a 1 b two 1");
    EXPECT_EQ(fill_template("no placeholders", {}), "no placeholders");
}

TEST(WgslTemplate, RefusesMissingAndUnusedValues)
{
    EXPECT_THROW(fill_template("{{X}} {{Y}}", {{"X", "1"}}), std::invalid_argument);
    EXPECT_THROW(fill_template("{{X}}", {{"X", "1"}, {"Z", "2"}}), std::invalid_argument);
    EXPECT_THROW(fill_template("{{X", {{"X", "1"}}), std::invalid_argument);
}

TEST(WebPassPlan, ConvPassesCarryTheirSources)
{
    const PassPlan plan = web_pass_plan();
    std::vector<const PlannedPass*> convs;
    for (const PlannedPass& p : plan.passes)
        if (p.layer)
            convs.push_back(&p);
    ASSERT_EQ(convs.size(), 5u);
    EXPECT_TRUE(convs[0]->sources.empty());  // enc0 builds its features from the frame
    ASSERT_EQ(convs[1]->sources.size(), 1u);
    EXPECT_EQ(convs[1]->sources[0].kind, PlannedSource::Kind::pooled);
    EXPECT_EQ(convs[1]->sources[0].texture, "CNNV3_E0");
    EXPECT_EQ(convs[2]->level, Level::quarter);
    ASSERT_EQ(convs[3]->sources.size(), 2u);  // dec1: up(B) then E1, concatenated
    EXPECT_EQ(convs[3]->sources[0].kind, PlannedSource::Kind::upsampled);
    EXPECT_EQ(convs[3]->sources[1].kind, PlannedSource::Kind::direct);
    EXPECT_EQ(convs[3]->sources[1].first_channel, convs[3]->sources[0].channels);
    EXPECT_FALSE(convs[4]->save.has_value());  // dec0 writes the result
}

TEST(WgslFiles, OneShaderPerConvPassAndVariantThenPlan)
{
    const std::vector<WgslFile> files = emit_wgsl_files(web_pass_plan());
    std::vector<std::string> names;
    for (const WgslFile& f : files)
        names.push_back(f.name);
    const std::vector<std::string> expected = {"enc0.wgsl", "enc0.f16.wgsl", "enc1.wgsl", "enc1.f16.wgsl",
                                               "bottleneck.wgsl", "bottleneck.f16.wgsl", "dec1.wgsl", "dec1.f16.wgsl",
                                               "dec0.wgsl", "dec0.f16.wgsl", "plan.js"};
    EXPECT_EQ(names, expected);
    for (const WgslFile& f : files) {
        EXPECT_EQ(f.text.find("{{"), std::string::npos) << f.name;
        const bool f16 = f.name.ends_with(".f16.wgsl");
        EXPECT_EQ(f.text.find("enable f16;") != std::string::npos, f16) << f.name;
        EXPECT_EQ(f.text.find("vec4<f16>") != std::string::npos, f16) << f.name;
        // No weights in the shaders: they come from the storage buffer.
        if (f.name.ends_with(".wgsl")) {
            EXPECT_NE(f.text.find("var<storage, read> weights: array<f32>"), std::string::npos) << f.name;
        }
    }
    const std::string& plan_js = files.back().text;
    EXPECT_NE(plan_js.find("{shader: 'dec1', layer: 'dec1', level: 1, film: true, sources: [{tensor: 'B', kind: "
                           "'upsampled', constant: 'SRC0_CH'}, {tensor: 'E1', kind: 'direct', constant: 'SRC1_CH'}], "
                           "output: 'D1'"),
              std::string::npos);
    // The bottleneck has no FiLM, so its entry point does not use FILM_OFF (WebGPU refuses unused constants).
    EXPECT_NE(plan_js.find("constants: ['OUT_CH', 'IN_CH', 'W_OFF', 'SRC0_CH']"), std::string::npos);
}
