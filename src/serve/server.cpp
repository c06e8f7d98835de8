#include "server.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "assets.h"
#include "nnzero/error.h"
#include "request_error.h"

namespace nnzero::serve {

namespace {

// httplib runs each connection on a thread of this pool. Unlike httplib's own pool, its
// queue is bounded: when every thread is busy and `max_queued` connections wait, accepting
// stops (enqueue blocks the accept loop) and further clients wait in the kernel's backlog,
// so a flood of connections cannot grow memory without bound.
class BoundedThreadPool : public httplib::TaskQueue {
 public:
  BoundedThreadPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [this] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    lock.unlock();
    ready_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    room_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;  // shut down, nothing left
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      fn();
    }
  }

  size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// "Image/PNG; charset=x" -> "image/png"
std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }),
          t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

// The message for a status httplib set before any handler ran (or a handler set without a
// body).
std::string status_message(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 408:
      return "request timeout";
    case 413:
      return "the request body is too large";
    case 414:
      return "the request line is too long";
    case 415:
      return "unsupported media type";
    default:
      return "the request failed";
  }
}

class Service {
 public:
  explicit Service(const ServeOptions& options) {
    for (const std::string& path : options.models) {
      auto model = std::make_unique<ServedModel>(path, options.limits);
      const std::string name = model->name();
      if (!models_.emplace(name, std::move(model)).second) {
        throw Error(path + ": two models would be served as '" + name +
                    "' (the file name without .safetensors): rename one");
      }
      order_.push_back(name);
    }
  }

  void routes(httplib::Server& server) {
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}, {"models", models_.size()}});
    });
    server.Get("/api/models", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json cards = nlohmann::json::array();
      for (const std::string& name : order_) cards.push_back(models_.at(name)->card());
      send_json(res, 200, {{"models", cards}});
    });
    server.Post("/api/predict",
                [this](const httplib::Request& req, httplib::Response& res) { predict(req, res); });
    server.Get(R"(/.*)", [](const httplib::Request& req, httplib::Response& res) {
      const Asset* asset = find_asset(req.path);
      if (asset == nullptr) return send_error(res, 404, "no such page: " + req.path);
      res.set_content(asset->body.data(), asset->body.size(), asset->content_type.data());
      res.set_header("Cache-Control", "no-cache");
    });
  }

  ServeSummary summary() const {
    ServeSummary s;
    s.requests = requests_;
    s.predictions = predictions_;
    s.errors = errors_;
    for (const auto& [name, model] : models_) {
      const BatchQueue::Stats q = model->stats();
      s.batches += q.batches;
      s.largest_batch = std::max(s.largest_batch, q.largest_batch);
    }
    return s;
  }

  void count(int status) {
    requests_ += 1;
    if (status >= 400) errors_ += 1;
  }

 private:
  ServedModel& model_for(const httplib::Request& req) {
    if (!req.has_param("model")) {
      if (models_.size() == 1) return *models_.begin()->second;
      throw RequestError(400, "several models are served: name one with ?model=NAME");
    }
    const std::string name = req.get_param_value("model");
    const auto it = models_.find(name);
    if (it == models_.end()) throw RequestError(404, "no model named '" + name + "'");
    return *it->second;
  }

  void predict(const httplib::Request& req, httplib::Response& res) {
    try {
      ServedModel& model = model_for(req);
      const std::string type = media_type(req.get_header_value("Content-Type"));
      Answer a;
      if (type == "application/json") {
        a = model.predict_pixels(req.body);
      } else if (type.starts_with("image/")) {
        const auto* bytes = reinterpret_cast<const uint8_t*>(req.body.data());
        a = model.predict_image({bytes, req.body.size()},
                                req.get_param_value("preprocess") == "raw");
      } else {
        throw RequestError(415,
                           "Content-Type must be image/* (an image file) or "
                           "application/json ({\"pixels\": [...]}), got '" +
                               type + "'");
      }
      predictions_ += 1;
      send_json(res, 200, answer_json(model, a, req.get_param_value("input") == "1"));
    } catch (const RequestError& e) {
      send_error(res, e.status(), e.what());
    }
  }

  static nlohmann::json answer_json(const ServedModel& model, const Answer& a, bool with_input) {
    const Classification& c = a.classification;
    nlohmann::json j = {{"model", model.name()},
                        {"label", c.label},
                        {"class", model.classes()[static_cast<size_t>(c.label)]},
                        {"probabilities", c.probabilities},
                        {"classes", model.classes()}};
    if (with_input) {  // what the network saw, as grey levels 0..255 (for the page)
      std::vector<int> grey(a.input.size());
      std::transform(a.input.begin(), a.input.end(), grey.begin(),
                     [](float v) { return static_cast<int>(std::lround(v * 255.0f)); });
      j["input"] = grey;
    }
    return j;
  }

  std::map<std::string, std::unique_ptr<ServedModel>> models_;
  std::vector<std::string> order_;
  std::atomic<int64_t> requests_{0}, predictions_{0}, errors_{0};
};

void configure(httplib::Server& server, const ServeOptions& o, Service& service) {
  const auto threads = static_cast<size_t>(std::max<int64_t>(1, o.connections));
  server.new_task_queue = [threads] { return new BoundedThreadPool(threads, threads); };
  server.set_payload_max_length(static_cast<size_t>(o.limits.max_body_bytes));
  server.set_read_timeout(static_cast<time_t>(o.read_timeout_s), 0);
  server.set_write_timeout(static_cast<time_t>(o.read_timeout_s), 0);
  server.set_keep_alive_timeout(static_cast<time_t>(o.read_timeout_s));
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server
  // (ours or anyone's) bind the same port and take half of the connections.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Statuses httplib sets itself (413, 404 ...) get a JSON body too; ours already have one.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) send_error(res, res.status, status_message(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  // Never a stack trace or an exception's text: those describe the server, not the request.
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) { send_error(res, 500, "internal error"); });
  server.set_logger([&service](const httplib::Request&, const httplib::Response& res) {
    service.count(res.status);
  });
  service.routes(server);
}

// SIGINT and SIGTERM set a flag (the only thing a handler may safely do) that a watcher
// thread polls; it then stops the server, outside any signal handler. A handler rather than
// blocking the signals, because threads started before serve() (OpenMP's, OpenBLAS's) would
// not have them blocked, and a signal delivered to one would kill the process.
std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) {
  g_stop_requested = true;
}

class StopOnSignal {
 public:
  StopOnSignal() {
    g_stop_requested = false;
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopOnSignal() {
    done_ = true;
    if (watcher_.joinable()) watcher_.join();
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  void watch(httplib::Server& server) {
    watcher_ = std::thread([this, &server] {
      const std::chrono::milliseconds tick(20);
      while (!done_ && !g_stop_requested) std::this_thread::sleep_for(tick);
      if (done_) return;
      // A signal before listen_after_bind has started: stop() would find nothing to stop.
      while (!server.is_running() && !done_) std::this_thread::sleep_for(tick);
      server.stop();
    });
  }

 private:
  struct sigaction previous_int_ {
  }, previous_term_{};
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace

ServeSummary serve(const ServeOptions& options,
                   const std::function<void(const std::string& url)>& on_listening) {
  StopOnSignal stop_on_signal;
  Service service(options);
  httplib::Server server;
  configure(server, options, service);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw Error("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                " (in use, or not an address of this machine)");
  }
  stop_on_signal.watch(server);
  const std::string host =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  on_listening("http://" + host + ":" + std::to_string(port) + "/");
  server.listen_after_bind();
  return service.summary();
}

}  // namespace nnzero::serve
