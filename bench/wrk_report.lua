-- wrk reporter for bench: one machine-readable line per run (latencies in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %.0f %.0f %.0f\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency.mean))
end
