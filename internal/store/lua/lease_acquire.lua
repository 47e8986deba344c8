-- Acquire or renew a role's lease.
-- KEYS[1] the lease (string "holder token"), KEYS[2] the role's fencing counter.
-- ARGV[1] holder, ARGV[2] lease in milliseconds.
-- Returns the fencing token while ARGV[1] holds the lease, 0 when another does.
local cur = redis.call('GET', KEYS[1])
if cur then
  local holder, token = string.match(cur, '^(%S+) (%d+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
