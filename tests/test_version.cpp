// The version comes from one place, project(VERSION) in CMakeLists.txt: the generated
// nnzero/version.h, `nnzero --version`, the model files' "nnzero.version" and
// tools/torch_interop.py (which writes model files too) must all say the same.
#include <gtest/gtest.h>

#include <string>

#include "nnzero/version.h"
#include "test_support.h"

TEST(Version, OneVersionEverywhere) {
  const std::string version = NNZERO_VERSION_FOR_TESTS;  // project(VERSION), from CMake
  EXPECT_EQ(nnzero::kVersion, version);
  EXPECT_EQ(std::to_string(NNZERO_VERSION_MAJOR) + "." + std::to_string(NNZERO_VERSION_MINOR) +
                "." + std::to_string(NNZERO_VERSION_PATCH),
            version);

  nnzero_test::ScratchDir dir;
  const nnzero_test::CliResult r = nnzero_test::run_cli("--version", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "nnzero " + version + "\n");

  const std::string script =
      nnzero_test::slurp(std::string(NNZERO_SOURCE_DIR) + "/tools/torch_interop.py");
  const std::string key = "\nNNZERO_VERSION = \"";
  const size_t at = script.find(key);
  ASSERT_NE(at, std::string::npos) << "tools/torch_interop.py defines no NNZERO_VERSION";
  const size_t start = at + key.size();
  EXPECT_EQ(script.substr(start, script.find('"', start) - start), version)
      << "tools/torch_interop.py's NNZERO_VERSION drifted from project(VERSION) in "
         "CMakeLists.txt";
}
