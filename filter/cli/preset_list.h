// weights/presets.tsv: the shipped hook presets, one row each (scripts/make-glsl.sh writes
// glsl/<preset>.glsl from every row; `cnnv3 models` lists each model's presets). Tab-separated
// preset, model, conditioning[, strength]; '#' lines are comments. Rows with fewer than three
// fields name no preset and are skipped. Any text parses (tests/fuzz/text_fuzzer.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cnnv3::cli {

struct PresetRow {
    std::string name, model, conditioning;
};

std::vector<PresetRow> parse_preset_list(std::string_view text);

}  // namespace cnnv3::cli
