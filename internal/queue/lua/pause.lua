-- pause starts (or lengthens) the shared pause after a 429 and moves both
-- rates' arrival times past it, so that sending resumes at the configured
-- rate rather than in a burst. With adapt (a 429 to a send that started at
-- A.start) it also sets the adaptive rate, at most once per pause (the
-- 429s of the requests already in flight count once):
--   * the refused request started within a second after the previous
--     pause ended: the server's sliding second began (nearly) empty then,
--     so the free slots taken since (field n, and the time elapsed over the
--     interval in force) are what it accepts in a second: that is the rate
--     (and the limit known, field k);
--   * the rate had recovered above the limit known (a probe failed): back
--     to it (or to the step below the rate, when that step held a whole
--     period), and the hold before the next probe doubles, up to A.maxhold;
--   * otherwise the limit dropped: the rate is multiplied by A.cut.
-- The rate set is then held (field h: A.hold, or the doubled hold) before
-- it recovers by A.step every A.period (rateInForce).
-- KEYS: pause, rate, rate_paid, stats, rate_adapt.
-- A: {now (ms), ms, adapt, start (ms), free (interval ms at max), sent and
-- acc (the calling process's own free sends since the pause and before
-- start, and how many were accepted: the count, scaled by its share of the
-- slots, bounds the measure), own (the free slots the calling process
-- reserved since the pause, the refused send's included: its share is
-- own − 1 of n, not sent of n, as slots reserved and not yet used count in
-- n), max, min, cut, step (messages/s), period, hold, maxhold (ms)}.
-- Returns the rate in force (messages/s, 3 decimals).
local kPause, kFree, kPaid, kStats, kAdapt = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local untilT = A.now + A.ms
local prev = num(redis.call('GET', kPause))
if untilT > prev then
  redis.call('SET', kPause, fmt(untilT), 'PX', fmt(A.ms + RATE_KEEP_MS))
end
for _, k in ipairs({kFree, kPaid}) do
  if num(redis.call('GET', k)) < untilT then
    redis.call('SET', k, string.format('%.3f', untilT), 'PX', fmt(A.ms + RATE_KEEP_MS))
  end
end
redis.call('HINCRBY', kStats, STAT_FLOODS, 1)
if not A.adapt then return string.format('%.3f', A.max) end
local r = rateInForce(kAdapt, A.now, A.max, A.step, A.period)
if A.now < num(redis.call('HGET', kAdapt, 'cut_until')) then
  redis.call('HSET', kAdapt, 'n', 0)
  return string.format('%.3f', r)
end
local st = redis.call('HMGET', kAdapt, 'k', 'h')
local known, hold = num(st[1]), A.hold
if known <= 0 then known = A.max end
local nr
if prev > 0 and A.start >= prev and A.start < prev + 1000 then
  local c = math.floor((A.start - prev) / (A.free * A.max / r) + 0.001)
  local n = num(redis.call('HGET', kAdapt, 'n')) - 1
  if n < c then c = n end
  if A.sent > 0 then
    local mine = A.sent
    if A.own - 1 > mine then mine = A.own - 1 end
    local scale = n / mine
    if scale < 1 then scale = 1 end
    local seen = math.floor(A.acc * scale + 0.001)
    if seen < c then c = seen end
  end
  nr, known = c, c
elseif r > known then
  if r - A.step > known + 0.001 then known = r - A.step end
  nr = known
  hold = num(st[2]) * 2
  if hold < A.hold then hold = A.hold end
  if hold > A.maxhold then hold = A.maxhold end
else
  nr = r * A.cut
end
if nr < A.min then nr = A.min end
if nr > A.max then nr = A.max end
if known < nr then known = nr end
redis.call('HSET', kAdapt, 'r', string.format('%.3f', nr), 't', fmt(A.now), 'cut_until', fmt(untilT),
  'k', string.format('%.3f', known), 'n', 0, 'h', fmt(hold))
local keep = RATE_KEEP_MS + A.ms + hold
if A.step > 0 then keep = keep + math.ceil((A.max - nr) / A.step) * A.period end
redis.call('PEXPIRE', kAdapt, fmt(keep))
return string.format('%.3f', nr)
