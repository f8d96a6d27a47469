// The output-file policy (shadergen/atomic_file.h) every tool writes through: temporary names no file
// had, nothing removed that the tool did not create, no overwrite without the flag, never onto an
// input; and the one --cond parser (shadergen/cond_option.h).
#include "atomic_file.h"
#include "cond_option.h"
#include "model_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <cstdio>
#include <unistd.h>
#include <fcntl.h>

using namespace cnnv3;
using namespace cnnv3::testing;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::set<std::string> names_in(const fs::path& dir)
{
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.insert(e.path().filename().string());
    return names;
}

}  // namespace

TEST(OutputFile, TemporaryIsANewHiddenNameKeepingTheExtension)
{
    TempDir dir("tmpname");
    PartialOutput a(dir.path() / "clip.mp4", false), b(dir.path() / "clip.mp4", false);
    EXPECT_NE(a.temporary(), b.temporary());
    EXPECT_EQ(a.temporary().parent_path(), dir.path());
    EXPECT_EQ(a.temporary().extension(), ".mp4");
    EXPECT_EQ(a.temporary().filename().string().rfind(".clip.cnnv3-", 0), 0u) << a.temporary();
    EXPECT_TRUE(fs::exists(a.temporary()));  // created (exclusively) by the constructor
}

TEST(OutputFile, OldStyleTemporaryNamesOfUsersAreNeverTouched)
{
    // The names the tools used before (OUT.partial.EXT, OUT.partial) are ordinary user files now.
    TempDir dir("usernames");
    std::ofstream(dir.path() / "out.partial.mp4") << "notes";
    std::ofstream(dir.path() / "t.csv.partial") << "mine";
    write_file_atomically(dir.path() / "t.csv", "a,b\n", false);
    {
        PartialOutput abandoned(dir.path() / "out.mp4", false);  // never committed: removed
    }
    EXPECT_EQ(read_text(dir.path() / "out.partial.mp4"), "notes");
    EXPECT_EQ(read_text(dir.path() / "t.csv.partial"), "mine");
    EXPECT_EQ(read_text(dir.path() / "t.csv"), "a,b\n");
    EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"out.partial.mp4", "t.csv", "t.csv.partial"}));
}

TEST(OutputFile, ExistingOutputNeedsOverwriteAndIsReplacedWhole)
{
    TempDir dir("exists");
    const fs::path out = dir.path() / "o.glsl";
    std::ofstream(out) << "precious";
    try {
        write_file_atomically(out, "new", false);
        ADD_FAILURE() << "overwrote without -y";
    } catch (const OutputFileError& e) {
        EXPECT_EQ(std::string(e.what()), out.string() + ": exists (not overwritten without -y)");
    }
    EXPECT_EQ(read_text(out), "precious");
    write_file_atomically(out, "new", true);
    EXPECT_EQ(read_text(out), "new");
    EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"o.glsl"});
}

TEST(OutputFile, ASymlinkOutputIsReplacedAndItsTargetKept)
{
    TempDir dir("symlink");
    std::ofstream(dir.path() / "target.txt") << "kept";
    fs::create_symlink(dir.path() / "target.txt", dir.path() / "o.txt");
    fs::create_symlink(dir.path() / "missing.txt", dir.path() / "dangling.txt");
    EXPECT_THROW(write_file_atomically(dir.path() / "o.txt", "new", false), OutputFileError);
    EXPECT_THROW(write_file_atomically(dir.path() / "dangling.txt", "new", false), OutputFileError);
    write_file_atomically(dir.path() / "o.txt", "new", true);
    EXPECT_FALSE(fs::is_symlink(dir.path() / "o.txt"));
    EXPECT_EQ(read_text(dir.path() / "o.txt"), "new");
    EXPECT_EQ(read_text(dir.path() / "target.txt"), "kept");
}

TEST(OutputFile, AFileThatAppearsWhileWritingIsNotReplaced)
{
    TempDir dir("race");
    const fs::path out = dir.path() / "o.csv";
    PartialOutput partial(out, false);
    std::ofstream(out) << "arrived meanwhile";
    EXPECT_THROW(partial.commit(), OutputFileError);
    EXPECT_EQ(read_text(out), "arrived meanwhile");
}

TEST(OutputFile, DirectoriesDevicesAndUnwritableFoldersAreRefused)
{
    TempDir dir("refusals");
    EXPECT_THROW(write_file_atomically(dir.path(), "x", true), OutputFileError);
    EXPECT_THROW(write_file_atomically(dir.path() / "sub/", "x", true), OutputFileError);
    EXPECT_THROW(write_file_atomically("/dev/null", "x", true), OutputFileError);
    EXPECT_THROW(write_file_atomically(dir.path() / "missing" / "o.csv", "x", true), OutputFileError);
    EXPECT_TRUE(names_in(dir.path()).empty());
}

// "-" is standard output for every file a tool writes (analyze -o -, hook -o -, reference IN -):
// written there directly, no file named "-", and its write errors name stdout.
TEST(OutputFile, DashIsStandardOutput)
{
    TempDir dir("stdout");
    const fs::path captured = dir.path() / "captured";
    std::fflush(stdout);
    const int saved = ::dup(STDOUT_FILENO);
    const int file = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(saved, 0);
    ASSERT_GE(file, 0);
    ::dup2(file, STDOUT_FILENO);
    ::close(file);
    const fs::path cwd = fs::current_path();
    fs::current_path(dir.path());
    check_output_file("-", false);  // nothing to check: no -y needed, never "exists"
    write_file_atomically("-", "frame,time\n", false);
    write_file_atomically("-", "0,0\n", false);
    fs::current_path(cwd);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    EXPECT_EQ(read_text(captured), "frame,time\n0,0\n");
    EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"captured"});

    const int full = ::open("/dev/full", O_WRONLY);
    ASSERT_GE(full, 0);
    const int kept = ::dup(STDOUT_FILENO);
    ::dup2(full, STDOUT_FILENO);
    ::close(full);
    std::string what;
    try {
        write_file_atomically("-", "x", true);
    } catch (const OutputFileError& e) {
        what = e.what();
    }
    ::dup2(kept, STDOUT_FILENO);
    ::close(kept);
    EXPECT_EQ(what.rfind("stdout: ", 0), 0u) << what;
}

TEST(OutputFile, TheSameFileUnderAnotherNameIsRecognised)
{
    TempDir dir("same");
    const fs::path in = dir.path() / "in.mp4";
    std::ofstream(in) << "video";
    fs::create_symlink(in, dir.path() / "link.mp4");
    fs::create_hard_link(in, dir.path() / "hard.mp4");
    const fs::path respelled = dir.path() / "." / "in.mp4";
    for (const fs::path& out : {in, respelled, dir.path() / "link.mp4", dir.path() / "hard.mp4"}) {
        try {
            refuse_same_file(out, in);
            ADD_FAILURE() << out << " not recognised as the input";
        } catch (const OutputFileError& e) {
            EXPECT_EQ(std::string(e.what()).rfind(out.string() + ": is the input " + in.string(), 0), 0u) << e.what();
        }
    }
    std::ofstream(dir.path() / "other.mp4") << "video";  // same bytes, another file
    EXPECT_NO_THROW(refuse_same_file(dir.path() / "other.mp4", in));
    EXPECT_NO_THROW(refuse_same_file(dir.path() / "new.mp4", in));
    EXPECT_NO_THROW(refuse_same_file("-", "-"));
    // Two outputs of one run, neither written yet: compared by their absolute, normalised paths.
    const fs::path cwd = fs::current_path();
    fs::current_path(dir.path());
    EXPECT_THROW(refuse_same_file("t.csv", "./t.csv", "also the --beats-out file"), OutputFileError);
    EXPECT_THROW(refuse_same_file("t.csv", fs::absolute("t.csv")), OutputFileError);
    EXPECT_NO_THROW(refuse_same_file("t.csv", "u.csv"));
    fs::current_path(cwd);
}

TEST(CondOption, OneParserForBothTools)
{
    EXPECT_EQ(parse_cond_option("0,0.5,1,0.25,1e-3"), (std::vector<float>{0.0f, 0.5f, 1.0f, 0.25f, 0.001f}));
    for (const char* bad : {"", "0,,1", "0.5x", "nan", "inf", "-0.1", "1.5", "0x1", " 0.5", "1e400"})
        EXPECT_THROW(parse_cond_option(bad), CondOptionError) << bad;
    try {
        parse_cond_option("2", "--strength");
        ADD_FAILURE();
    } catch (const CondOptionError& e) {
        EXPECT_EQ(std::string(e.what()), "--strength: \"2\" is not a number in [0, 1]");
    }
    try {  // the user's text quoted as a short excerpt: one line whatever it held
        parse_cond_option("0.5,x\ny" + std::string(100, 'z'));
        ADD_FAILURE();
    } catch (const CondOptionError& e) {
        EXPECT_EQ(std::string(e.what()), "--cond: \"x?y" + std::string(37, 'z') + "...\" is not a number in [0, 1]");
    }
    EXPECT_NO_THROW(check_cond_count({0, 0, 0, 0, 0}, 5));
    try {
        check_cond_count({0, 0, 1}, 5);
        ADD_FAILURE();
    } catch (const CondOptionError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "--cond has 3 values (expected 5: beat_phase,beat_norm,audio_intensity,style_p0,style_p1)");
    }
}
