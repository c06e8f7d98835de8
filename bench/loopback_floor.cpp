// The floor under any HTTP server on this machine: a blocking HTTP/1.1 keep-alive server that
// parses nothing but the header end and Content-Length, and answers every request with the
// same small JSON. What wrk measures against it is the loopback TCP round trip plus wrk's own
// work, which every server pays; bench/serve_load.sh puts it beside `nnzero serve` and the
// PyTorch baseline at concurrency 1 (docs/benchmarks.md, "Serving").
//
//   loopback_floor PORT      (one connection at a time, 127.0.0.1 only; stop it with a signal)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
constexpr std::string_view kAnswer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
    "{\"label\": 7}\n";

// Bytes of the first complete request in `buf` (header and body), or 0 if it is not all there.
size_t request_length(const std::string& buf) {
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  size_t body = 0;
  for (size_t at = buf.find("\r\n"); at < end; at = buf.find("\r\n", at + 2)) {
    if (strncasecmp(buf.c_str() + at + 2, "content-length:", 15) == 0) {
      body = std::strtoull(buf.c_str() + at + 17, nullptr, 10);
    }
  }
  return buf.size() >= end + 4 + body ? end + 4 + body : 0;
}

void serve_connection(int fd) {
  std::string buf;
  char chunk[65536];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return;
    buf.append(chunk, static_cast<size_t>(n));
    for (size_t len = request_length(buf); len > 0; len = request_length(buf)) {
      if (write(fd, kAnswer.data(), kAnswer.size()) < 0) return;
      buf.erase(0, len);
    }
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: loopback_floor PORT\n");
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 16) != 0) {
    std::perror("loopback_floor");
    return 1;
  }
  for (;;) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve_connection(fd);
    close(fd);
  }
}
