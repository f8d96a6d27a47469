// The host's compute passes on a real Vulkan device (lavapipe in CI) against the CPU reference.
#include "gpu_context.h"
#include "network_runner.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

using namespace cnnv3;

namespace {

std::filesystem::path vectors(const char* name)
{
    return std::filesystem::path(CNNV3_SOURCE_DIR) / "tests" / "vectors" / name;
}

Planes photo_like(int h, int w)
{
    Planes p(3, h, w);
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                p.at(c, y, x) = 0.5f + 0.45f * std::sin(0.07f * x * (c + 1) + 0.11f * y - c);
    return p;
}

double max_abs(const Planes& a, const Planes& b)
{
    double m = 0;
    for (std::size_t i = 0; i < a.data.size(); ++i)
        m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
    return m;
}

GpuContext& shared_gpu()
{
    static GpuContext ctx({});
    return ctx;
}

}  // namespace

TEST(NetworkRunner, matches_cpu_reference_at_odd_sizes_within_1_255)
{
    for (const char* name : {"test-random-48", "test-random-816"}) {
        const Model m = load_model(vectors(name));
        NetworkRunner runner(shared_gpu(), m);
        const std::vector<float> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
        for (auto [h, w] : {std::pair{479, 853}, {2, 3}, {1, 1}, {360, 640}}) {
            const Planes rgb = photo_like(h, w);
            const Planes want = stylize_rgb(m, cond, rgb);
            Planes want_rgb(3, h, w);
            std::copy(want.data.begin(), want.data.begin() + static_cast<std::ptrdiff_t>(want_rgb.data.size()),
                      want_rgb.data.begin());
            const Planes got = runner.run_planes(rgb, cond, 1.0f);
            const double err = max_abs(got, want_rgb);
            std::printf("%s %dx%d: max abs %.6f (%.3f/255)\n", name, w, h, err, err * 255);
            EXPECT_LE(err, 1.0 / 255) << name << " " << w << "x" << h;
        }
    }
}

TEST(NetworkRunner, strength_mixes_with_the_input)
{
    const Model m = load_model(vectors("test-random-48"));
    NetworkRunner runner(shared_gpu(), m);
    const Planes rgb = photo_like(9, 13);
    const std::vector<float> cond = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
    EXPECT_LE(max_abs(runner.run_planes(rgb, cond, 0.0f), rgb), 1e-6);
    const Planes full = runner.run_planes(rgb, cond, 1.0f);
    const Planes half = runner.run_planes(rgb, cond, 0.5f);
    for (std::size_t i = 0; i < rgb.data.size(); ++i)
        EXPECT_NEAR(half.data[i], 0.5f * (rgb.data[i] + full.data[i]), 1e-5f);
}

TEST(NetworkRunner, changing_conditioning_compiles_no_new_shaders)
{
    const Model m = load_model(vectors("test-random-816"));
    NetworkRunner runner(shared_gpu(), m);
    const Planes rgb = photo_like(37, 53);
    runner.run_planes(rgb, std::vector<float>{0, 0, 0, 0, 0}, 1.0f);  // first frame: compiles
    const int after_first = shared_gpu().shader_compilations();
    EXPECT_GT(after_first, 0) << "the compile counter never moved: the log hook is broken";
    Planes previous;
    for (int frame = 1; frame <= 6; ++frame) {
        const float t = static_cast<float>(frame) / 6.0f;
        const Planes out = runner.run_planes(rgb, std::vector<float>{t, 1 - t, t * t, 0.5f, t}, 0.5f + 0.5f * t);
        if (frame > 1)
            EXPECT_GT(max_abs(out, previous), 1e-4) << "conditioning did not reach the GPU";
        previous = out;
    }
    EXPECT_EQ(shared_gpu().shader_compilations(), after_first) << "conditioning changes recompiled shaders";
}

TEST(GpuDevices, lists_at_least_one_device_and_flags_software_ones)
{
    const auto devices = list_gpu_devices();
    ASSERT_FALSE(devices.empty());
    for (const auto& d : devices)
        EXPECT_FALSE(d.name.empty());
    EXPECT_THROW(GpuContext({"no-such-gpu-name"}), GpuError);
    EXPECT_THROW(GpuContext({"99"}), GpuError);
}

TEST(GpuDevices, software_device_warns_once)
{
    int warnings = 0;
    GpuOptions opt;
    opt.warn = [&](const std::string& msg) {
        if (msg.find("software renderer") != std::string::npos)
            ++warnings;
    };
    GpuContext ctx(opt);
    EXPECT_EQ(warnings, ctx.device().software ? 1 : 0);
}
