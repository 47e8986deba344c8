package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// The queue lives in Redis under one prefix P (store.Key("delivery")):
//
//	P:ready        ZSET  chat → band·2^42 + eligible (Unix ms); band 0 = breaking, 1 = normal
//	P:inflight     ZSET  chat → lease deadline (Unix ms)
//	P:lease        HASH  chat → claim token of the holder
//	P:p:<chat>     HASH  item ref → "prio|enqueued_ms|attempts"   (pending items of one chat)
//	P:nb:<chat>    STRING not-before of the chat (Unix ms): per-chat rate limit and retry backoff
//	P:sent:<ref>   SET   chat IDs that received the item (the sent-ledger), expires after ledgerTTL
//	P:ann:<ed>:<id> STRING recipients of a finished fan-out (Announce idempotency), expires after ledgerTTL
//	P:bc:<n>       STRING text of broadcast n;  P:bcseq  STRING last broadcast number
//	P:dead         LIST  dead letters (JSON), newest first, capped at maxDeadLetters
//	P:stats        HASH  counters
//	P:rate, P:rate:paid  STRING GCRA theoretical arrival time (Unix ms, fractional)
//	P:pause        STRING time (Unix ms) until which every sender waits after a 429
//
// A chat is in at most one of P:ready and P:inflight. Items stay in P:p:<chat>
// until they are sent, dropped or dead-lettered, so a claim that dies with its
// process loses nothing: its lease runs out and the chat goes back to P:ready.
// Every state change is one Lua script, atomic in Redis. Time comes from the
// engine's clock as an argument (never from TTLs, which the embedded
// miniredis does not run down by itself); TTLs only collect garbage.

// bandShift separates the two priority bands in P:ready: 2^42 ms is about
// 139 years, so band 0 scores (Unix ms) always sort before band 1 scores.
// band·2^42 + ms stays below 2^53 and is exact in a float64.
const bandShift = 1 << 42

// Priorities of queued items.
const (
	prioBreaking = 0
	prioNormal   = 1
)

const (
	// ledgerTTL is how long the sent-ledger of an item and the fan-out
	// marker of an article are kept: longer than any article is announced.
	ledgerTTL = 72 * time.Hour
	// broadcastTTL is how long a broadcast's text is kept for its sends.
	broadcastTTL = 7 * 24 * time.Hour
	// maxDeadLetters caps the dead-letter list.
	maxDeadLetters = 10000
	// reclaimBatch is how many expired leases one claim returns to the queue.
	reclaimBatch = 16
	// enqueueBatch is how many chats one enqueue script handles: a few
	// milliseconds of Redis time at most.
	enqueueBatch = 500
)

// luaPrelude is prepended to every script: shared helpers.
const luaPrelude = `
local S = 4398046511104
local function fmt(n) return string.format('%.0f', n) end
local function num(v) if v then return tonumber(v) or 0 end return 0 end
-- requeue puts a chat that is not in flight back in P:ready according to its
-- pending items and not-before, or takes it out when nothing is pending.
local function requeue(P, chat)
  local v = redis.call('HVALS', P .. ':p:' .. chat)
  if #v == 0 then
    redis.call('ZREM', P .. ':ready', chat)
    return
  end
  local band, oldest = 9, 0
  for i = 1, #v do
    local pr, enq = string.match(v[i], '^(%d+)|(%d+)|')
    pr = tonumber(pr) or 1
    enq = tonumber(enq) or 0
    if pr < band then
      band, oldest = pr, enq
    elseif pr == band and enq < oldest then
      oldest = enq
    end
  end
  if band > 1 then band = 1 end
  local el = oldest
  local nb = num(redis.call('GET', P .. ':nb:' .. chat))
  if nb > el then el = nb end
  redis.call('ZADD', P .. ':ready', fmt(band * S + el), chat)
end
local function release(P, chat, token)
  if redis.call('HGET', P .. ':lease', chat) == token then
    redis.call('HDEL', P .. ':lease', chat)
    redis.call('ZREM', P .. ':inflight', chat)
    requeue(P, chat)
    return 1
  end
  return 0
end
`

// enqueueScript adds one item to many chats.
// ARGV: P, now_ms, ref, then chat, prio pairs. Returns the number added.
var enqueueScript = redis.NewScript(luaPrelude + `
local P, now, ref = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local ledger = P .. ':sent:' .. ref
local added = 0
for i = 4, #ARGV - 1, 2 do
  local chat, pr = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('SISMEMBER', ledger, chat) == 0 and
     redis.call('HSETNX', P .. ':p:' .. chat, ref, pr .. '|' .. fmt(now) .. '|0') == 1 then
    added = added + 1
    if not redis.call('ZSCORE', P .. ':inflight', chat) then
      local el = now
      local nb = num(redis.call('GET', P .. ':nb:' .. chat))
      if nb > el then el = nb end
      local cand = pr * S + el
      local cur = redis.call('ZSCORE', P .. ':ready', chat)
      if (not cur) or cand < tonumber(cur) then
        redis.call('ZADD', P .. ':ready', fmt(cand), chat)
      end
    end
  end
end
if added > 0 then redis.call('HINCRBY', P .. ':stats', 'pending', added) end
return added
`)

// claimScript returns expired leases to the queue, then takes the chat that
// is due first: breaking before normal, oldest first within a band.
// ARGV: P, now_ms, lease_ms, token.
// Returns {"pause", ms} | {"idle", ms or -1} | {"empty"} |
// {"chat", chat, ref1, val1, ref2, val2, ...}.
var claimScript = redis.NewScript(luaPrelude + `
local P, now, lease, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local pause = num(redis.call('GET', P .. ':pause'))
if pause > now then return {'pause', fmt(pause - now)} end
local expired = redis.call('ZRANGEBYSCORE', P .. ':inflight', '-inf', fmt(now), 'LIMIT', 0, ` + strconv.Itoa(reclaimBatch) + `)
for i = 1, #expired do
  local c = expired[i]
  redis.call('ZREM', P .. ':inflight', c)
  redis.call('HDEL', P .. ':lease', c)
  requeue(P, c)
  redis.call('HINCRBY', P .. ':stats', 'reclaimed', 1)
end
local chat
for band = 0, 1 do
  local r = redis.call('ZRANGEBYSCORE', P .. ':ready', fmt(band * S), fmt(band * S + now), 'LIMIT', 0, 1)
  if #r > 0 then chat = r[1] break end
end
if not chat then
  local nxt = -1
  for band = 0, 1 do
    local r = redis.call('ZRANGEBYSCORE', P .. ':ready', fmt(band * S), '(' .. fmt((band + 1) * S), 'WITHSCORES', 'LIMIT', 0, 1)
    if #r > 0 then
      local d = tonumber(r[2]) - band * S - now
      if nxt < 0 or d < nxt then nxt = d end
    end
  end
  local f = redis.call('ZRANGE', P .. ':inflight', 0, 0, 'WITHSCORES')
  if #f > 0 then
    local d = tonumber(f[2]) - now
    if nxt < 0 or d < nxt then nxt = d end
  end
  return {'idle', fmt(nxt)}
end
redis.call('ZREM', P .. ':ready', chat)
local h = redis.call('HGETALL', P .. ':p:' .. chat)
local out = {'chat', chat}
local dropped = 0
for i = 1, #h, 2 do
  if redis.call('SISMEMBER', P .. ':sent:' .. h[i], chat) == 1 then
    redis.call('HDEL', P .. ':p:' .. chat, h[i])
    dropped = dropped + 1
  else
    out[#out + 1] = h[i]
    out[#out + 1] = h[i + 1]
  end
end
if dropped > 0 then redis.call('HINCRBY', P .. ':stats', 'pending', -dropped) end
if #out == 2 then return {'empty'} end
redis.call('ZADD', P .. ':inflight', fmt(now + lease), chat)
redis.call('HSET', P .. ':lease', chat, token)
return out
`)

// finishScript records what became of a claimed chat's items and releases
// the claim. ARGV: P, now_ms, chat, token, ledger_ttl_s, not_before_ms (0:
// none), dead_json, dead_max, messages, ambiguous, n_sent, n_drop, n_retry,
// n_dead, refs...
// Items not listed stay pending unchanged. Returns 1 when the claim was
// still held, 0 when it had been lost (the item changes are applied anyway:
// they record sends that happened).
var finishScript = redis.NewScript(luaPrelude + `
local P, now, chat, token = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local ttl, nb, dead, deadMax = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local msgs, amb = tonumber(ARGV[9]), tonumber(ARGV[10])
local ns, nd, nr, nx = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local pk = P .. ':p:' .. chat
local st = P .. ':stats'
local i = 15
local removed, delivered, dropped, retried, deadItems = 0, 0, 0, 0, 0
for j = 1, ns do
  local ref = ARGV[i]; i = i + 1
  local l = P .. ':sent:' .. ref
  redis.call('SADD', l, chat)
  redis.call('EXPIRE', l, ttl)
  if redis.call('HDEL', pk, ref) == 1 then removed = removed + 1; delivered = delivered + 1 end
end
for j = 1, nd do
  if redis.call('HDEL', pk, ARGV[i]) == 1 then removed = removed + 1; dropped = dropped + 1 end
  i = i + 1
end
for j = 1, nr do
  local v = redis.call('HGET', pk, ARGV[i])
  if v then
    local pr, enq, att = string.match(v, '^(%d+)|(%d+)|(%d+)')
    redis.call('HSET', pk, ARGV[i], (pr or '1') .. '|' .. (enq or fmt(now)) .. '|' .. ((tonumber(att) or 0) + 1))
    retried = retried + 1
  end
  i = i + 1
end
for j = 1, nx do
  if redis.call('HDEL', pk, ARGV[i]) == 1 then removed = removed + 1; deadItems = deadItems + 1 end
  i = i + 1
end
if removed > 0 then redis.call('HINCRBY', st, 'pending', -removed) end
if delivered > 0 then redis.call('HINCRBY', st, 'delivered', delivered) end
if dropped > 0 then redis.call('HINCRBY', st, 'dropped', dropped) end
if retried > 0 then redis.call('HINCRBY', st, 'retried', retried) end
if msgs > 0 then redis.call('HINCRBY', st, 'messages', msgs) end
if amb > 0 then redis.call('HINCRBY', st, 'ambiguous', amb) end
if dead ~= '' then
  redis.call('LPUSH', P .. ':dead', dead)
  redis.call('LTRIM', P .. ':dead', 0, deadMax - 1)
  redis.call('HINCRBY', st, 'dead', 1)
end
if nb > now then
  local nbk = P .. ':nb:' .. chat
  if nb > num(redis.call('GET', nbk)) then
    redis.call('SET', nbk, fmt(nb), 'PX', fmt(nb - now + 1000))
  end
end
return release(P, chat, token)
`)

// migrateScript moves the pending items of a chat to its new ID (a group
// that became a supergroup) and queues the new ID.
// ARGV: P, now_ms, from, to, token.
var migrateScript = redis.NewScript(luaPrelude + `
local P, now, from, to, token = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local h = redis.call('HGETALL', P .. ':p:' .. from)
local moved, lost = 0, 0
for i = 1, #h, 2 do
  if redis.call('SISMEMBER', P .. ':sent:' .. h[i], to) == 0 and
     redis.call('HSETNX', P .. ':p:' .. to, h[i], h[i + 1]) == 1 then
    moved = moved + 1
  else
    lost = lost + 1
  end
end
redis.call('DEL', P .. ':p:' .. from)
if lost > 0 then redis.call('HINCRBY', P .. ':stats', 'pending', -lost) end
if redis.call('HGET', P .. ':lease', from) == token then
  redis.call('HDEL', P .. ':lease', from)
  redis.call('ZREM', P .. ':inflight', from)
end
redis.call('ZREM', P .. ':ready', from)
if not redis.call('ZSCORE', P .. ':inflight', to) then requeue(P, to) end
redis.call('HINCRBY', P .. ':stats', 'migrated', 1)
return moved
`)

// item is a reference to what a chat is owed: an article of an edition or
// a broadcast. Its string form ("uk:123", "bc:7") is the field name in
// P:p:<chat> and the suffix of the sent-ledger key.
type item struct {
	edition   news.Lang
	articleID int64
	broadcast int64
}

func (it item) String() string {
	if it.broadcast != 0 {
		return "bc:" + strconv.FormatInt(it.broadcast, 10)
	}
	return string(it.edition) + ":" + strconv.FormatInt(it.articleID, 10)
}

// parseItem reads an item reference; it reports false for anything else.
func parseItem(s string) (item, bool) {
	head, tail, ok := strings.Cut(s, ":")
	if !ok {
		return item{}, false
	}
	n, err := strconv.ParseInt(tail, 10, 64)
	if err != nil || n <= 0 {
		return item{}, false
	}
	if head == "bc" {
		return item{broadcast: n}, true
	}
	l := news.Lang(head)
	if !l.Valid() {
		return item{}, false
	}
	return item{edition: l, articleID: n}, true
}

// pending is one item waiting for a chat, as claimed.
type pending struct {
	ref      string // raw field name, kept so that finish names it exactly
	item     item
	valid    bool // ref parsed
	prio     int
	enqueued time.Time
	attempts int
}

// parsePending reads a P:p:<chat> entry ("prio|enqueued_ms|attempts").
func parsePending(ref, val string) pending {
	p := pending{ref: ref, prio: prioNormal}
	p.item, p.valid = parseItem(ref)
	parts := strings.Split(val, "|")
	if len(parts) == 3 {
		if n, err := strconv.Atoi(parts[0]); err == nil && n == prioBreaking {
			p.prio = prioBreaking
		}
		if ms, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			p.enqueued = time.UnixMilli(ms)
		}
		if n, err := strconv.Atoi(parts[2]); err == nil && n >= 0 {
			p.attempts = n
		}
	}
	return p
}

// claimed is a chat taken from the queue with everything it is owed.
type claimed struct {
	chat  int64
	token string
	items []pending // sorted: breaking first, then oldest first
}

// claimState says what a claim found.
type claimState int

const (
	claimGot   claimState = iota // a chat was claimed
	claimIdle                    // nothing due; wait says when something may be
	claimPause                   // a 429 pause is in force for wait
	claimEmpty                   // the chat due had nothing left (already sent)
)

type claimResult struct {
	state claimState
	wait  time.Duration // for claimIdle (negative: nothing queued at all) and claimPause
	c     claimed
}

// queue is the Redis side of the engine.
type queue struct {
	rdb    redis.UniversalClient
	prefix string // P
}

func (q *queue) key(parts ...string) string {
	return q.prefix + ":" + strings.Join(parts, ":")
}

// enqueue adds ref for every chat in recipients (chat → priority), in
// batches, and returns how many (chat, item) pairs were new.
func (q *queue) enqueue(ctx context.Context, now time.Time, ref string, recipients map[int64]int) (int, error) {
	chats := make([]int64, 0, len(recipients))
	for c := range recipients {
		chats = append(chats, c)
	}
	// Stable order: breaking first, then by chat ID, so a retried fan-out
	// walks the same batches.
	sort.Slice(chats, func(i, j int) bool {
		pi, pj := recipients[chats[i]], recipients[chats[j]]
		if pi != pj {
			return pi < pj
		}
		return chats[i] < chats[j]
	})
	added := 0
	for len(chats) > 0 {
		n := min(len(chats), enqueueBatch)
		args := make([]any, 0, 3+2*n)
		args = append(args, q.prefix, now.UnixMilli(), ref)
		for _, c := range chats[:n] {
			args = append(args, c, recipients[c])
		}
		got, err := enqueueScript.Run(ctx, q.rdb, nil, args...).Int()
		if err != nil {
			return added, fmt.Errorf("delivery: unable to enqueue %s: %w", ref, err)
		}
		added += got
		chats = chats[n:]
	}
	return added, nil
}

// claim takes the chat due first and holds it for lease.
func (q *queue) claim(ctx context.Context, now time.Time, token string, lease time.Duration) (claimResult, error) {
	res, err := claimScript.Run(ctx, q.rdb, nil, q.prefix, now.UnixMilli(), lease.Milliseconds(), token).StringSlice()
	if err != nil {
		return claimResult{}, fmt.Errorf("delivery: unable to claim: %w", err)
	}
	if len(res) == 0 {
		return claimResult{}, errors.New("delivery: unable to claim: empty script answer")
	}
	switch res[0] {
	case "pause", "idle":
		ms := int64(-1)
		if len(res) > 1 {
			if v, err := strconv.ParseInt(res[1], 10, 64); err == nil {
				ms = v
			}
		}
		st := claimIdle
		if res[0] == "pause" {
			st = claimPause
		}
		return claimResult{state: st, wait: time.Duration(ms) * time.Millisecond}, nil
	case "empty":
		return claimResult{state: claimEmpty}, nil
	case "chat":
		if len(res) < 2 {
			return claimResult{}, errors.New("delivery: unable to claim: short script answer")
		}
		chat, err := strconv.ParseInt(res[1], 10, 64)
		if err != nil {
			return claimResult{}, fmt.Errorf("delivery: unable to claim: bad chat %q: %w", res[1], err)
		}
		c := claimed{chat: chat, token: token}
		for i := 2; i+1 < len(res); i += 2 {
			c.items = append(c.items, parsePending(res[i], res[i+1]))
		}
		sort.SliceStable(c.items, func(i, j int) bool {
			a, b := c.items[i], c.items[j]
			if a.prio != b.prio {
				return a.prio < b.prio
			}
			if !a.enqueued.Equal(b.enqueued) {
				return a.enqueued.Before(b.enqueued)
			}
			return a.ref < b.ref
		})
		return claimResult{state: claimGot, c: c}, nil
	}
	return claimResult{}, fmt.Errorf("delivery: unable to claim: unexpected answer %q", res[0])
}

// outcome is what finish records for a claimed chat.
type outcome struct {
	sent, drop, retry, dead []string // item refs
	messages                int      // Bot API messages delivered
	ambiguous               int      // sends whose answer was lost
	// notBefore is when the chat may get its next message: the last send
	// plus the per-chat interval, or a retry's back-off. Zero: no change.
	notBefore  time.Time
	deadLetter *DeadLetter
	released   bool // the claim was already given up (migrated)
}

// finish applies o and releases the claim. It reports whether the claim
// was still held.
func (q *queue) finish(ctx context.Context, now time.Time, c claimed, o outcome) (bool, error) {
	dead := ""
	if o.deadLetter != nil {
		b, err := json.Marshal(o.deadLetter)
		if err != nil {
			return false, fmt.Errorf("delivery: unable to encode dead letter: %w", err)
		}
		dead = string(b)
	}
	args := make([]any, 0, 14+len(o.sent)+len(o.drop)+len(o.retry)+len(o.dead))
	nb := int64(0)
	if !o.notBefore.IsZero() {
		nb = o.notBefore.UnixMilli()
	}
	args = append(args, q.prefix, now.UnixMilli(), c.chat, c.token, int64(ledgerTTL/time.Second),
		nb, dead, maxDeadLetters, o.messages, o.ambiguous,
		len(o.sent), len(o.drop), len(o.retry), len(o.dead))
	for _, l := range [][]string{o.sent, o.drop, o.retry, o.dead} {
		for _, r := range l {
			args = append(args, r)
		}
	}
	held, err := finishScript.Run(ctx, q.rdb, nil, args...).Int()
	if err != nil {
		return false, fmt.Errorf("delivery: unable to record the outcome for chat %d: %w", c.chat, err)
	}
	return held == 1, nil
}

// migrate moves the claimed chat's pending items to its new ID.
func (q *queue) migrate(ctx context.Context, now time.Time, c claimed, to int64) error {
	if err := migrateScript.Run(ctx, q.rdb, nil, q.prefix, now.UnixMilli(), c.chat, to, c.token).Err(); err != nil {
		return fmt.Errorf("delivery: unable to move the queue of chat %d to %d: %w", c.chat, to, err)
	}
	return nil
}

// queueStats reads the queue's size and counters.
func (q *queue) stats(ctx context.Context, now time.Time) (Stats, error) {
	pipe := q.rdb.Pipeline()
	breaking := pipe.ZCount(ctx, q.key("ready"), "0", "("+strconv.FormatInt(bandShift, 10))
	normal := pipe.ZCount(ctx, q.key("ready"), strconv.FormatInt(bandShift, 10), "+inf")
	inflight := pipe.ZCard(ctx, q.key("inflight"))
	dead := pipe.LLen(ctx, q.key("dead"))
	counters := pipe.HGetAll(ctx, q.key("stats"))
	pause := pipe.Get(ctx, q.key("pause"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Stats{}, fmt.Errorf("delivery: unable to read stats: %w", err)
	}
	c := counters.Val()
	n := func(k string) int64 {
		v, _ := strconv.ParseInt(c[k], 10, 64)
		return v
	}
	s := Stats{
		Breaking:    breaking.Val(),
		Normal:      normal.Val(),
		InFlight:    inflight.Val(),
		DeadLetters: dead.Val(),
		Pending:     n("pending"),
		Messages:    n("messages"),
		Delivered:   n("delivered"),
		Dropped:     n("dropped"),
		Retried:     n("retried"),
		Dead:        n("dead"),
		Reclaimed:   n("reclaimed"),
		Migrated:    n("migrated"),
		Floods:      n("floods"),
		Ambiguous:   n("ambiguous"),
	}
	if v, err := strconv.ParseFloat(pause.Val(), 64); err == nil {
		if d := time.Duration(v-float64(now.UnixMilli())) * time.Millisecond; d > 0 {
			s.Paused = d
		}
	}
	return s, nil
}

// deadLetters returns up to n dead letters, newest first.
func (q *queue) deadLetters(ctx context.Context, n int) ([]DeadLetter, error) {
	if n <= 0 {
		return nil, nil
	}
	raw, err := q.rdb.LRange(ctx, q.key("dead"), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery: unable to read dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(raw))
	for _, r := range raw {
		var d DeadLetter
		if err := json.Unmarshal([]byte(r), &d); err != nil {
			continue // a damaged entry is skipped, not fatal
		}
		out = append(out, d)
	}
	return out, nil
}
