-- pause starts (or lengthens) the shared pause after a 429 and moves both
-- rates' arrival times past it, so that sending resumes at the configured
-- rate rather than in a burst.
-- KEYS: pause, rate, rate_paid, stats.
-- A: {now (ms), ms}.
local kPause, kFree, kPaid, kStats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local untilT = A.now + A.ms
if untilT > num(redis.call('GET', kPause)) then
  redis.call('SET', kPause, fmt(untilT), 'PX', fmt(A.ms + RATE_KEEP_MS))
end
for _, k in ipairs({kFree, kPaid}) do
  if num(redis.call('GET', k)) < untilT then
    redis.call('SET', k, string.format('%.3f', untilT), 'PX', fmt(A.ms + RATE_KEEP_MS))
  end
end
redis.call('HINCRBY', kStats, STAT_FLOODS, 1)
return 1
