-- renew extends a claim's lease while its holder is alive.
-- KEYS: lease, inflight.
-- A: {chat, token, deadline (ms)}.
-- Returns 1 when the claim is still held by token, 0 otherwise.
local kLease, kInflight = KEYS[1], KEYS[2]
if redis.call('HGET', kLease, A.chat) ~= A.token then return 0 end
if not redis.call('ZSCORE', kInflight, A.chat) then return 0 end
redis.call('ZADD', kInflight, fmt(A.deadline), A.chat)
return 1
