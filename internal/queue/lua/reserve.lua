-- reserve takes the next send slot of the shared rate (GCRA).
-- KEYS: pause, rate, rate_paid.
-- A: {now (ms, fractional), free (interval ms), paid (interval ms, 0: no
-- paid budget)}.
-- Returns {'pause', ms} or {'free'|'paid', wait_ms}, ms with 3 decimals.
local kPause, kFree, kPaid = KEYS[1], KEYS[2], KEYS[3]
local now, fiv, piv = A.now, A.free, A.paid
local pause = num(redis.call('GET', kPause))
if pause > now then return {ANSWER_PAUSE, string.format('%.3f', pause - now)} end
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
return {kind, string.format('%.3f', at - now)}
