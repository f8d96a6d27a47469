#include "models_command.h"

#include "conditioning_names.h"
#include "model.h"
#include "model_search.h"
#include "preset_list.h"
#include "small_file.h"

#include "excerpt.h"

#include <fmt/format.h>
#include <fmt/ranges.h>


namespace cnnv3::cli {

const std::string_view models_usage =
    "usage: cnnv3 models [--data-dir]\n"
    "\n"
    "  List the models `--model NAME` finds: name, size (enc_channels) with a speed hint, the two styles\n"
    "  style_p0 moves between, the default conditioning, the shipped presets (glsl/) made from it, and\n"
    "  where it is. Search order: $CNNV3_MODEL_PATH, $XDG_DATA_HOME/cnnv3/weights, the installed models.\n"
    "  --data-dir   print the installed data folder (DATADIR/cnnv3: weights/, glsl/, mpv/) and exit\n";

namespace {

std::string cond_text(const std::vector<float>& cond)
{
    std::vector<std::string> parts;
    for (float v : cond)
        parts.push_back(fmt::format("{:g}", v));
    return fmt::format("{}", fmt::join(parts, ","));
}

// The size of the network, with what it means for speed (bench/RESULTS.md: the [4,8] models take
// about half the GPU time of [8,16] per frame).
std::string size_text(const NetworkShape& shape)
{
    const std::string size = fmt::format("[{},{}]", shape.c0, shape.c1);
    if (shape.c0 <= 4 && shape.c1 <= 8)
        return size + " fast";
    if (shape.c0 <= 8 && shape.c1 <= 16)
        return size + " finer (about 2x the GPU time of [4,8])";
    return size + " large";
}

// presets.tsv lists a few dozen presets; anything far larger is not ours.
constexpr std::uintmax_t presets_max_bytes = 1 << 20;

// weights/presets.tsv of one weights directory (preset_list.h); none when the directory has no
// such file. Read like every small file (small_file.h): a named pipe there is refused, not waited on.
std::vector<PresetRow> read_presets(const std::filesystem::path& weights_dir)
{
    const auto path = weights_dir / "presets.tsv";
    std::error_code ec;
    if (std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::not_found)
        return {};
    return parse_preset_list(read_small_file(path, presets_max_bytes, "a tab-separated list of presets"));
}

void print_model(const FoundModel& m, const std::string& default_name, std::ostream& out)
{
    out << m.name << (m.name == default_name ? "  (default)" : "") << "\n";
    try {
        const auto json_path = m.dir / "model.json";
        const std::string text = read_small_file(json_path, manifest_max_bytes, "a cnnv3 model.json");
        const Manifest manifest = parse_manifest(text, json_path.string());
        out << fmt::format("  size:    {}\n", size_text(manifest.shape));
        // "styles": optional in model.json (docs/formats.md): style A (style_p0 = 0), style B (= 1).
        if (manifest.styles.size() == 2)
            out << fmt::format("  styles:  {} (style_p0 = 0) -> {} (style_p0 = 1)\n", manifest.styles[0],
                               manifest.styles[1]);
        out << fmt::format("  default: --cond {}  ({})\n", cond_text(manifest.default_cond),
                           fmt::join(conditioning_names, ","));
    } catch (const std::exception& e) {
        out << "  model.json: " << e.what() << "\n";
    }
    std::vector<std::string> presets;
    try {
        for (const PresetRow& p : read_presets(m.dir.parent_path()))
            if (p.model == m.name)
                presets.push_back(fmt::format("{} ({})", p.name, p.conditioning));
    } catch (const SmallFileError& e) {
        presets.push_back(e.what());
    }
    if (!presets.empty())
        out << fmt::format("  presets: {}\n", fmt::join(presets, ", "));
    out << "  in:      " << m.dir.string() << "\n";
}

}  // namespace

int models_command(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    bool data_dir = false;
    for (const std::string& a : args) {
        if (a == "-h" || a == "--help") {
            out << models_usage;
            return 0;
        }
        if (a != "--data-dir")
            throw UsageError(fmt::format("models: unknown option {}", excerpt(a)));
        data_dir = true;
    }
    if (data_dir) {
        const auto dir = installed_data_dir();
        if (dir.empty())
            throw ModelError("--data-dir", "this cnnv3 is not installed: no DATADIR/cnnv3/weights beside it (expected "
                                          "a `meson install`; a build tree finds models through CNNV3_MODEL_PATH)");
        out << dir.string() << "\n";
        return 0;
    }
    const auto models = known_models();
    if (models.empty())
        throw ModelError("--model", "no models found (expected a weights directory: install cnnv3 or set "
                                    "CNNV3_MODEL_PATH)");
    std::string default_name;
    try {
        default_name = find_model("").filename().string();
    } catch (const ModelError&) {
    }
    for (const FoundModel& m : models)
        print_model(m, default_name, out);
    return 0;
}

}  // namespace cnnv3::cli
