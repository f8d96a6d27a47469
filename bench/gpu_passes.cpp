// Benchmark: the host's compute passes (filter/gpu/NetworkRunner) on one Vulkan device, for the
// [4,8] and [8,16] networks at 1080p and 2160p. Per configuration: warm-up, then N frames with
// conditioning that changes every frame (as in a music video), timed by the wall clock around
// the dispatches plus pl_gpu_finish; prints a Markdown table.
// usage: cnnv3-bench-gpu [--gpu N|NAME] [--iters N] [--sizes 1920x1080,3840x2160] [--source-dir DIR]
#include "gpu_context.h"
#include "network_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace cnnv3;

int main(int argc, char** argv)
{
    std::string device, sizes = "1920x1080,3840x2160", source = CNNV3_SOURCE_DIR;
    int iters = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--gpu") device = argv[i + 1];
        else if (a == "--iters") iters = std::stoi(argv[i + 1]);
        else if (a == "--sizes") sizes = argv[i + 1];
        else if (a == "--source-dir") source = argv[i + 1];
    }
    try {
        GpuOptions opt;
        opt.device = device;
        opt.warn = [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
        GpuContext gpu(opt);
        fmt::print("device: {} ({}), libplacebo API {}\n\n", gpu.device().name, gpu.device().type, PL_API_VER);
        fmt::print("| network | size | GPU passes ms/frame | frames |\n|---|---|---|---|\n");
        for (const char* model_name : {"test-random-48", "test-random-816"}) {
            const Model model = load_model(std::string(source) + "/tests/vectors/" + model_name);
            NetworkRunner runner(gpu, model);
            std::size_t at = 0;
            while (at < sizes.size()) {
                const std::size_t comma = sizes.find(',', at);
                const std::string s = sizes.substr(at, comma - at);
                at = comma == std::string::npos ? sizes.size() : comma + 1;
                const int w = std::stoi(s.substr(0, s.find('x'))), h = std::stoi(s.substr(s.find('x') + 1));
                struct pl_tex_params in = {};
                in.w = w;
                in.h = h;
                in.format = runner.input_format();
                in.sampleable = true;
                in.storable = true;  // filled by a clear below, no upload needed
                in.blit_dst = true;
                GpuTexture input(gpu.gpu(), in);
                struct pl_tex_params out = in;
                GpuTexture output(gpu.gpu(), out);
                const float grey[4] = {0.4f, 0.5f, 0.6f, 1.0f};
                pl_tex_clear(gpu.gpu(), input.get(), grey);
                auto frame = [&](int n) {
                    const float t = static_cast<float>(n % 32) / 32.0f;
                    const std::vector<float> cond = {t, t * 0.5f, 1 - t, 0.5f, 0.8f};
                    runner.run(input.get(), output.get(), cond, 1.0f);
                };
                for (int n = 0; n < 3; ++n)
                    frame(n);
                pl_gpu_finish(gpu.gpu());
                const auto t0 = std::chrono::steady_clock::now();
                for (int n = 0; n < iters; ++n)
                    frame(n);
                pl_gpu_finish(gpu.gpu());
                const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                fmt::print("| [{},{}] | {}x{} | {:.3f} | {} |\n", model.shape.c0, model.shape.c1, w, h, ms / iters, iters);
                std::fflush(stdout);
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cnnv3-bench-gpu: %s\n", e.what());
        return 1;
    }
}
