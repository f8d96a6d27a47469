// The host's compute passes on a real Vulkan device (lavapipe in CI) against the CPU reference,
// in every variant the host can build (f16 ones only where the device grants shaderFloat16).
#include "gpu_context.h"
#include "../model_files.h"
#include "half.h"
#include "network_runner.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <vector>

using namespace cnnv3;

namespace {

// $CNNV3_SOURCE_DIR overrides the build's source tree: the GPU machine runs this binary elsewhere.
std::filesystem::path vectors(const char* name)
{
    const char* env = std::getenv("CNNV3_SOURCE_DIR");
    return std::filesystem::path(env && *env ? env : CNNV3_SOURCE_DIR) / "tests" / "vectors" / name;
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

namespace {

Planes rgb_of(const Planes& out)
{
    Planes rgb(3, out.height, out.width);
    std::copy(out.data.begin(), out.data.begin() + static_cast<std::ptrdiff_t>(rgb.data.size()), rgb.data.begin());
    return rgb;
}

// A previous output unlike the frame: smooth, in (0, 1), and different per channel.
Planes prev_like(int h, int w)
{
    Planes p(3, h, w);
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                p.at(c, y, x) = 0.5f + 0.4f * std::cos(0.05f * x - 0.09f * y * (c + 1) + c);
    return p;
}

}  // namespace

// hook builds exactly the hook files' passes; the others are the host's faster variants.
class RunnerVariants : public ::testing::TestWithParam<const char*> {};

TEST_P(RunnerVariants, match_cpu_reference_at_odd_sizes_within_1_255)
{
    const RunnerVariant wanted = RunnerVariant::parse(GetParam());
    if (wanted.precision != RunnerVariant::Precision::f32 && !shared_gpu().shader_f16())
        GTEST_SKIP() << shared_gpu().device().name << " does not grant shaderFloat16";
    if (wanted.tensor && !shared_gpu().coop_matrix())
        GTEST_SKIP() << shared_gpu().device().name << " has no tensor cores for it: " << shared_gpu().coop_matrix_problem();
    for (const char* name : {"test-random-48", "test-random-816"}) {
        const Model m = load_model(vectors(name));
        NetworkRunner runner(shared_gpu(), m, GetParam());
        EXPECT_EQ(runner.variant().tensor, wanted.tensor);
        if (!wanted.tensor) {
            EXPECT_EQ(runner.variant().precision, wanted.precision);
        }
        const std::vector<float> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
        for (auto [h, w] : {std::pair{479, 853}, {2, 3}, {1, 1}, {37, 21}}) {
            const Planes rgb = photo_like(h, w);
            const Planes want = stylize_rgb(m, cond, rgb);
            Planes want_rgb(3, h, w);
            std::copy(want.data.begin(), want.data.begin() + static_cast<std::ptrdiff_t>(want_rgb.data.size()),
                      want_rgb.data.begin());
            const Planes got = runner.run_planes(rgb, cond, 1.0f);
            const double err = max_abs(got, want_rgb);
            std::printf("%s %s %dx%d: max abs %.6f (%.3f/255)\n", runner.variant().name().c_str(), name, w, h, err,
                        err * 255);
            EXPECT_LE(err, 1.0 / 255) << GetParam() << " " << name << " " << w << "x" << h;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Host, RunnerVariants,
                         ::testing::Values("hook", "f32", "f32-16k", "f16s", "f16", "f16-16k", "tc", "tc3", "tch", "tc16"),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(RunnerVariant, parses_and_names_round_trip)
{
    for (const char* spec : {"f32", "f16s", "f16", "f16-16k", "f16s-48k", "auto", "hook", "tc", "tc3", "tch", "tc16"})
    {
        EXPECT_EQ(RunnerVariant::parse(spec).name(), spec);
        EXPECT_EQ(RunnerVariant::parse(RunnerVariant::parse(spec).name()), RunnerVariant::parse(spec)) << spec;
    }
    EXPECT_FALSE(RunnerVariant::parse("tc").fuse_low_res);  // five passes: the fused pass was slower (tc3)
    EXPECT_TRUE(RunnerVariant::parse("tc3").fuse_low_res);
    EXPECT_EQ(RunnerVariant::parse("tc").sums, CoopSums::f32);
    EXPECT_TRUE(RunnerVariant::parse("tch").tensor);
    EXPECT_EQ(RunnerVariant::parse("tch").sums, CoopSums::f32_stored_f16);
    EXPECT_FALSE(RunnerVariant::parse("tch").fuse_low_res);
    EXPECT_EQ(RunnerVariant::parse("tc16").sums, CoopSums::f16);
    const RunnerVariant v = RunnerVariant::parse("f16-32k");
    EXPECT_EQ(v.precision, RunnerVariant::Precision::f16);
    EXPECT_EQ(v.shared_kib, 32);
    for (const char* bad : {"", "f64", "f16-x2", "f32-8k", "f32-k", "f32-", "f32-16k-", "auto-16k", "hook-16k", "f16-16kk", "tc-16k", "tc3-16k", "tch-16k", "tc3h", "tchh", "tc5", "tc4",
                            // measured no faster than tc and removed (session 10): tall tiles (t), batched
                            // staging (s), storage-buffer intermediates (b), every conv on tensor cores (x)
                            "tct", "tcs", "tcbt", "tcxt", "tcts", "tcbts", "tc3t", "tcb", "tcx", "tcbx"})
        EXPECT_THROW(RunnerVariant::parse(bad), GpuError) << bad;
    // The message lists only what parse() takes (it offered the deleted tc[b][x] after their removal).
    try {
        RunnerVariant::parse("tcb");
    } catch (const GpuError& e) {
        EXPECT_NE(std::string(e.what()).find("f32, f16s or f16, or is tc, tc3, tch, tc16, hook or auto"), std::string::npos) << e.what();
    }
    // $CNNV3_GPU_VARIANT is the user's text: quoted as an excerpt, the message stays one short line
    // (found by the text fuzzer).
    for (const std::string& bad : {std::string("f16\nf32"), std::string("f32-16k\n-x"), std::string(500, 'f')}) {
        try {
            RunnerVariant::parse(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const GpuError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
            EXPECT_LT(what.size(), 200u) << what;
        }
    }
}

// GpuOptions::pipeline_stats: where the device offers VK_KHR_pipeline_executable_properties (NVIDIA)
// every conv pass reports its registers per invocation; where it does not (lavapipe of Mesa 22.3) the
// device still opens, the passes still run, and they report nothing.
TEST(NetworkRunner, pass_registers_where_the_driver_reports_them)
{
    GpuOptions options;
    options.pipeline_stats = true;
    GpuContext gpu(options);
    const Model m = load_model(vectors("test-random-816"));
    NetworkRunner runner(gpu, m, "auto");
    const Planes rgb = photo_like(5, 7);
    const std::vector<float> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    EXPECT_LE(max_abs(runner.run_planes(rgb, cond, 1.0f), rgb_of(stylize_rgb(m, cond, rgb))), 1.0 / 255);
    const auto registers = runner.pass_registers();
    ASSERT_EQ(registers.size(), 5u);
    std::printf("%s: pipeline statistics %s;", gpu.device().name.c_str(), gpu.pipeline_stats() ? "on" : "not offered");
    for (const auto& [description, n] : registers) {
        std::printf(" %d", n);
        if (gpu.pipeline_stats())
            EXPECT_GT(n, 0) << description;
        else
            EXPECT_EQ(n, -1) << description;
    }
    std::printf("\n");
}

TEST(NetworkRunner, auto_uses_f16_on_hardware_that_grants_it_and_f32_on_software)
{
    const Model m = load_model(vectors("test-random-48"));
    std::printf("%s: shaderFloat16 %s, %zu bytes of shared memory\n", shared_gpu().device().name.c_str(),
                shared_gpu().shader_f16() ? "granted" : "not granted", shared_gpu().max_shared_bytes());
    NetworkRunner hook(shared_gpu(), m, "hook");
    EXPECT_EQ(hook.variant().shared_kib, 16);
    NetworkRunner runner(shared_gpu(), m, "auto");
    const bool f16 = shared_gpu().shader_f16() && !shared_gpu().device().software;
    EXPECT_EQ(runner.variant().precision, f16 ? RunnerVariant::Precision::f16 : RunnerVariant::Precision::f32);
    EXPECT_EQ(runner.variant().tensor, auto_uses_tensor_cores && shared_gpu().coop_matrix());
    const CoopSums sums = !runner.variant().tensor || !auto_uses_f16_results                ? CoopSums::f32
                          : auto_uses_f16_sums && shared_gpu().coop_f16_sums() ? CoopSums::f16
                                                                               : CoopSums::f32_stored_f16;
    EXPECT_EQ(runner.variant().sums, sums);
    // Asked for explicitly where the device cannot: the same fallback as auto, with a warning.
    if (!shared_gpu().coop_matrix()) {
        EXPECT_EQ(NetworkRunner(shared_gpu(), m, "tc").variant().name(), runner.variant().name());
    } else {
        EXPECT_EQ(NetworkRunner(shared_gpu(), m, "tc").variant().name(), "tc");
    }
    EXPECT_EQ(runner.variant().shared_kib, static_cast<int>(shared_gpu().max_shared_bytes() / 1024));
    // A budget above the device's is clamped to it.
    NetworkRunner big(shared_gpu(), m, "f32-1024k");
    EXPECT_EQ(big.variant().shared_kib, static_cast<int>(shared_gpu().max_shared_bytes() / 1024));
}

TEST(NetworkRunner, environment_picks_the_variant_when_none_is_given)
{
    const Model m = load_model(vectors("test-random-48"));
    ::setenv("CNNV3_GPU_VARIANT", "f16s-16k", 1);
    NetworkRunner from_env(shared_gpu(), m);
    ::unsetenv("CNNV3_GPU_VARIANT");
    EXPECT_EQ(from_env.variant().name(), shared_gpu().shader_f16() ? "f16s-16k" : "f32-16k");
    ::setenv("CNNV3_GPU_VARIANT", "f99", 1);
    EXPECT_THROW(NetworkRunner(shared_gpu(), m), GpuError);
    ::unsetenv("CNNV3_GPU_VARIANT");
}

TEST(PassPlan, hook_defaults_stay_f32_and_host_f16_keeps_the_output_pass_f32)
{
    const Model m = load_model(vectors("test-random-816"));
    auto uses_f16 = [](const PassPlan& plan) {
        bool any = plan.common.find("float16") != std::string::npos;
        for (const PlannedPass& p : plan.passes)
            any |= p.body.find("f16") != std::string::npos;
        return any;
    };
    PlanOptions hook;
    const PassPlan plan = plan_passes(m, hook);
    EXPECT_FALSE(uses_f16(plan));
    for (const PlannedPass& p : plan.passes)
        EXPECT_LE(p.shared_bytes, 16384);
    PlanOptions planar = hook;
    planar.planar_tiles = true;
    EXPECT_FALSE(uses_f16(plan_passes(m, planar)));

    PlanOptions f16 = hook;
    f16.f16_math = true;
    const PassPlan host = plan_passes(m, f16);
    EXPECT_NE(host.common.find("#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require"),
              std::string::npos);
    EXPECT_NE(host.passes[1].body.find("f16mat4("), std::string::npos) << "enc0 products in f16";
    EXPECT_EQ(host.passes.back().body.find("f16mat4("), std::string::npos) << "dec0 products stay f32";
    EXPECT_NE(host.passes.back().body.find("shared f16vec4"), std::string::npos) << "dec0 tiles f16";
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
    // The first frame must compile: without this, an earlier run's pass cache serves it (pass_cache.h).
    setenv("CNNV3_PASS_CACHE", "0", 1);
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
        if (frame > 1) {
            EXPECT_GT(max_abs(out, previous), 1e-4) << "conditioning did not reach the GPU";
        }
        previous = out;
    }
    EXPECT_EQ(shared_gpu().shader_compilations(), after_first) << "conditioning changes recompiled shaders";
    unsetenv("CNNV3_PASS_CACHE");
}

// Regression: per-frame transfers once created and destroyed a staging buffer each frame, and
// lavapipe's queue thread wrote into the freed semaphore when the CPU was busy (segfault after a
// few dozen frames of `cnnv3 stylize` next to x264's threads). Busy threads make it likely again.
TEST(NetworkRunner, many_frames_under_cpu_load_keep_going_and_stay_identical)
{
    const Model m = load_model(vectors("test-random-48"));
    std::atomic<bool> done{false};
    std::vector<std::jthread> busy;
    for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i)
        busy.emplace_back([&done] {
            volatile unsigned long n = 0;
            while (!done.load(std::memory_order_relaxed))
                n = n + 1;
        });
    {
        NetworkRunner runner(shared_gpu(), m);
        const Planes rgb = photo_like(36, 64);
        const std::vector<float> cond = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        const Planes first = runner.run_planes(rgb, cond, 1.0f);
        for (int frame = 1; frame < 1000; ++frame)
            ASSERT_EQ(max_abs(runner.run_planes(rgb, cond, 1.0f), first), 0.0) << "frame " << frame;
    }
    done = true;
}

// run() resolves its passes and bindings once per (size, prev or not, output format) and only
// patches the frame's textures and FiLM values in: frames that switch between those must give what a
// fresh runner gives for each, bit for bit.
TEST(NetworkRunner, frames_switching_size_and_prev_match_fresh_runners)
{
    const Model m = load_model(vectors("test-random-816"));
    NetworkRunner runner(shared_gpu(), m);
    struct Frame {
        int h, w;
        bool prev;
        float t;
    };
    for (const Frame& f : {Frame{11, 17, false, 0.1f}, Frame{11, 17, true, 0.3f}, Frame{6, 5, true, 0.5f},
                           Frame{11, 17, false, 0.7f}, Frame{11, 17, true, 0.9f}}) {
        const Planes rgb = photo_like(f.h, f.w), prev = prev_like(f.h, f.w);
        const std::vector<float> cond = {f.t, 1 - f.t, 0.5f, 0.25f, f.t * f.t};
        const Planes got = runner.run_planes(rgb, cond, 0.75f, f.prev ? &prev : nullptr);
        NetworkRunner fresh(shared_gpu(), m);
        EXPECT_EQ(max_abs(got, fresh.run_planes(rgb, cond, 0.75f, f.prev ? &prev : nullptr)), 0.0)
            << f.w << "x" << f.h << (f.prev ? " with prev" : "") << " t " << f.t;
    }
}

TEST(GpuDevices, lists_at_least_one_device_and_flags_software_ones)
{
    const auto devices = list_gpu_devices();
    ASSERT_FALSE(devices.empty());
    for (const auto& d : devices)
        EXPECT_FALSE(d.name.empty());
    EXPECT_THROW(GpuContext({"no-such-gpu-name", {}}), GpuError);
    EXPECT_THROW(GpuContext({"99", {}}), GpuError);
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

// prev (SPEC §2 channels 9-11) on the GPU against the CPU reference given the same prev planes.
class RunnerPrev : public ::testing::TestWithParam<const char*> {};

TEST_P(RunnerPrev, matches_cpu_reference_with_the_same_prev_within_1_255)
{
    if (RunnerVariant::parse(GetParam()).tensor && !shared_gpu().coop_matrix())
        GTEST_SKIP() << shared_gpu().device().name << " has no tensor cores for it: " << shared_gpu().coop_matrix_problem();
    for (const char* name : {"test-random-48", "test-random-816"}) {
        const Model m = load_model(vectors(name));
        NetworkRunner runner(shared_gpu(), m, GetParam());
        const std::vector<float> cond = {0.7f, 0.1f, 0.4f, 0.6f, 0.3f};
        for (auto [h, w] : {std::pair{479, 853}, {2, 3}, {1, 1}}) {
            const Planes rgb = photo_like(h, w), prev = prev_like(h, w);
            const Planes want = rgb_of(stylize_rgb(m, cond, rgb, &prev));
            const Planes got = runner.run_planes(rgb, cond, 1.0f, &prev);
            const double err = max_abs(got, want);
            std::printf("%s %s %dx%d with prev: max abs %.6f (%.3f/255)\n", runner.variant().name().c_str(), name, w,
                        h, err, err * 255);
            EXPECT_LE(err, 1.0 / 255) << GetParam() << " " << name << " " << w << "x" << h;
            // The prev planes must move the output by more than the tolerance, or this test could not
            // tell a runner that ignores them.
            EXPECT_GT(max_abs(want, rgb_of(stylize_rgb(m, cond, rgb))), 1.0 / 255) << name << " " << w << "x" << h;
            // And nullptr is zeros again (the passes without prev are kept apart, not overwritten).
            EXPECT_LE(max_abs(runner.run_planes(rgb, cond, 1.0f), rgb_of(stylize_rgb(m, cond, rgb))), 1.0 / 255);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Host, RunnerPrev, ::testing::Values("hook", "f32", "auto", "tc", "tc3", "tch", "tc16"), [](const auto& info) {
    return std::string(info.param);
});

TEST(NetworkRunner, features_read_the_input_clamped_to_0_1)
{
    const Model m = load_model(vectors("test-random-816"));
    NetworkRunner runner(shared_gpu(), m);
    Planes rgb = photo_like(31, 45);
    for (float& v : rgb.data)
        v = 2.0f * v - 0.5f;  // -0.4 .. 1.4
    const std::vector<float> cond = {0.2f, 0.5f, 0.9f, 0.1f, 0.4f};
    const Planes want = rgb_of(stylize_rgb(m, cond, rgb));  // the reference clamps (reference.h)
    EXPECT_LE(max_abs(runner.run_planes(rgb, cond, 1.0f), want), 1.0 / 255);
}

// run() on textures a host uploads itself: an rgba8 unorm input and output_format() as the output,
// 16-bit float where the device allows it.
TEST(NetworkRunner, unorm_input_into_the_preferred_output_format)
{
    const Model m = load_model(vectors("test-random-48"));
    NetworkRunner runner(shared_gpu(), m);
    pl_gpu gpu = shared_gpu().gpu();
    pl_fmt out_fmt = runner.output_format();
    ASSERT_TRUE(out_fmt->caps & PL_FMT_CAP_STORABLE);
    const bool half_there = pl_find_fmt(gpu, PL_FMT_FLOAT, 4, 16, 16, static_cast<enum pl_fmt_caps>(
                                            PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_STORABLE)) != nullptr;
    EXPECT_EQ(out_fmt->component_depth[0], half_there ? 16 : 32);
    if (!(out_fmt->caps & PL_FMT_CAP_HOST_READABLE))
        GTEST_SKIP() << out_fmt->name << " cannot be downloaded on this device";
    const int w = 23, h = 17;
    pl_fmt in_fmt = pl_find_named_fmt(gpu, "rgba8");
    ASSERT_NE(in_fmt, nullptr);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(w) * h * 4);
    Planes rgb(3, h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 4; ++c) {
                const auto v = static_cast<std::uint8_t>((x * 11 + y * 7 + c * 60) % 256);
                bytes[(static_cast<std::size_t>(y) * w + x) * 4 + c] = v;
                if (c < 3)
                    rgb.at(c, y, x) = static_cast<float>(v) / 255.0f;
            }
    struct pl_tex_params in = {};
    in.w = w;
    in.h = h;
    in.format = in_fmt;
    in.sampleable = true;
    in.host_writable = true;
    GpuTexture input(gpu, in);
    struct pl_tex_params out = {};
    out.w = w;
    out.h = h;
    out.format = out_fmt;
    out.storable = true;
    out.host_readable = true;
    GpuTexture output(gpu, out);
    // Transfers through buffers that outlive them: a transfer from a host pointer creates and destroys
    // a buffer at once, which lavapipe's queue thread races with (GpuContext::wait_idle).
    const std::size_t texel = out_fmt->texel_size;
    std::vector<std::uint8_t> result(static_cast<std::size_t>(w) * h * texel);
    struct pl_buf_params bp = {};
    bp.size = bytes.size();
    bp.host_writable = true;
    GpuBuffer up_buf(gpu, bp);
    bp.size = result.size();
    bp.host_writable = false;
    bp.host_readable = true;
    GpuBuffer down_buf(gpu, bp);
    pl_buf_write(gpu, up_buf.get(), 0, bytes.data(), bytes.size());
    struct pl_tex_transfer_params up = {};
    up.tex = input.get();
    up.buf = up_buf.get();
    ASSERT_TRUE(pl_tex_upload(gpu, &up));
    const std::vector<float> cond = {0.3f, 0.3f, 0.3f, 0.3f, 0.3f};
    runner.run(input.get(), output.get(), cond, 1.0f);
    struct pl_tex_transfer_params down = {};
    down.tex = output.get();
    down.buf = down_buf.get();
    ASSERT_TRUE(pl_tex_download(gpu, &down));
    ASSERT_TRUE(pl_buf_read(gpu, down_buf.get(), 0, result.data(), result.size()));
    shared_gpu().wait_idle();  // before the textures and buffers go (GpuContext::wait_idle)
    const Planes want = rgb_of(stylize_rgb(m, cond, rgb));
    Planes got(3, h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) {
                const std::uint8_t* px = &result[(static_cast<std::size_t>(y) * w + x) * texel];
                if (texel == 8) {
                    std::uint16_t hv;
                    std::memcpy(&hv, px + c * 2, 2);
                    got.at(c, y, x) = half_to_float(hv);
                } else {
                    std::memcpy(&got.at(c, y, x), px + c * 4, 4);
                }
            }
    EXPECT_LE(max_abs(got, want), 1.0 / 255);
}

TEST(NetworkRunner, run_rejects_a_prev_of_another_size)
{
    const Model m = load_model(vectors("test-random-48"));
    NetworkRunner runner(shared_gpu(), m);
    const std::vector<float> cond = {0.3f, 0.3f, 0.3f, 0.3f, 0.3f};
    const Planes wrong = prev_like(4, 5);
    EXPECT_THROW(runner.run_planes(photo_like(5, 5), cond, 1.0f, &wrong), GpuError);
    EXPECT_THROW(runner.run_planes(photo_like(5, 5), std::vector<float>{0.3f}, 1.0f), GpuError);
    struct pl_tex_params p = {};
    p.w = 5;
    p.h = 5;
    p.format = runner.output_format();
    p.sampleable = true;
    p.storable = true;
    GpuTexture t(shared_gpu().gpu(), p), u(shared_gpu().gpu(), p);
    EXPECT_THROW(runner.run(t.get(), t.get(), cond, 1.0f), GpuError);
    EXPECT_THROW(runner.run(t.get(), u.get(), cond, 1.0f, u.get()), GpuError);
}

// [8,32]: enc1's gamma and beta take 256 bytes, more than lavapipe's 128 bytes of push constants, so
// there that pass reads them from a uniform buffer (the runner's fallback), updated every frame.
TEST(NetworkRunner, film_block_larger_than_push_constants_matches_cpu_reference)
{
    cnnv3::testing::TempDir dir("runner832");
    cnnv3::testing::write_model_dir(dir.path(), {8, 32, 5}, 7, true);
    const Model m = load_model(dir.path());
    std::printf("push constants: %zu bytes\n", shared_gpu().gpu()->limits.max_pushc_size);
    NetworkRunner runner(shared_gpu(), m, "f32");
    const Planes rgb = photo_like(45, 61);
    for (const std::vector<float>& cond : {std::vector<float>{0.1f, 0.9f, 0.3f, 0.5f, 0.2f}, std::vector<float>{0.8f, 0.2f, 0.6f, 0.1f, 0.9f}}) {
        const Planes want = rgb_of(stylize_rgb(m, cond, rgb));
        EXPECT_LE(max_abs(runner.run_planes(rgb, cond, 1.0f), want), 1.0 / 255);
    }
}

// Frames back to back with a FiLM block in uniform buffers ([8,32] on lavapipe, as above): run() must
// not wait for the previous frames on the GPU. libplacebo 4.208's pl_buf_write into a host-visible
// buffer waits until no queued command reads it (lavapipe's memory is all host-visible), so with one
// buffer per pass, run() of frame 3 returned only after frame 2's enc1 and so all of frame 1 had
// finished. With film_ring buffers per pass, frame 1 is still on the GPU when run() of frame 3 returns
// (a 480x270 frame takes lavapipe tens of milliseconds; recording one, well under one). Then frames
// around the ring, each with its own conditioning, against the CPU reference.
TEST(NetworkRunner, film_buffers_in_turn_so_run_does_not_wait_for_earlier_frames)
{
    cnnv3::testing::TempDir dir("runner832ring");
    cnnv3::testing::write_model_dir(dir.path(), {8, 32, 5}, 7, true);
    const Model m = load_model(dir.path());
    NetworkRunner runner(shared_gpu(), m, "f32");
    pl_gpu gpu = shared_gpu().gpu();
    if (gpu->limits.max_pushc_size >= 256)
        GTEST_SKIP() << "enc1's FiLM block fits in this device's push constants";
    pl_fmt fmt = pl_find_fmt(gpu, PL_FMT_FLOAT, 4, 32, 32, static_cast<enum pl_fmt_caps>(PL_FMT_CAP_STORABLE | PL_FMT_CAP_HOST_READABLE));
    ASSERT_NE(fmt, nullptr);
    auto cond_of = [](int k) {
        const float t = 0.15f * static_cast<float>(k);
        return std::vector<float>{0.1f + t, 0.9f - t, 0.3f, 0.5f + 0.5f * t, 0.2f};
    };
    auto outputs = [&](int w, int h, int n) {
        std::vector<GpuTexture> out;
        struct pl_tex_params p = {};
        p.w = w;
        p.h = h;
        p.format = fmt;
        p.storable = true;
        p.host_readable = true;
        for (int k = 0; k < n; ++k)
            out.emplace_back(gpu, p);
        return out;
    };
    {
        const std::vector<GpuTexture> out = outputs(480, 270, 3);
        pl_tex input = runner.upload_rgb(photo_like(270, 480));
        runner.run(input, out[0].get(), cond_of(0), 1.0f);  // compiles the passes, then records
        pl_gpu_finish(gpu);
        for (int k = 0; k < 3; ++k)
            runner.run(input, out[static_cast<std::size_t>(k)].get(), cond_of(k), 1.0f);
        EXPECT_TRUE(pl_tex_poll(gpu, out[0].get(), 0)) << "run() waited for an earlier frame";
        shared_gpu().wait_idle();
    }
    const int w = 45, h = 61, frames = film_ring + 2;
    const std::vector<GpuTexture> out = outputs(w, h, frames);
    const Planes rgb = photo_like(h, w);
    pl_tex input = runner.upload_rgb(rgb);
    for (int k = 0; k < frames; ++k)
        runner.run(input, out[static_cast<std::size_t>(k)].get(), cond_of(k), 1.0f);
    struct pl_buf_params bp = {};
    bp.size = static_cast<std::size_t>(w) * h * 4 * sizeof(float);
    bp.host_readable = true;
    GpuBuffer down_buf(gpu, bp);
    std::vector<float> texels(static_cast<std::size_t>(w) * h * 4);
    for (int k = 0; k < frames; ++k) {
        struct pl_tex_transfer_params down = {};
        down.tex = out[static_cast<std::size_t>(k)].get();
        down.buf = down_buf.get();
        ASSERT_TRUE(pl_tex_download(gpu, &down));
        ASSERT_TRUE(pl_buf_read(gpu, down_buf.get(), 0, texels.data(), bp.size));
        Planes got(3, h, w);
        for (int i = 0; i < w * h; ++i)
            for (int c = 0; c < 3; ++c)
                got.plane(c)[static_cast<std::size_t>(i)] = texels[static_cast<std::size_t>(i) * 4 + c];
        EXPECT_LE(max_abs(got, rgb_of(stylize_rgb(m, cond_of(k), rgb))), 1.0 / 255) << "frame " << k;
    }
    shared_gpu().wait_idle();  // before the textures and buffers go (GpuContext::wait_idle)
}
