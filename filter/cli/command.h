// What every `cnnv3` command shares: the usage-error type and the command signature. main.cpp
// holds the table of commands; each command lives in its own <name>_command.{h,cpp}.
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3::cli {

// A bad command line: main prints "cnnv3: problem (see `cnnv3 COMMAND --help`)", one line, and
// exits with 2.
// Every other exception is printed as "cnnv3: what()" with exit status 1.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A command: gets the arguments after its name, writes results to `out` (stdout) and notes to
// `err` (stderr), returns the exit status.
using CommandFunction = int (*)(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
