-- Extend a holder's claim of an update.
-- KEYS[1] the update's key. ARGV[1] "claim:" .. holder, ARGV[2] the claim's
-- lifetime in milliseconds.
-- Returns 1 when renewed, 0 when the claim is gone, done or another's.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
