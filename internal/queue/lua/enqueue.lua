-- enqueue adds one item to many chats.
-- KEYS: ready, inflight, owed, sent, not_before, stats, hold.
-- A: {now, ref, recipients: [{chat, prio}]}. Returns the number added.
local kReady, kInflight, kOwed, kSent, kNotBefore, kStats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local kHold = KEYS[7]
local now, ref = A.now, A.ref
local added = 0
for _, r in ipairs(A.recipients) do
  local chat, pr = r.chat, r.prio
  local items, n = owedItems(kOwed, chat)
  if not items[ref] and not redis.call('ZSCORE', kSent, ledgerMember(chat, ref)) then
    items[ref] = pendingValue(pr, now, 0)
    setOwed(kOwed, chat, items, n + 1)
    added = added + 1
    if not redis.call('ZSCORE', kInflight, chat) then
      local el = now
      local nb = num(redis.call('ZSCORE', kNotBefore, chat))
      if nb > el then el = nb end
      -- A normal item waits for the chat's hold; a breaking one does not.
      if pr ~= PRIO_BREAKING then
        local hold = num(redis.call('ZSCORE', kHold, chat))
        if hold > el then el = hold end
      end
      local cand = pr * BAND_SHIFT + el
      local cur = redis.call('ZSCORE', kReady, chat)
      if (not cur) or cand < tonumber(cur) then
        redis.call('ZADD', kReady, fmt(cand), chat)
      end
    end
  end
end
if added > 0 then redis.call('HINCRBY', kStats, STAT_PENDING, added) end
return added
