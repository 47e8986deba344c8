-- claim returns expired leases to the ready set, then takes the chat that
-- is due first: breaking before normal, oldest first within a band. It
-- touches only the shared keys: the chat's items are read by take.lua.
-- KEYS: pause, ready, inflight, lease, resume, stats.
-- A: {now, lease (ms), token}.
-- Returns {'pause', ms} | {'idle', ms or -1} | {'chat', chat}.
local kPause, kReady, kInflight, kLease, kResume, kStats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = A.now
local pause = num(redis.call('GET', kPause))
if pause > now then return {'pause', fmt(pause - now)} end
local expired = redis.call('ZRANGEBYSCORE', kInflight, '-inf', fmt(now), 'LIMIT', 0, RECLAIM_BATCH)
for i = 1, #expired do
  local c = expired[i]
  redis.call('ZREM', kInflight, c)
  redis.call('HDEL', kLease, c)
  -- Back where it was when claimed (or lower, if enqueue moved it up).
  local s = redis.call('HGET', kResume, c) or fmt(PRIO_NORMAL * BAND_SHIFT + now)
  redis.call('HDEL', kResume, c)
  redis.call('ZADD', kReady, s, c)
  redis.call('HINCRBY', kStats, STAT_RECLAIMED, 1)
end
local chat, score
for band = PRIO_BREAKING, PRIO_NORMAL do
  local r = redis.call('ZRANGEBYSCORE', kReady, fmt(band * BAND_SHIFT), fmt(band * BAND_SHIFT + now), 'WITHSCORES', 'LIMIT', 0, 1)
  if #r > 0 then chat, score = r[1], tonumber(r[2]) break end
end
if not chat then
  local nxt = -1
  for band = PRIO_BREAKING, PRIO_NORMAL do
    local r = redis.call('ZRANGEBYSCORE', kReady, fmt(band * BAND_SHIFT), '(' .. fmt((band + 1) * BAND_SHIFT), 'WITHSCORES', 'LIMIT', 0, 1)
    if #r > 0 then
      local d = tonumber(r[2]) - band * BAND_SHIFT - now
      if nxt < 0 or d < nxt then nxt = d end
    end
  end
  local f = redis.call('ZRANGE', kInflight, 0, 0, 'WITHSCORES')
  if #f > 0 then
    local d = tonumber(f[2]) - now
    if nxt < 0 or d < nxt then nxt = d end
  end
  return {'idle', fmt(nxt)}
end
redis.call('ZREM', kReady, chat)
redis.call('ZADD', kInflight, fmt(now + A.lease), chat)
redis.call('HSET', kLease, chat, A.token)
redis.call('HSET', kResume, chat, fmt(score))
return {'chat', chat}
