// What every `cnnv3` command shares: the usage-error type and the command signature. main.cpp
// holds the table of commands; each command lives in its own <name>_command.{h,cpp}.
#pragma once

#include <cstddef>
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

// Walks a command's arguments in order: the option in hand, and the value of an option that takes
// one. Borrows `args`, which must outlive it.
class ArgCursor {
public:
    explicit ArgCursor(const std::vector<std::string>& args) : args_(args) {}
    // Moves to the next argument; false once past the last.
    bool next() { return ++i_ < args_.size(); }
    std::string_view arg() const { return args_[i_]; }
    // Takes the next argument as the value of the option in hand; UsageError "OPTION needs a value"
    // when there is none.
    const std::string& value()
    {
        if (i_ + 1 >= args_.size())
            throw UsageError(std::string(arg()) + " needs a value");
        return args_[++i_];
    }

private:
    const std::vector<std::string>& args_;
    std::size_t i_ = static_cast<std::size_t>(-1);  // before the first
};

// A command: gets the arguments after its name, writes results to `out` (stdout) and notes to
// `err` (stderr), returns the exit status.
using CommandFunction = int (*)(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
