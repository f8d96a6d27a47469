#include "glsl_template.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace cnnv3;

TEST(GlslTemplate, fills_every_named_hole_and_keeps_glsl_braces)
{
    EXPECT_EQ(fill_template("void f() { vec4 a[{{N}}]; a[0] = {{V}} + {{V}}; }", {{"N", 3}, {"V", "b"}}),
              "void f() { vec4 a[3]; a[0] = b + b; }");
    EXPECT_EQ(fill_template("if (x) {{ y; }}", {}), "if (x) {{ y; }}");  // not a NAME: left alone
}

TEST(GlslTemplate, refuses_unknown_and_unused_names)
{
    EXPECT_THROW(fill_template("{{A}} {{B}}", {{"A", 1}}), std::logic_error);
    EXPECT_THROW(fill_template("{{A}}", {{"A", 1}, {"C", 2}}), std::logic_error);
}
