-- Renew a role's lease held with a given token.
-- KEYS[1] the lease. ARGV[1] holder, ARGV[2] token, ARGV[3] lease in milliseconds.
-- Returns 1 when renewed, 0 when the lease is gone or held by another.
if redis.call('GET', KEYS[1]) == ARGV[1] .. ' ' .. ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
