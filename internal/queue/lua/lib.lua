-- lib.lua: helpers shared by every queue script. The constants it uses
-- (BAND_SHIFT, PRIO_*, SEP, STAT_*, ...) come from the header that lua.go
-- generates from the Go constants.
--
-- Every key a script touches is in KEYS, under a fixed name: per-chat
-- state is a field (or member) named by the chat inside shared keys, so a
-- script never needs a key whose name it reads from the data. ARGV[1] is
-- one JSON object (A).

local A = cjson.decode(ARGV[1])

local function fmt(n) return string.format('%.0f', n) end
local function num(v) if v then return tonumber(v) or 0 end return 0 end

local VALUE_RE = '^(%d+)' .. SEP .. '(%d+)' .. SEP .. '(%d+)'

-- pendingValue is an item's value in the owed hash.
local function pendingValue(prio, enq, att)
  return fmt(prio) .. SEP .. fmt(enq) .. SEP .. fmt(att)
end

-- ledgerMember is the sent-ledger's member for (chat, ref).
local function ledgerMember(chat, ref) return chat .. SEP .. ref end

-- owedItems reads what a chat is owed (ref → value) and how many.
local function owedItems(kOwed, chat)
  local v = redis.call('HGET', kOwed, chat)
  if not v then return {}, 0 end
  local ok, t = pcall(cjson.decode, v)
  if not ok or type(t) ~= 'table' then return {}, 0 end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return t, n
end

-- setOwed writes what a chat is owed (n items), or removes the chat.
local function setOwed(kOwed, chat, items, n)
  if n > 0 then
    redis.call('HSET', kOwed, chat, cjson.encode(items))
  else
    redis.call('HDEL', kOwed, chat)
  end
end

-- readyScore is the score of a chat in the ready set: its best band, then
-- the later of its oldest item of that band and its not-before; a normal
-- item is also held until the chat's hold (quiet hours, a daily digest),
-- which breaking items ignore. nil when nothing is owed.
local function readyScore(items, nb, hold)
  local band, oldest, any = 9, 0, false
  for _, v in pairs(items) do
    any = true
    local pr, enq = string.match(v, VALUE_RE)
    pr = tonumber(pr) or PRIO_NORMAL
    enq = tonumber(enq) or 0
    if pr < band then
      band, oldest = pr, enq
    elseif pr == band and enq < oldest then
      oldest = enq
    end
  end
  if not any then return nil end
  if band > PRIO_NORMAL then band = PRIO_NORMAL end
  local el = oldest
  if nb > el then el = nb end
  if band == PRIO_NORMAL and hold > el then el = hold end
  return band * BAND_SHIFT + el
end

-- requeue puts a chat that is not in flight back in the ready set
-- according to what it is owed, its not-before and its hold, or takes it
-- out when it is owed nothing.
local function requeue(kReady, kOwed, kNotBefore, kHold, chat)
  local items = owedItems(kOwed, chat)
  local s = readyScore(items, num(redis.call('ZSCORE', kNotBefore, chat)), num(redis.call('ZSCORE', kHold, chat)))
  if s then
    redis.call('ZADD', kReady, fmt(s), chat)
  else
    redis.call('ZREM', kReady, chat)
  end
end

-- release gives up the claim on chat when token still holds it.
local function release(kReady, kInflight, kLease, kOwed, kNotBefore, kHold, chat, token)
  if redis.call('HGET', kLease, chat) == token then
    redis.call('HDEL', kLease, chat)
    redis.call('ZREM', kInflight, chat)
    requeue(kReady, kOwed, kNotBefore, kHold, chat)
    return 1
  end
  return 0
end

-- rateInForce is the adaptive free rate at now, in messages a second: the
-- rate set after the last 429 (field r of the adapt hash, at time t), held
-- for field h (ms), then plus step for every period since, at most max;
-- max when none is set.
local function rateInForce(kAdapt, now, max, step, period)
  local v = redis.call('HMGET', kAdapt, 'r', 't', 'h')
  local r = num(v[1])
  if r <= 0 then return max end
  local since = now - num(v[2]) - num(v[3])
  if period > 0 and since > 0 then r = r + math.floor(since / period) * step end
  if r > max then r = max end
  return r
end
