// The product's documentation is self-contained: a user has the repository, not the design
// notes or the shared data folder its developers keep beside it. No tracked file outside
// tests/ points at DESIGN.md, and nothing a user reads (README.md, docs/, the --help strings
// in tools/, the public headers) points at ../shared. The contracts live in docs/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {
const fs::path kRoot = NNZERO_SOURCE_DIR;

// The lines of every regular file under `paths` (files or folders, relative to the source
// root) that contain `needle`, as "path:line: text".
std::vector<std::string> lines_with(const std::vector<std::string>& paths,
                                    const std::string& needle) {
  std::vector<fs::path> files;
  for (const std::string& p : paths) {
    const fs::path full = kRoot / p;
    if (fs::is_regular_file(full)) files.push_back(full);
    if (!fs::is_directory(full)) continue;
    for (const auto& e : fs::recursive_directory_iterator(full)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
  }
  std::vector<std::string> hits;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find(needle) != std::string::npos) {
        hits.push_back(fs::relative(f, kRoot).string() + ":" + std::to_string(n) + ": " + line);
      }
    }
  }
  return hits;
}

// Hits in files this change could not edit (their owner rewrites them): each to be removed
// from this list with the comment that names DESIGN.md.
const std::vector<std::string> kPending = {
    "include/nnzero/model/model_file.h:1:",  // "The model file (DESIGN.md)"
};

std::vector<std::string> without_pending(std::vector<std::string> hits) {
  std::erase_if(hits, [](const std::string& h) {
    for (const std::string& p : kPending) {
      if (h.starts_with(p)) return true;
    }
    return false;
  });
  return hits;
}

std::string listed(const std::vector<std::string>& hits) {
  std::ostringstream out;
  for (const std::string& h : hits) out << "  " << h << "\n";
  return out.str();
}
}  // namespace

TEST(SelfContainedDocs, NothingOutsideTheTestsPointsAtDesignMd) {
  const auto hits =
      without_pending(lines_with({"README.md", "CMakeLists.txt", "docs", "include", "src", "tools",
                                  "scripts", "examples", "bench", "fuzz", "cmake", ".ci"},
                                 "DESIGN.md"));
  EXPECT_TRUE(hits.empty()) << "DESIGN.md is not part of the product; copy what a user needs "
                               "into docs/ instead of pointing at it:\n"
                            << listed(hits);
}

TEST(SelfContainedDocs, NothingAUserReadsPointsAtTheSharedDataFolder) {
  const auto hits = lines_with({"README.md", "docs", "include", "tools"}, "../shared");
  EXPECT_TRUE(hits.empty()) << "a user's clone has no ../shared beside it:\n" << listed(hits);
  const auto absolute = lines_with({"README.md", "docs", "include", "tools"}, "/work/shared");
  EXPECT_TRUE(absolute.empty()) << listed(absolute);
}
