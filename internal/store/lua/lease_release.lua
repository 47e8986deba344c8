-- Release a role's lease held with a given token.
-- KEYS[1] the lease. ARGV[1] holder, ARGV[2] token.
-- Returns 1 when released, 0 when it was not held so.
if redis.call('GET', KEYS[1]) == ARGV[1] .. ' ' .. ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
