#include "nnzero/io/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero {

FolderLock::FolderLock(const std::string& folder) {
  make_directories(folder);
  const std::string path = (std::filesystem::path(folder) / ".nnzero.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(folder + ": cannot write into this folder (" + std::strerror(errno) + ")");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw Error(folder + ": another nnzero run is writing to this folder");
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace nnzero
