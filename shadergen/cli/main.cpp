// cnnv3-shadergen: inspect models and run the CPU reference.
//
//   cnnv3-shadergen info [--model NAME|DIR]
//   cnnv3-shadergen reference [--model NAME|DIR] [--cond a,b,c,d,e] [-y] IN.png OUT.png
//   cnnv3-shadergen hook [--model NAME|DIR] (--cond a,b,c,d,e | --dynamic) [--strength S] [--stage MAIN]
//                        [-y] -o OUT.glsl
//   cnnv3-shadergen wgsl [-y] -o DIR
//   cnnv3-shadergen --help | --version
//
// Every failure is one line on stderr, "cnnv3-shadergen: FILE: problem", and a non-zero exit
// (2 for usage errors, which point to --help, 1 for everything else).

#include "../atomic_file.h"
#include "../cond_option.h"
#include "../conditioning_names.h"
#include "../excerpt.h"
#include "../hook_file.h"
#include "../model.h"
#include "../model_search.h"
#include "../png_image.h"
#include "../reference.h"
#include "../wgsl_file.h"
#include "version.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace cnnv3;

constexpr std::string_view usage_text =
    "usage: cnnv3-shadergen info [--model NAME|DIR]\n"
    "       cnnv3-shadergen reference [--model NAME|DIR] [--cond a,b,c,d,e] [--prev PREV.png] [-y] IN.png OUT.png\n"
    "       cnnv3-shadergen hook [--model NAME|DIR] (--cond a,b,c,d,e | --dynamic) [--strength S]\n"
    "                            [--stage MAIN] [-y] -o OUT.glsl\n"
    "       cnnv3-shadergen wgsl [-y] -o DIR\n"
    "       cnnv3-shadergen --help | --version\n"
    "\n"
    "  --model    a model directory, or a model name found like cnnv3 --model finds it (default:\n"
    "             the DEFAULT model)\n"
    "  info       print the model's configuration, sizes, parameter count and checksums\n"
    "  reference  stylize IN.png with the CPU reference (f32 math on the f16 weights) and write\n"
    "             OUT.png as 16-bit RGB. --cond is [beat_phase, beat_norm, audio_intensity,\n"
    "             style_p0, style_p1], each in [0, 1]; default: the model's default_cond from\n"
    "             model.json, or 0,0,0.5,0.5,0.5 when the model has no model.json. --prev gives\n"
    "             SPEC 2's prev.rgb (the previous frame's output before any strength mix, the size of\n"
    "             IN; default 0), as video hosts feed it (docs/formats.md).\n"
    "  hook       write an mpv/libplacebo user shader. --stage is the texture it hooks, one of\n"
    "             mpv's hook points (default MAIN): RGB LUMA CHROMA ALPHA XYZ CHROMA_SCALED\n"
    "             ALPHA_SCALED NATIVE MAINPRESUB MAIN LINEAR SIGMOID PREKERNEL POSTKERNEL SCALED OUTPUT\n"
    "  wgsl       write the browser tool's WebGPU shaders and plan.js into DIR (web/generated/ in\n"
    "             the source tree; docs/web.md). They hold no weights: one set serves every model.\n"
    "  -y         overwrite OUT (an existing file is refused without it; files are written\n"
    "             under a temporary name and renamed when complete); OUT - is standard output\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string command;
    bool help = false;
    std::string model;  // NAME or DIR for find_model(); empty: the default model
    std::optional<std::vector<float>> cond;
    bool dynamic = false;
    std::optional<float> strength;
    std::string stage = "MAIN";
    std::optional<std::string> output;
    std::optional<std::string> prev;  // reference: a PNG for prev.rgb
    bool overwrite = false;
    std::vector<std::string> positional;
};

Args parse_args(int argc, char** argv)
{
    if (argc < 2)
        throw UsageError("missing command");
    Args args;
    args.command = argv[1];
    if (args.command == "--help" || args.command == "-h") {
        args.help = true;
        return args;
    }
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw UsageError(fmt::format("{} needs a value", a));
            return argv[++i];
        };
        if (a == "--help" || a == "-h")
            args.help = true;
        else if (a == "--model")
            args.model = value();
        else if (a == "--cond")
            args.cond = parse_cond_option(value());
        else if (a == "--dynamic")
            args.dynamic = true;
        else if (a == "--strength") {
            const auto v = parse_cond_option(value(), "--strength");
            if (v.size() != 1)
                throw UsageError("--strength takes one number in [0, 1]");
            args.strength = v[0];
        } else if (a == "--stage") {
            args.stage = value();
            if (!is_hook_stage(args.stage))
                throw UsageError(fmt::format("--stage {:?} is not a texture mpv can hook (expected one of {})",
                                             args.stage, fmt::join(hook_stages, " ")));
        } else if (a == "--prev")
            args.prev = value();
        else if (a == "-o" || a == "--output")
            args.output = value();
        else if (a == "-y")
            args.overwrite = true;
        else if (a.starts_with("--"))
            throw UsageError(fmt::format("unknown option {}", excerpt(a)));
        else
            args.positional.emplace_back(a);
    }
    if (args.prev && args.command != "reference")
        throw UsageError("--prev goes with reference only");
    return args;
}

int run_info(const Args& args)
{
    if (!args.positional.empty())
        throw UsageError("info takes no positional arguments");
    const auto dir = find_model(args.model);
    const Model m = load_model(dir);
    const NetworkShape& s = m.shape;
    const std::size_t mlp_params = s.mlp_float_count();
    fmt::print("model        {} ({})\n", m.name, dir.string());
    fmt::print("config       enc_channels [{}, {}], film_cond_dim {} ({})\n", s.c0, s.c1, s.cond_dim,
               m.shape_inferred ? "inferred from the sizes of both .bin files: no model.json"
                                : "declared in model.json");
    fmt::print("weights      {}  {} bytes  {} f16  sha256 {}\n", weights_file_name, m.weights_bytes,
               s.conv_param_count(), m.weights_sha256);
    fmt::print("film mlp     {}  {} bytes  {} f32  sha256 {}\n", film_mlp_file_name, m.film_mlp_bytes, mlp_params,
               m.film_mlp_sha256);
    fmt::print("parameters   {} ({} conv + {} FiLM MLP)\n", s.conv_param_count() + mlp_params,
               s.conv_param_count(), mlp_params);
    for (Layer l : all_layers) {
        const ConvShape c = s.conv(l);
        fmt::print("  {:<11} conv {:>2} -> {:<2} dilation {}  {:>5} params  FiLM {}\n", layer_name(l), c.in, c.out,
                   c.dilation, c.param_count(), s.film_channels(l) ? "yes" : "no");
    }
    fmt::print("film outputs {}\n", s.film_size());
    fmt::print("recipe       {}\n", m.recipe.empty() ? "unknown (no model.json)" : m.recipe);
    fmt::print("default cond {}\n", fmt::join(m.default_cond, ","));
    return 0;
}

int run_reference(const Args& args)
{
    if (args.positional.size() != 2)
        throw UsageError("reference needs IN.png and OUT.png");
    const std::filesystem::path model_dir = find_model(args.model);
    const Model model = load_model(model_dir);
    const std::vector<float> cond = args.cond.value_or(model.default_cond);
    check_cond_count(cond, model.shape.cond_dim);
    refuse_same_file(args.positional[1], args.positional[0]);
    if (args.prev)
        refuse_same_file(args.positional[1], *args.prev, "the --prev image");
    refuse_model_files(args.positional[1], model_dir);
    check_output_file(args.positional[1], args.overwrite);
    const PngImage in = read_png(args.positional[0]);
    std::optional<PngImage> prev;
    if (args.prev) {
        prev = read_png(*args.prev);
        if (prev->rgb.width != in.rgb.width || prev->rgb.height != in.rgb.height)
            throw std::runtime_error(fmt::format("{}: {}x{} (expected the size of {}, {}x{})", *args.prev, prev->rgb.width,
                                                 prev->rgb.height, args.positional[0], in.rgb.width, in.rgb.height));
    }
    const Planes out = stylize_rgb(model, cond, in.rgb, prev ? &prev->rgb : nullptr);
    write_png_rgb16(args.positional[1], out, args.overwrite);
    return 0;
}

std::string preset_header(const Model& m, const Args& args, const std::vector<float>& cond, float strength)
{
    std::string h = fmt::format("cnnv3 {} preset of model \"{}\" (enc_channels [{}, {}], {} conv weights, recipe {})\n",
                                args.dynamic ? "dynamic" : "static", m.name, m.shape.c0, m.shape.c1,
                                m.shape.conv_param_count(), m.recipe.empty() ? "unknown" : m.recipe);
    h += fmt::format("weights sha256 {}\n", m.weights_sha256);
    if (args.dynamic) {
        h += fmt::format("conditioning: shader parameters {}\n"
                         "(defaults {}) and strength (default {}); the FiLM MLP runs once per frame in a tiny pass.\n"
                         "Parameters need libplacebo >= 5.264: mpv vo=gpu-next built on it, FFmpeg >= 6 vf_libplacebo,\n"
                         "vs-placebo. Debian 12 (libplacebo 4.208, mpv 0.35, FFmpeg 5.1) cannot parse this file:\n"
                         "use a static preset there.\n",
                         fmt::join(conditioning_names, ", "), fmt::join(cond, ","), strength);
    } else {
        h += fmt::format("conditioning fixed at {} = {}, strength {};\n"
                         "FiLM folded into the weights, no parameters.\n",
                         fmt::join(conditioning_names, ","), fmt::join(cond, ","), strength);
    }
    // Written to standard output (-o -), the file's name is the user's to choose.
    const std::string file = *args.output == "-" ? "FILE.glsl" : std::filesystem::path(*args.output).filename().string();
    h += "Generated by cnnv3-shadergen from the model files; do not edit. GPL-3.0-or-later.\n";
    h += fmt::format("mpv:        glsl-shader=~~/shaders/{}\n", file);
    h += fmt::format("FFmpeg 5.1: -init_hw_device vulkan=vk -filter_hw_device vk -vf\n"
                     "            format=rgba,hwupload,libplacebo=custom_shader_path={}:dithering=-1,hwdownload,format=rgba\n",
                     file);
    h += fmt::format("vs-placebo: core.placebo.Shader(clip, shader=\"{}\") (16-bit YUV in; see docs/presets.md)\n", file);
    return h;
}

int run_hook(const Args& args)
{
    if (!args.positional.empty())
        throw UsageError("hook takes no positional arguments (use -o OUT.glsl)");
    if (!args.output)
        throw UsageError("hook needs -o OUT.glsl");
    if (args.dynamic == args.cond.has_value())
        throw UsageError("hook needs exactly one of --cond a,b,c,d,e (static) and --dynamic");
    const std::filesystem::path model_dir = find_model(args.model);
    refuse_model_files(*args.output, model_dir);
    const Model model = load_model(model_dir);
    PlanOptions options;
    options.strength = args.strength.value_or(1.0f);
    if (args.dynamic) {
        options.default_params = model.default_cond;
        options.default_params.push_back(options.strength);
    } else {
        check_cond_count(*args.cond, model.shape.cond_dim);
        options.cond = *args.cond;
    }
    const PassPlan plan = plan_passes(model, options);
    HookFileInfo info;
    info.stage = args.stage;
    info.header_comment = preset_header(model, args, args.dynamic ? model.default_cond : *args.cond, options.strength);
    const std::string text = emit_hook_file(plan, options, info);
    write_file_atomically(*args.output, text, args.overwrite);
    return 0;
}

int run_wgsl(const Args& args)
{
    if (!args.positional.empty() || !args.model.empty() || args.cond || args.dynamic || args.strength)
        throw UsageError("wgsl takes only -o DIR and -y (the shaders do not depend on a model)");
    if (!args.output)
        throw UsageError("wgsl needs -o DIR");
    const std::filesystem::path dir = *args.output;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw std::runtime_error(dir.string() + ": not a directory (expected an existing directory for the WGSL files)");
    const std::vector<WgslFile> files = emit_wgsl_files(web_pass_plan());
    for (const WgslFile& f : files)  // refuse before writing any, so a refusal leaves DIR as it was
        check_output_file(dir / f.name, args.overwrite);
    for (const WgslFile& f : files)
        write_file_atomically(dir / f.name, f.text, args.overwrite);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
        fmt::print("cnnv3-shadergen {}\n", CNNV3_VERSION);
        return 0;
    }
    try {
        const Args args = parse_args(argc, argv);
        if (args.help) {
            fmt::print("{}", usage_text);
            return 0;
        }
        if (args.command == "info")
            return run_info(args);
        if (args.command == "reference")
            return run_reference(args);
        if (args.command == "hook")
            return run_hook(args);
        if (args.command == "wgsl")
            return run_wgsl(args);
        throw UsageError(fmt::format("unknown command \"{}\"", excerpt(args.command)));
    } catch (const UsageError& e) {
        fmt::print(stderr, "cnnv3-shadergen: {} (see `cnnv3-shadergen --help`)\n", e.what());
        return 2;
    } catch (const CondOptionError& e) {  // a bad --cond or --strength is a usage error too
        fmt::print(stderr, "cnnv3-shadergen: {} (see `cnnv3-shadergen --help`)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "cnnv3-shadergen: {}\n", e.what());
        return 1;
    }
}
