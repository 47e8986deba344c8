-- groupturn shares Telegram's per-group limit between a group and its
-- forum topics: one turn per interval for the group, whichever of them
-- sends; the zset groups holds group → time of its next turn.
-- KEYS: groups.
-- A: {now, group, interval (ms), at (ms, optional)}.
-- Without at: takes the turn when it is due (the next is now + interval)
-- and returns 0, or returns the ms until it is due. With at: moves the next
-- turn to at when that is later (a send that started late), returns 0.
local kGroups = KEYS[1]
local nxt = num(redis.call('ZSCORE', kGroups, A.group))
if A.at then
  if A.at > nxt then redis.call('ZADD', kGroups, fmt(A.at), A.group) end
  return 0
end
if nxt > A.now then return nxt - A.now end
redis.call('ZADD', kGroups, fmt(A.now + A.interval), A.group)
-- Garbage: groups whose turn has come.
redis.call('ZREMRANGEBYSCORE', kGroups, '-inf', '(' .. fmt(A.now))
return 0
