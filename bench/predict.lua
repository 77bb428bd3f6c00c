-- wrk script: POST one /predict row (an iris flower) on every request.
-- Override the body with the environment variable INFERD_BENCH_BODY.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("INFERD_BENCH_BODY") or '{"features": [5.1, 3.5, 1.4, 0.2]}'

-- Print req/s and latency percentiles in one parseable line.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT req_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
