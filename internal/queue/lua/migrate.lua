-- migrate moves what a chat is owed to its new ID (a group that became a
-- supergroup) and queues the new ID.
-- KEYS: ready, inflight, lease, owed, sent, not_before, stats, hold.
-- A: {from, to, token}. Returns the number of items moved.
local kReady, kInflight, kLease, kOwed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kSent, kNotBefore, kStats, kHold = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local from, to = A.from, A.to
local items = owedItems(kOwed, from)
local dest, n = owedItems(kOwed, to)
local moved, lost = 0, 0
for ref, v in pairs(items) do
  if not dest[ref] and not redis.call('ZSCORE', kSent, ledgerMember(to, ref)) then
    dest[ref] = v
    n = n + 1
    moved = moved + 1
  else
    lost = lost + 1
  end
end
setOwed(kOwed, to, dest, n)
redis.call('HDEL', kOwed, from)
if lost > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, -lost) end
if redis.call('HGET', kLease, from) == A.token then
  redis.call('HDEL', kLease, from)
  redis.call('ZREM', kInflight, from)
end
redis.call('ZREM', kReady, from)
if not redis.call('ZSCORE', kInflight, to) then requeue(kReady, kOwed, kNotBefore, kHold, to) end
redis.call('HINCRBY', kStats, STAT_MIGRATED, 1)
return moved
