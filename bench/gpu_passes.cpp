// Benchmark: the host's compute passes (filter/gpu/NetworkRunner) on one Vulkan device, for the
// [4,8] and [8,16] networks at 1080p and 2160p, in one or more runner variants (network_runner.h:
// hook = the hook files' passes, f32, f16s, f16, -<N>k, tc, auto). Per configuration: warm-up,
// then N frames with conditioning that changes every frame (as in a music video), timed by the
// wall clock: queued (all N recorded back to back, then pl_gpu_finish: the throughput with frames in
// flight) and one at a time (pl_gpu_finish after each frame: one frame's latency). The best of
// --rounds is printed as a Markdown table, with the time spent inside NetworkRunner::run() in the
// queued rounds (CPU work plus any wait on the GPU) and the CPU time of the whole process per frame
// (all threads: on a software device such as lavapipe this is the work itself, and it stays
// comparable when other programs share the cores).
// --pass-times adds each pass's mean GPU time (libplacebo timer queries) from one more queued round
// (the timers stay off in the timed rounds: they add CPU work per pass), and where the device offers
// VK_KHR_pipeline_executable_properties, each pass's registers per invocation (GpuOptions::pipeline_stats).
// --in-flight N: the queued rounds keep at most N frames on the GPU, as `cnnv3 stylize` does
// (FramePlanesGpu::frames_in_flight = 3): frame i writes output i % N, after waiting (outside run())
// until the frame that wrote it before has finished. 0 (the default): all frames recorded back to
// back into one output, the queue as deep as the driver lets it grow (up to 1000 submissions).
// The last column says why run() took what it took: its slowest call in the best queued round, a
// fixed CPU loop timed before the configuration (it grows when this process gets less of a core:
// another tenant, a lower clock), and the host's steal time over the configuration's rounds
// (/proc/stat; a virtual machine's vCPUs waiting for the physical ones).
// --frames: the input and output textures given to run(). rgba16f (the default) is what `cnnv3
// stylize`'s GPU path gives it (frame_planes_gpu.cpp: an rgba16f RGB texture in, output_format()
// out); rgba32f (input_format() in and out) is what this bench used up to session 8: at 2160p it
// moves ~200 MB more per frame through enc0 and dec0.
// usage: cnnv3-bench-gpu [--gpu N|NAME] [--iters N] [--rounds N] [--sizes 1920x1080,3840x2160]
//                        [--variants auto,f32-16k,...] [--models test-random-48,test-random-816]
//                        [--pass-times] [--frames rgba16f|rgba32f] [--in-flight N] [--warm-ms MS]
//                        [--one-queue] [--source-dir DIR]
// --one-queue: no separate transfer queue (GpuOptions::transfer_queue), so textures and buffers are
// EXCLUSIVE rather than CONCURRENT; this bench transfers nothing, so only that differs.
// --warm-ms: how long the first configuration runs frames before it is timed (default 1000: the GPU
// leaves its idle clocks).
#include "gpu_context.h"
#include "network_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace cnnv3;

namespace {

double process_cpu_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// The host's CPU time so far, all CPUs, and the part of it stolen by the hypervisor (jiffies).
std::pair<double, double> host_cpu_and_steal()
{
    std::ifstream stat("/proc/stat");
    std::string line, cpu;
    if (!std::getline(stat, line))
        return {0, 0};
    std::istringstream in(line);
    in >> cpu;
    double total = 0, steal = 0, v = 0;
    for (int field = 0; in >> v && field < 8; ++field) {  // user nice system idle iowait irq softirq steal
        total += v;
        if (field == 7)
            steal = v;
    }
    return {total, steal};
}

// A fixed integer loop (about a millisecond on a recent core), its wall time in ms: best of 5.
double cpu_probe_ms()
{
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        volatile std::uint64_t x = 1;
        std::uint64_t v = x;
        for (int i = 0; i < 2'000'000; ++i)
            v = v * 6364136223846793005ull + 1442695040888963407ull;
        x = v;
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= s.size()) {
        const std::size_t comma = std::min(s.find(',', at), s.size());
        if (comma > at)
            out.push_back(s.substr(at, comma - at));
        at = comma + 1;
    }
    return out;
}

// "enc0 0.412 · enc1 0.101 · ..." from the runner's pass descriptions ("cnnv3 enc0 conv 20->8").
// "enc0" of "cnnv3 enc0 conv 20->8": a pass's layer, from its description.
std::string layer_of(const std::string& description)
{
    const std::size_t a = description.find(' ') + 1, b = description.find(' ', a);
    return description.substr(a, b - a);
}

std::string pass_summary(const std::vector<std::pair<std::string, double>>& times)
{
    std::string s;
    double total = 0;
    for (const auto& [desc, ms] : times) {
        s += fmt::format("{}{} {:.3f}", s.empty() ? "" : " · ", layer_of(desc), ms);
        total += ms;
    }
    return fmt::format("{} (sum {:.3f})", s, total);
}

// "enc0 52 · enc1 60 · ...": registers per invocation, "?" where the driver gave none.
std::string register_summary(const std::vector<std::pair<std::string, int>>& registers)
{
    std::string s;
    for (const auto& [desc, n] : registers)
        s += fmt::format("{}{} {}", s.empty() ? "" : " · ", layer_of(desc), n >= 0 ? std::to_string(n) : "?");
    return s;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string device, sizes = "1920x1080,3840x2160", source = CNNV3_SOURCE_DIR, variants = "auto",
                        models = "test-random-48,test-random-816", frames = "rgba16f";
    int iters = 20, rounds = 3, in_flight = 0, warm_ms = 1000;
    bool pass_times = false, one_queue = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--pass-times" || a == "--one-queue") {
            (a == "--pass-times" ? pass_times : one_queue) = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "cnnv3-bench-gpu: %s needs a value\n", a.c_str());
            return 2;
        }
        const std::string v = argv[++i];
        int number = 0;
        const bool is_number = std::from_chars(v.data(), v.data() + v.size(), number).ptr == v.data() + v.size() && !v.empty();
        if ((a == "--iters" || a == "--rounds" || a == "--in-flight" || a == "--warm-ms") && (!is_number || number < 0)) {
            std::fprintf(stderr, "cnnv3-bench-gpu: %s %s (expected a whole number >= 0)\n", a.c_str(), v.c_str());
            return 2;
        }
        if (a == "--gpu") device = v;
        else if (a == "--iters") iters = std::max(1, number);
        else if (a == "--rounds") rounds = std::max(1, number);
        else if (a == "--sizes") sizes = v;
        else if (a == "--source-dir") source = v;
        else if (a == "--variants") variants = v;
        else if (a == "--models") models = v;
        else if (a == "--in-flight") in_flight = number;
        else if (a == "--warm-ms") warm_ms = number;
        else if (a == "--frames" && (v == "rgba16f" || v == "rgba32f")) frames = v;
        else if (a == "--frames") {
            std::fprintf(stderr, "cnnv3-bench-gpu: --frames %s (expected rgba16f or rgba32f)\n", v.c_str());
            return 2;
        }
        else {
            std::fprintf(stderr, "cnnv3-bench-gpu: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    try {
        GpuOptions opt;
        opt.device = device;
        opt.transfer_queue = !one_queue;
        opt.pipeline_stats = pass_times;
        opt.warn = [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
        GpuContext gpu(opt);
        fmt::print("device: {} ({}), libplacebo API {}, shaderFloat16 {}, {} KiB shared memory, tensor cores {}; "
                   "auto = {}; frames {}{}\n\n",
                   gpu.device().name, gpu.device().type, PL_API_VER, gpu.shader_f16() ? "granted" : "not granted",
                   gpu.max_shared_bytes() / 1024, gpu.coop_matrix() ? "used" : "not used (" + gpu.coop_matrix_problem() + ")",
                   RunnerVariant::for_device(gpu).name(), frames, one_queue ? "; one queue family (EXCLUSIVE resources)" : "");
        const std::string queued = in_flight ? fmt::format("queued, {} in flight", in_flight) : std::string("queued");
        fmt::print("| network | size | variant | GPU passes ms/frame, {} | one at a time | in run() ms/frame | "
                   "process CPU ms/frame | frames x rounds | slowest run() ms · CPU probe ms · steal % |{}\n"
                   "|---|---|---|---|---|---|---|---|---|{}\n",
                   queued,
                   !pass_times ? "" : gpu.pipeline_stats() ? " GPU ms per pass | registers per invocation |" : " GPU ms per pass |",
                   !pass_times ? "" : gpu.pipeline_stats() ? "---|---|" : "---|");
        bool device_warm = false;
        for (const std::string& model_name : split(models)) {
            const Model model = load_model(source + "/tests/vectors/" + model_name);
            std::vector<std::unique_ptr<NetworkRunner>> runners;
            const std::vector<std::string> specs = split(variants);
            for (const std::string& v : specs)
                runners.push_back(std::make_unique<NetworkRunner>(gpu, model, v));
            for (const std::string& s : split(sizes)) {
                const int w = std::stoi(s.substr(0, s.find('x'))), h = std::stoi(s.substr(s.find('x') + 1));
                struct pl_tex_params in = {};
                in.w = w;
                in.h = h;
                in.format = frames == "rgba32f" ? runners.front()->input_format()
                                                : pl_find_fmt(gpu.gpu(), PL_FMT_FLOAT, 4, 16, 16,
                                                              static_cast<enum pl_fmt_caps>(PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_STORABLE));
                if (!in.format)
                    throw GpuError("the GPU has no storable rgba16f texture (try --frames rgba32f)");
                in.sampleable = true;
                in.storable = true;  // filled by a clear below, no upload needed
                in.blit_dst = true;
                GpuTexture input(gpu.gpu(), in);
                struct pl_tex_params out = in;
                if (frames == "rgba16f")
                    out.format = runners.front()->output_format();
                // Queued rounds with --in-flight N write output i % N (the others: output 0).
                std::vector<GpuTexture> outputs;
                for (int k = 0; k < std::max(1, in_flight); ++k)
                    outputs.emplace_back(gpu.gpu(), out);
                const float grey[4] = {0.4f, 0.5f, 0.6f, 1.0f};
                pl_tex_clear(gpu.gpu(), input.get(), grey);
                for (std::size_t vi = 0; vi < runners.size(); ++vi) {
                    NetworkRunner* runner = runners[vi].get();
                    const std::string name = runner->variant().name();
                    const std::string shown = name == specs[vi] ? name : fmt::format("{} ({})", specs[vi], name);
                    double cpu_ms = 0;  // inside run(): recording, uploads, and any wait on the GPU
                    double slowest = 0;  // the longest run() call since reset
                    auto frame = [&](int n, bool ring = false) {
                        const float t = static_cast<float>(n % 32) / 32.0f;
                        const std::vector<float> cond = {t, t * 0.5f, 1 - t, 0.5f, 0.8f};
                        pl_tex target = outputs[ring ? static_cast<std::size_t>(n % std::max(1, in_flight)) : 0].get();
                        if (ring && in_flight)  // the frame that wrote it last has finished: at most N in flight
                            while (pl_tex_poll(gpu.gpu(), target, UINT64_MAX)) {
                            }
                        const auto c0 = std::chrono::steady_clock::now();
                        runner->run(input.get(), target, cond, 1.0f);
                        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
                        cpu_ms += ms;
                        slowest = std::max(slowest, ms);
                    };
                    // The first configuration also brings the GPU out of its idle clocks.
                    const auto warm_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(device_warm ? 0 : warm_ms);
                    int n = 0;
                    do {
                        frame(n++);
                        pl_gpu_finish(gpu.gpu());
                    } while (n < 3 || std::chrono::steady_clock::now() < warm_until);
                    device_warm = true;
                    // Queued: the frames recorded back to back, one pl_gpu_finish at the end (the
                    // throughput when the CPU keeps frames in flight, as the CLI does). One at a
                    // time: pl_gpu_finish after every frame (the latency of one frame). No timers
                    // in these rounds: they cost CPU work per pass.
                    double best = 1e30, best_single = 1e30, best_cpu = 0, best_process = 1e30, best_slowest = 0;
                    const double probe = cpu_probe_ms();
                    const auto [host0, steal0] = host_cpu_and_steal();
                    for (int r = 0; r < rounds; ++r) {
                        cpu_ms = 0;
                        slowest = 0;
                        const double p0 = process_cpu_ms();
                        const auto t0 = std::chrono::steady_clock::now();
                        for (int i = 0; i < iters; ++i)
                            frame(i, true);
                        pl_gpu_finish(gpu.gpu());
                        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                        best_process = std::min(best_process, (process_cpu_ms() - p0) / iters);
                        if (ms / iters < best) {
                            best = ms / iters;
                            best_cpu = cpu_ms / iters;
                            best_slowest = slowest;
                        }
                        const auto t1 = std::chrono::steady_clock::now();
                        for (int i = 0; i < iters; ++i) {
                            frame(i);
                            pl_gpu_finish(gpu.gpu());
                        }
                        best_single = std::min(best_single, std::chrono::duration<double, std::milli>(
                                                                std::chrono::steady_clock::now() - t1).count() / iters);
                    }
                    const auto [host1, steal1] = host_cpu_and_steal();
                    const double steal_pct = host1 > host0 ? 100.0 * (steal1 - steal0) / (host1 - host0) : 0.0;
                    fmt::print("| [{},{}] | {}x{} | {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {} x {} | {:.3f} · {:.3f} · {:.1f} |",
                               model.shape.c0, model.shape.c1, w, h, shown, best, best_single, best_cpu, best_process, iters,
                               rounds, best_slowest, probe, steal_pct);
                    if (pass_times) {  // one more queued round, timed per pass
                        runner->enable_pass_timers();
                        runner->pass_times_ms();  // drop older results
                        for (int i = 0; i < iters; ++i)
                            frame(i, true);
                        pl_gpu_finish(gpu.gpu());
                        fmt::print(" {} |", pass_summary(runner->pass_times_ms()));
                        if (gpu.pipeline_stats())
                            fmt::print(" {} |", register_summary(runner->pass_registers()));
                        runner->enable_pass_timers(false);
                    }
                    fmt::print("\n");
                    std::fflush(stdout);
                }
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cnnv3-bench-gpu: %s\n", e.what());
        return 1;
    }
}
