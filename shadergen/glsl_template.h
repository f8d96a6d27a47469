// GLSL written as GLSL, with named holes: fill_template("vec4 acc[{{GROUPS}}];", {{"GROUPS", 2}}).
//
// The emitters (pass_plan.cpp) keep their shader text readable this way instead of in positional
// {0}..{11} format strings. A hole is {{NAME}} with NAME of [A-Z0-9_]; other braces are GLSL's.
// Contract: every hole must have a value and every value must fill at least one hole, else
// std::logic_error naming it (a mistake in an emitter, never something a user can cause).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cnnv3 {

// A hole's text: a string, or an integer printed in decimal.
struct TemplateValue {
    std::string text;
    TemplateValue(std::string s) : text(std::move(s)) {}
    TemplateValue(const char* s) : text(s) {}
    TemplateValue(int v) : text(std::to_string(v)) {}
};

std::string fill_template(std::string_view text, const std::vector<std::pair<std::string_view, TemplateValue>>& values);

}  // namespace cnnv3
