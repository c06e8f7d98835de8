// An answer other than 200 for one request: the HTTP status and a message for the client.
// Thrown while a request is read or checked; the server turns it into
// {"error": message} with that status. Messages name what was wrong with the request, never
// the server's internals.
#pragma once

#include <stdexcept>
#include <string>

namespace nnzero::serve {

class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace nnzero::serve
