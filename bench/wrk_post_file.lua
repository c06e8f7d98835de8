-- wrk script: POST the file named by $WRK_FILE with Content-Type $WRK_TYPE (default image/png)
-- to the URL's path (a GET without $WRK_FILE); print one line of figures at the end.
--   WRK_FILE=digit.png wrk -s bench/wrk_post_file.lua http://127.0.0.1:8080/api/predict
local name = os.getenv("WRK_FILE")
if name then
  local file = assert(io.open(name, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = os.getenv("WRK_TYPE") or "image/png"
end

-- One line: "wrk_row REQUESTS/S P50_MS P99_MS ERRORS", the errors being the answers with a
-- status of 400 or more (wrk's errors.status) and the socket errors together.
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout + summary.errors.status
  io.write(string.format("wrk_row %.0f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, errors))
end
