-- reserve takes the next send slot of the shared rate (GCRA).
-- KEYS: pause, rate, rate_paid, rate_adapt.
-- A: {now (ms, fractional), free (interval ms), paid (interval ms, 0: no
-- paid budget), adapt (bool), max (messages/s), step (messages/s), period
-- (ms)}. With adapt, free slots are spaced for the rate in force
-- (rateInForce) instead of max, and counted in field n of rate_adapt.
-- Returns {'pause', ms} or {'free'|'paid', wait_ms, rate in force}, ms with
-- 3 decimals.
local kPause, kFree, kPaid, kAdapt = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, fiv, piv = A.now, A.free, A.paid
local pause = num(redis.call('GET', kPause))
if pause > now then return {ANSWER_PAUSE, string.format('%.3f', pause - now)} end
local inForce = A.max
if A.adapt then
  inForce = rateInForce(kAdapt, now, A.max, A.step, A.period)
  fiv = fiv * A.max / inForce
end
local tat = num(redis.call('GET', kFree))
if tat < now then tat = now end
local kind, key, iv, at = SLOT_FREE, kFree, fiv, tat
if piv > 0 then
  local ptat = num(redis.call('GET', kPaid))
  if ptat < now then ptat = now end
  if ptat < tat then kind, key, iv, at = SLOT_PAID, kPaid, piv, ptat end
end
local nt = at + iv
redis.call('SET', key, string.format('%.3f', nt), 'PX', fmt(nt - now + RATE_KEEP_MS))
if A.adapt and kind == SLOT_FREE and redis.call('EXISTS', kAdapt) == 1 then
  redis.call('HINCRBY', kAdapt, 'n', 1)
end
return {kind, string.format('%.3f', at - now), string.format('%.3f', inForce)}
