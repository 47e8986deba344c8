-- migrate moves the pending items of a chat to its new ID (a group that
-- became a supergroup) and queues the new ID.
-- KEYS: the old chat's hash, the new chat's hash, ready, inflight, lease,
-- resume, stats.
-- A: {from, to, token, ledger_ttl (ms)}. Returns the number of items moved.
local kFrom, kTo, kReady, kInflight, kLease, kResume, kStats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local items = chatState(kFrom)
local moved, lost = 0, 0
for ref, v in pairs(items) do
  if redis.call('HEXISTS', kTo, FIELD_SENT .. ref) == 0 and
     redis.call('HSETNX', kTo, FIELD_PENDING .. ref, v) == 1 then
    moved = moved + 1
  else
    lost = lost + 1
  end
  redis.call('HDEL', kFrom, FIELD_PENDING .. ref)
end
if redis.call('EXISTS', kFrom) == 1 then redis.call('PEXPIRE', kFrom, A.ledger_ttl) end
if moved > 0 then redis.call('PERSIST', kTo) end
if lost > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, -lost) end
if redis.call('HGET', kLease, A.from) == A.token then
  redis.call('HDEL', kLease, A.from)
  redis.call('ZREM', kInflight, A.from)
  redis.call('HDEL', kResume, A.from)
end
redis.call('ZREM', kReady, A.from)
if redis.call('ZSCORE', kInflight, A.to) then
  local toItems, _, _, nb = chatState(kTo)
  local s, cur = readyScore(toItems, nb), redis.call('HGET', kResume, A.to)
  if s and cur and s < tonumber(cur) then redis.call('HSET', kResume, A.to, fmt(s)) end
else
  requeue(kReady, kTo, A.to)
end
redis.call('HINCRBY', kStats, STAT_MIGRATED, 1)
return moved
