-- finish records what became of a claimed chat's items and releases the
-- claim. Items not listed stay pending unchanged.
-- KEYS: the chat's hash, ready, inflight, lease, resume, stats, dead.
-- A: {now, chat, token, ledger_ttl (ms), not_before (ms, 0: none),
--     dead_letter (JSON text, absent: none), dead_max, messages, ambiguous,
--     sent, drop, retry, dead (lists of refs, absent: none)}.
-- Returns 1 when the claim was still held, 0 when it had been lost (the
-- item changes are applied anyway: they record sends that happened).
local kChat, kReady, kInflight, kLease, kResume, kStats, kDead = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now = A.now
local removed, delivered, dropped, retried, deadItems = 0, 0, 0, 0, 0
for _, ref in ipairs(A.sent or {}) do
  redis.call('HSET', kChat, FIELD_SENT .. ref, fmt(now))
  if redis.call('HDEL', kChat, FIELD_PENDING .. ref) == 1 then removed = removed + 1; delivered = delivered + 1 end
end
for _, ref in ipairs(A.drop or {}) do
  if redis.call('HDEL', kChat, FIELD_PENDING .. ref) == 1 then removed = removed + 1; dropped = dropped + 1 end
end
for _, ref in ipairs(A.retry or {}) do
  local v = redis.call('HGET', kChat, FIELD_PENDING .. ref)
  if v then
    local pr, enq, att = string.match(v, VALUE_RE)
    redis.call('HSET', kChat, FIELD_PENDING .. ref,
      (pr or fmt(PRIO_NORMAL)) .. SEP .. (enq or fmt(now)) .. SEP .. fmt((tonumber(att) or 0) + 1))
    retried = retried + 1
  end
end
for _, ref in ipairs(A.dead or {}) do
  if redis.call('HDEL', kChat, FIELD_PENDING .. ref) == 1 then removed = removed + 1; deadItems = deadItems + 1 end
end
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
local nb = A.not_before or 0
if nb > now and nb > num(redis.call('HGET', kChat, FIELD_NOT_BEFORE)) then
  redis.call('HSET', kChat, FIELD_NOT_BEFORE, fmt(nb))
end
-- The ledger keeps each send for ledger_ttl; the hash lives while
-- something is pending, and ledger_ttl after that.
local items, n, sent = chatState(kChat)
for ref, at in pairs(sent) do
  if at + A.ledger_ttl < now then redis.call('HDEL', kChat, FIELD_SENT .. ref) end
end
if n > 0 then
  redis.call('PERSIST', kChat)
else
  redis.call('PEXPIRE', kChat, A.ledger_ttl)
end
return release(kReady, kInflight, kLease, kResume, kChat, A.chat, A.token)
