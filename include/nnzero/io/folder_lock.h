// FolderLock: one writer per folder. A training run holds it on its run folder for as long as
// it writes there, so that a second run given the same --out is refused at once instead of
// interleaving its files with the first's. The lock is an advisory flock() on
// <folder>/.nnzero.lock (the file stays; the kernel drops the lock when the process ends,
// however it ends). Taking it also proves the folder can be written into.
#pragma once

#include <string>

namespace nnzero {

class FolderLock {
 public:
  // Creates the folder if needed; throws an Error naming it when it cannot be written into or
  // another process holds the lock.
  explicit FolderLock(const std::string& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace nnzero
