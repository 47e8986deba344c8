-- enqueue adds one item to many chats.
-- KEYS: ready, inflight, stats, resume, then the hash of each chat of
-- A.recipients in order.
-- A: {now, ref, recipients: [{chat, prio}]}. Returns the number added.
local kReady, kInflight, kStats, kResume = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, ref = A.now, A.ref
local added = 0
for i, r in ipairs(A.recipients) do
  local k, chat, pr = KEYS[4 + i], r.chat, r.prio
  if redis.call('HEXISTS', k, FIELD_SENT .. ref) == 0 and
     redis.call('HSETNX', k, FIELD_PENDING .. ref, fmt(pr) .. SEP .. fmt(now) .. SEP .. '0') == 1 then
    added = added + 1
    redis.call('PERSIST', k)
    local el = now
    local nb = num(redis.call('HGET', k, FIELD_NOT_BEFORE))
    if nb > el then el = nb end
    local cand = pr * BAND_SHIFT + el
    if redis.call('ZSCORE', kInflight, chat) then
      -- In flight: where it goes back if its holder dies.
      local cur = redis.call('HGET', kResume, chat)
      if cur and cand < tonumber(cur) then redis.call('HSET', kResume, chat, fmt(cand)) end
    else
      local cur = redis.call('ZSCORE', kReady, chat)
      if (not cur) or cand < tonumber(cur) then
        redis.call('ZADD', kReady, fmt(cand), chat)
      end
    end
  end
end
if added > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, added) end
return added
