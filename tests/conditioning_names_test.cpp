// shadergen/conditioning_names.h: the names are written once; the mpv script holds the generated
// block (web/generated/plan.js is checked by the test wgsl-current).

#include "conditioning_names.h"
#include "small_file.h"

#include <gtest/gtest.h>

#include <string>

namespace cnnv3 {
namespace {

TEST(ConditioningNames, TheMpvScriptHoldsTheGeneratedBlock)
{
    const std::string lua = read_small_file(CNNV3_SOURCE_DIR "/mpv/cnnv3.lua", 1u << 20, "the mpv script");
    const std::string block = lua_conditioning_block();
    EXPECT_NE(lua.find(block), std::string::npos)
        << "mpv/cnnv3.lua does not hold the generated block; replace the lines between its markers by:\n" << block;
}

TEST(ConditioningNames, TheCsvHeaderIsFrameTimeAndTheNames)
{
    EXPECT_EQ(conditioning_csv_header_text(), "frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1");
}

}  // namespace
}  // namespace cnnv3
