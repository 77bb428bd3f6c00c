-- wrk script: POST the JSON body read from a file (wrk ... URL -- BODY_FILE) to the URL's path,
-- on every request; at the end print one JSON line (prefixed "WRKJSON ") with the counts,
-- errors and latency percentiles in microseconds, which bench/run parses.
local req

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  req = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d',
                  e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"mean_us":%.1f,"max_us":%d', latency.mean, latency.max),
  }
  local pct = {}
  for _, p in ipairs({1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 90, 95, 99, 99.9}) do
    pct[#pct + 1] = string.format('"%s":%d', tostring(p), latency:percentile(p))
  end
  parts[#parts + 1] = '"pct_us":{' .. table.concat(pct, ",") .. '}'
  io.write("WRKJSON {" .. table.concat(parts, ",") .. "}\n")
end
