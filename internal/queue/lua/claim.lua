-- claim returns expired leases to the ready set, then takes the chat that
-- is due first: breaking before normal, oldest first within a band.
-- KEYS: pause, ready, inflight, lease, owed, sent, not_before, stats, hold.
-- A: {now, lease (ms), token}.
-- Returns {'pause', ms} | {'idle', ms or -1} | {'empty'} |
-- {'chat', chat, ref1, value1, ref2, value2, ...}.
local kPause, kReady, kInflight, kLease = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kOwed, kSent, kNotBefore, kStats, kHold = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now = A.now
local pause = num(redis.call('GET', kPause))
if pause > now then return {ANSWER_PAUSE, fmt(pause - now)} end
local expired = redis.call('ZRANGEBYSCORE', kInflight, '-inf', fmt(now), 'LIMIT', 0, RECLAIM_BATCH)
for i = 1, #expired do
  local c = expired[i]
  redis.call('ZREM', kInflight, c)
  redis.call('HDEL', kLease, c)
  requeue(kReady, kOwed, kNotBefore, kHold, c)
  redis.call('HINCRBY', kStats, STAT_RECLAIMED, 1)
end
local chat
for band = PRIO_BREAKING, PRIO_NORMAL do
  local r = redis.call('ZRANGEBYSCORE', kReady, fmt(band * BAND_SHIFT), fmt(band * BAND_SHIFT + now), 'LIMIT', 0, 1)
  if #r > 0 then chat = r[1] break end
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
  return {ANSWER_IDLE, fmt(nxt)}
end
redis.call('ZREM', kReady, chat)
-- Items the sent-ledger already lists for the chat are dropped: a second
-- send of an item to a chat cannot come from the queue itself.
local items, n = owedItems(kOwed, chat)
local out = {ANSWER_CHAT, chat}
local dropped = 0
for ref, v in pairs(items) do
  if redis.call('ZSCORE', kSent, ledgerMember(chat, ref)) then
    items[ref] = nil
    dropped = dropped + 1
  else
    out[#out + 1] = ref
    out[#out + 1] = v
  end
end
if dropped > 0 then
  setOwed(kOwed, chat, items, n - dropped)
  redis.call('HINCRBY', kStats, STAT_PENDING, -dropped)
end
if #out == 2 then return {ANSWER_EMPTY} end
redis.call('ZADD', kInflight, fmt(now + A.lease), chat)
redis.call('HSET', kLease, chat, A.token)
return out
