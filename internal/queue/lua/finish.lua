-- finish records what became of a claimed chat's items and releases the
-- claim. Items not listed stay owed unchanged.
-- KEYS: ready, inflight, lease, owed, sent, not_before, stats, dead, hold.
-- A: {now, chat, token, ledger_ttl (ms), not_before (ms, 0: none),
--     hold (ms: normal items wait until then, breaking ones do not; 0: no change),
--     dead_letter (JSON text, absent: none), dead_max, messages, ambiguous,
--     sent, drop, retry, dead (lists of refs, absent: none)}.
-- Returns 1 when the claim was still held, 0 when it had been lost (the
-- item changes are applied anyway: they record sends that happened).
local kReady, kInflight, kLease, kOwed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kSent, kNotBefore, kStats, kDead, kHold = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now, chat = A.now, A.chat
local items, n = owedItems(kOwed, chat)
local removed, delivered, dropped, retried, deadItems = 0, 0, 0, 0, 0
for _, ref in ipairs(A.sent or {}) do
  redis.call('ZADD', kSent, fmt(now), ledgerMember(chat, ref))
  if items[ref] then items[ref] = nil; removed = removed + 1; delivered = delivered + 1 end
end
for _, ref in ipairs(A.drop or {}) do
  if items[ref] then items[ref] = nil; removed = removed + 1; dropped = dropped + 1 end
end
for _, ref in ipairs(A.retry or {}) do
  local v = items[ref]
  if v then
    local pr, enq, att = string.match(v, VALUE_RE)
    items[ref] = pendingValue(tonumber(pr) or PRIO_NORMAL, tonumber(enq) or now, (tonumber(att) or 0) + 1)
    retried = retried + 1
  end
end
for _, ref in ipairs(A.dead or {}) do
  if items[ref] then items[ref] = nil; removed = removed + 1; deadItems = deadItems + 1 end
end
setOwed(kOwed, chat, items, n - removed)
if removed > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, -removed) end
if delivered > 0 then redis.call('HINCRBY', kStats, STAT_DELIVERED, delivered) end
if dropped > 0 then redis.call('HINCRBY', kStats, STAT_DROPPED, dropped) end
if retried > 0 then redis.call('HINCRBY', kStats, STAT_RETRIED, retried) end
if (A.messages or 0) > 0 then redis.call('HINCRBY', kStats, STAT_MESSAGES, A.messages) end
if (A.ambiguous or 0) > 0 then redis.call('HINCRBY', kStats, STAT_AMBIGUOUS, A.ambiguous) end
if A.dead_letter then
  redis.call('LPUSH', kDead, A.dead_letter)
  redis.call('LTRIM', kDead, 0, A.dead_max - 1)
  redis.call('HINCRBY', kStats, STAT_DEAD, 1)
end
-- Garbage: sends older than the ledger's lifetime, not-befores and holds passed.
redis.call('ZREMRANGEBYSCORE', kSent, '-inf', '(' .. fmt(now - A.ledger_ttl))
redis.call('PEXPIRE', kSent, A.ledger_ttl)
redis.call('ZREMRANGEBYSCORE', kNotBefore, '-inf', fmt(now))
redis.call('ZREMRANGEBYSCORE', kHold, '-inf', fmt(now))
local nb = A.not_before or 0
if nb > now and nb > num(redis.call('ZSCORE', kNotBefore, chat)) then
  redis.call('ZADD', kNotBefore, fmt(nb), chat)
end
local hold = A.hold or 0
if hold > now then redis.call('ZADD', kHold, fmt(hold), chat) end
return release(kReady, kInflight, kLease, kOwed, kNotBefore, kHold, chat, A.token)
