-- Take a chat's broadcast draft if it was written by a given user.
-- KEYS[1] the draft ("<user id>\n<text>"). ARGV[1] the user id.
-- Returns the draft's text and deletes it; nil when there is none or it is
-- another user's (which is kept).
local v = redis.call('GET', KEYS[1])
if not v then
  return false
end
local prefix = ARGV[1] .. '\n'
if string.sub(v, 1, #prefix) ~= prefix then
  return false
end
redis.call('DEL', KEYS[1])
return string.sub(v, #prefix + 1)
