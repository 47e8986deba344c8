-- lib.lua: helpers shared by every queue script. The constants it uses
-- (BAND_SHIFT, PRIO_*, FIELD_*, SEP, STAT_*) come from the header that
-- lua.go generates from the Go constants.
--
-- Every key a script touches is in KEYS; ARGV[1] is one JSON object (A).

local A = cjson.decode(ARGV[1])

local function fmt(n) return string.format('%.0f', n) end
local function num(v) if v then return tonumber(v) or 0 end return 0 end

local LP, LS = #FIELD_PENDING, #FIELD_SENT
local VALUE_RE = '^(%d+)' .. SEP .. '(%d+)' .. SEP .. '(%d+)'

-- chatState reads a chat's hash: its pending items (ref → value), their
-- number, its sent-ledger (ref → sent ms) and its not-before (0: none).
local function chatState(key)
  local h = redis.call('HGETALL', key)
  local items, n, sent, nb = {}, 0, {}, 0
  for i = 1, #h, 2 do
    local f = h[i]
    if string.sub(f, 1, LP) == FIELD_PENDING then
      items[string.sub(f, LP + 1)] = h[i + 1]
      n = n + 1
    elseif string.sub(f, 1, LS) == FIELD_SENT then
      sent[string.sub(f, LS + 1)] = num(h[i + 1])
    elseif f == FIELD_NOT_BEFORE then
      nb = num(h[i + 1])
    end
  end
  return items, n, sent, nb
end

-- readyScore is the score of a chat in the ready set: its best band, then
-- the later of its oldest item of that band and its not-before. nil when
-- nothing is pending.
local function readyScore(items, nb)
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
  return band * BAND_SHIFT + el
end

-- requeue puts a chat that is not in flight back in the ready set
-- according to its pending items and not-before, or takes it out when
-- nothing is pending.
local function requeue(kReady, kChat, chat)
  local items, _, _, nb = chatState(kChat)
  local s = readyScore(items, nb)
  if s then
    redis.call('ZADD', kReady, fmt(s), chat)
  else
    redis.call('ZREM', kReady, chat)
  end
end

-- release gives up the claim on chat when token still holds it.
local function release(kReady, kInflight, kLease, kResume, kChat, chat, token)
  if redis.call('HGET', kLease, chat) == token then
    redis.call('HDEL', kLease, chat)
    redis.call('ZREM', kInflight, chat)
    redis.call('HDEL', kResume, chat)
    requeue(kReady, kChat, chat)
    return 1
  end
  return 0
end
