-- Claim an update for handling, unless it was handled or another holder
-- is handling it.
-- KEYS[1] the update's key. ARGV[1] "claim:" .. holder, ARGV[2] the claim's
-- lifetime in milliseconds.
-- Returns 1 when the caller holds the claim (taken now, or already its own:
-- then renewed), 0 when the update is done ("1", set by FinishUpdate or the
-- webhook's FirstTimeUpdate), 2 when another holder's claim is live.
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if string.sub(v, 1, 6) == 'claim:' then
  return 2
end
return 0
