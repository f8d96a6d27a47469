// cnnv3: the host command line. One command per entry of `commands` below; each lives in its own
// <name>_command.{h,cpp} with its usage text.
//
//   cnnv3 stylize [options] IN OUT stylize a video or still on the GPU, FiLM following the audio
//   cnnv3 analyze IN [options]     audio -> per-frame conditioning CSV (SPEC §6)
//   cnnv3 devices                  the Vulkan devices --gpu can pick
//
// Every failure is one line on stderr, "cnnv3: FILE: problem", and exit status 1; a usage error
// is one line too, "cnnv3: problem (see `cnnv3 COMMAND --help`)", with exit status 2.
// SIGPIPE is ignored: a closed stdout is a write error reported like any other ("stdout: ...").

#include "analyze_command.h"
#include "command.h"
#include "devices_command.h"
#include "excerpt.h"
#include "models_command.h"
#include "stylize_command.h"
#include "version.h"

#include <fmt/format.h>

extern "C" {
#include <libavutil/log.h>
}

#include <array>
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace cnnv3::cli;

struct Command {
    std::string_view name;
    std::string_view summary;
    CommandFunction run;
    const std::string_view* usage;
};

const std::array commands = {
    Command{"stylize", "stylize a video or still image on the GPU, following the music of its audio", &stylize_command,
            &stylize_usage},
    Command{"analyze", "analyse the audio of a media file into a per-frame conditioning track (CSV)", &analyze_command,
            &analyze_usage},
    Command{"devices", "list the Vulkan devices that --gpu can pick", &devices_command, &devices_usage},
    Command{"models", "list the models --model finds, their styles and presets", &models_command, &models_usage},
};

std::string overview()
{
    std::string text = "usage: cnnv3 COMMAND [options]   (cnnv3 COMMAND --help for its options)\n"
                       "       cnnv3 --version\n\n";
    for (const Command& c : commands)
        text += fmt::format("  {:<10} {}\n", c.name, c.summary);
    return text;
}

}  // namespace

int main(int argc, char** argv)
{
    // FFmpeg's own log lines would break the one-line error rule; failures reach the user through
    // the exceptions of the layers below.
    av_log_set_level(AV_LOG_QUIET);
    std::signal(SIGPIPE, SIG_IGN);
    const Command* command = nullptr;
    try {
        if (argc < 2)
            throw UsageError("missing command");
        const std::string_view name = argv[1];
        if (name == "-h" || name == "--help" || name == "help") {
            std::cout << overview();
            return 0;
        }
        if (name == "--version") {
            std::cout << "cnnv3 " CNNV3_VERSION "\n";
            return 0;
        }
        for (const Command& c : commands)
            if (c.name == name)
                command = &c;
        if (!command)
            throw UsageError(fmt::format("unknown command \"{}\"", cnnv3::excerpt(name)));
        const std::vector<std::string> args(argv + 2, argv + argc);
        return command->run(args, std::cout, std::cerr);
    } catch (const UsageError& e) {
        std::cerr << fmt::format("cnnv3: {} (see `cnnv3 {}--help`)\n", e.what(),
                                 command ? fmt::format("{} ", command->name) : "");
        return 2;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("cnnv3: {}\n", e.what());
        return 1;
    }
}
