-- take returns the items of a chat just claimed, dropping those its
-- sent-ledger already lists; a chat left with nothing is released.
-- KEYS: the chat's hash, ready, inflight, lease, resume, stats.
-- A: {chat, token}.
-- Returns {'lost'} | {'empty'} | {'items', ref1, value1, ref2, value2, ...}.
local kChat, kReady, kInflight, kLease, kResume, kStats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if redis.call('HGET', kLease, A.chat) ~= A.token then return {'lost'} end
local items, _, sent = chatState(kChat)
local out = {'items'}
local dropped = 0
for ref, v in pairs(items) do
  if sent[ref] then
    redis.call('HDEL', kChat, FIELD_PENDING .. ref)
    dropped = dropped + 1
  else
    out[#out + 1] = ref
    out[#out + 1] = v
  end
end
if dropped > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, -dropped) end
if #out == 1 then
  release(kReady, kInflight, kLease, kResume, kChat, A.chat, A.token)
  return {'empty'}
end
return out
