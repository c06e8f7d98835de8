// Reading files (io/file.h): every input nnzero reads is bounded by a documented limit
// (NNZERO_MAX_FILE_MB, 2 GiB by default), and what is not a file is refused for what it is.
// Issue 17: `nnzero info /dev/zero` read until allocation failed, /proc/self/mem ended in an
// internal failure (a stream exception), and gzip data inflated whole up to the limit.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nnzero/io/file.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::ScopedEnv;
using nnzero_test::ScratchDir;

namespace {
// gzip (RFC 1952) of `n` zero bytes.
std::vector<uint8_t> gzip_zeros(size_t n) {
  const std::vector<uint8_t> raw(n, 0);
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(n)));
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(n);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

TEST(ReadFile, ReadsWholeFilesUpToTheLimitAndRefusesLarger) {
  ScratchDir dir;
  const std::vector<uint8_t> bytes(3000, 7);
  write_bytes(dir / "a.bin", bytes);
  EXPECT_EQ(read_file_bytes(dir / "a.bin", 3000), bytes);
  EXPECT_EQ(read_file(dir / "a.bin"), bytes);
  EXPECT_HAS(
      error_of([&] { read_file_bytes(dir / "a.bin", 2999); }),
      "a.bin: 3000 bytes is larger than the limit of 2999 bytes (NNZERO_MAX_FILE_MB raises it)");
  EXPECT_HAS(error_of([&] { read_file_bytes(dir / "a.bin", 100, "the images limit"); }),
             "a.bin: 3000 bytes is larger than the images limit");
}

TEST(ReadFile, TheLimitComesFromNnzeroMaxFileMb) {
  ScratchDir dir;
  EXPECT_EQ(max_file_bytes(), kDefaultMaxFileBytes);
  write_bytes(dir / "big.bin", std::vector<uint8_t>((size_t{1} << 20) + 1, 1));
  write_bytes(dir / "bomb.gz", gzip_zeros(size_t{3} << 20));  // 3 MiB inflated, ~3 KB stored
  {
    ScopedEnv mb("NNZERO_MAX_FILE_MB", "1");
    EXPECT_EQ(max_file_bytes(), int64_t{1} << 20);
    EXPECT_HAS(error_of([&] { read_file(dir / "big.bin"); }),
               "big.bin: 1048577 bytes is larger than the limit of 1 MiB");
    EXPECT_HAS(error_of([&] { read_file(dir / "bomb.gz"); }),
               "bomb.gz: gzip data inflates beyond 1 MiB (NNZERO_MAX_FILE_MB raises the limit)");
    // Streamed, the same limit holds, and the sink never receives more than it.
    size_t seen = 0;
    EXPECT_HAS(
        error_of([&] { read_file_to(dir / "bomb.gz", [&](auto piece) { seen += piece.size(); }); }),
        "inflates beyond 1 MiB");
    EXPECT_LE(seen, size_t{1} << 20);
  }
  {
    ScopedEnv mb("NNZERO_MAX_FILE_MB", "4");
    EXPECT_EQ(read_file(dir / "bomb.gz").size(), size_t{3} << 20);
  }
  for (const char* bad : {"lots", "0", "-5", "1.5", "2 "}) {
    ScopedEnv mb("NNZERO_MAX_FILE_MB", bad);
    EXPECT_HAS(error_of([&] { read_file(dir / "big.bin"); }),
               "NNZERO_MAX_FILE_MB must be a whole number of MiB")
        << bad;
  }
}

TEST(ReadFile, DevicesAndFoldersAreRefusedForWhatTheyAre) {
  ScratchDir dir;
  EXPECT_HAS(error_of([] { read_file("/dev/zero"); }),
             "/dev/zero: is a character device, not a file");
  EXPECT_HAS(error_of([] { read_file("/dev/null"); }), "/dev/null: is a character device");
  EXPECT_HAS(error_of([&] { read_file(dir.path().string()); }), "is a folder, not a file");
  EXPECT_HAS(error_of([&] { read_file(dir / "absent"); }), "absent: cannot open");
  // A file the kernel refuses to read (offset 0 of the address space is not mapped): a read
  // error that names the file, not an internal failure.
  EXPECT_HAS(error_of([] { read_file("/proc/self/mem"); }), "/proc/self/mem: cannot read");
}

TEST(ReadFile, FilesInProcAndPipesAreReadToTheirEnd) {
  // /proc files report a size of 0 and still hold text.
  const std::vector<uint8_t> status = read_file("/proc/self/status");
  EXPECT_HAS(std::string(status.begin(), status.end()), "Name:");

  // A named pipe (what `<(gzip -dc x.gz)` gives): read as it arrives, gzip included.
  ScratchDir dir;
  const std::string fifo = dir / "pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<uint8_t> gz = gzip_zeros(200000);
  std::thread writer([&] { write_bytes(fifo, gz); });
  const std::vector<uint8_t> got = read_file(fifo);
  writer.join();
  EXPECT_EQ(got, std::vector<uint8_t>(200000, 0));

  // More than the limit through a pipe is refused once the limit is passed. The reader then
  // closes the pipe under the writer, whose next write fails (EPIPE, not the signal).
  signal(SIGPIPE, SIG_IGN);
  std::thread big_writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    const std::vector<char> chunk(1 << 16, 'x');
    for (int i = 0; i < 40 && out; ++i)
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  });
  EXPECT_HAS(error_of([&] { read_file_bytes(fifo, 1 << 20); }), "more than 1048576 bytes");
  big_writer.join();
}

// Two writers of one file (two runs on the same --out): each writes its own temporary file
// and renames it whole into place, so the file is always one writer's complete bytes and
// no temporary file is left behind. With one shared "<file>.tmp" name, one writer's rename
// could move the other's half-written file into place.
TEST(WriteFileAtomic, ConcurrentWritersNeverMixAndLeaveNoTemporaryFiles) {
  ScratchDir dir;
  const std::string path = dir / "model.safetensors";
  const std::string a(1 << 20, 'a'), b(1 << 19, 'b');
  std::thread writer_a([&] {
    for (int i = 0; i < 30; ++i) write_file_atomic(path, a);
  });
  for (int i = 0; i < 30; ++i) {
    write_file_atomic(path, b);
    const std::vector<uint8_t> got = read_file(path);
    const std::string text(got.begin(), got.end());
    ASSERT_TRUE(text == a || text == b) << "a mixed file of " << text.size() << " bytes";
  }
  writer_a.join();
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "model.safetensors");
  }
  EXPECT_EQ(entries, 1);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // a normal file, not mkstemp's private 0600
}

TEST(WriteFileAtomic, AnUnwritableFolderIsNamedAndNothingIsLeft) {
  ScratchDir dir;
  EXPECT_HAS(error_of([&] {
               write_file_atomic((dir.path() / "missing" / "x.json").string(), std::string("{}"));
             }),
             "x.json: cannot write");
}
