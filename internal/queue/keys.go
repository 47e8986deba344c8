package queue

import "strconv"

// keys builds the queue's key names: every one is the prefix P, ':' and a
// fixed name; docs/redis-keys.md describes them.
//
//	P:ready      ZSET   chat → band·2^42 + eligible (Unix ms); band 0 breaking, 1 normal
//	P:inflight   ZSET   chat → lease deadline (Unix ms)
//	P:lease      HASH   chat → claim token of the holder
//	P:owed       HASH   chat → what it is owed: JSON object ref → "prio|enqueued_ms|attempts"
//	P:sent       ZSET   "chat|ref" → when it was sent (the sent-ledger), trimmed after LedgerTTL
//	P:notbefore  ZSET   chat → not-before (Unix ms): per-chat rate limit and retry back-off
//	P:hold       ZSET   chat → hold-until (Unix ms): normal items wait (quiet hours, daily digest); breaking ones do not
//	P:ann:<ref>  STRING recipients of a finished fan-out
//	P:msg:<ref>  HASH   chat → "message_id|digest|sent_unix|breaking" of a story's messages, expires EditWindow after the last
//	P:bc:<n>     STRING text of broadcast n;  P:bcseq  STRING last broadcast number
//	P:dead       LIST   dead letters (JSON), newest first
//	P:stats      HASH   counters
//	P:rate, P:rate:paid  STRING GCRA theoretical arrival time (Unix ms, 3 decimals)
//	P:rate:adapt HASH   the adaptive free rate: r (messages/s) set at t (Unix ms), cut_until, k (limit known), n (free slots since the pause)
//	P:pause      STRING time (Unix ms) until which every sender waits after a 429
//
// Per-chat state is a field or member named by the chat inside these
// keys, so every script touches only fixed names, all passed in KEYS. For
// Redis Cluster the keys a script touches must share a hash slot: a hash
// tag in the prefix ("newsbot:{delivery}") is the one change needed here.
type keys struct{ prefix string }

func (k keys) name(s string) string { return k.prefix + ":" + s }

func (k keys) ready() string              { return k.name("ready") }
func (k keys) inflight() string           { return k.name("inflight") }
func (k keys) lease() string              { return k.name("lease") }
func (k keys) owed() string               { return k.name("owed") }
func (k keys) sent() string               { return k.name("sent") }
func (k keys) notBefore() string          { return k.name("notbefore") }
func (k keys) hold() string               { return k.name("hold") }
func (k keys) fanOut(ref string) string   { return k.name("ann:" + ref) }
func (k keys) messages(ref string) string { return k.name("msg:" + ref) }
func (k keys) broadcast(n int64) string   { return k.name("bc:" + strconv.FormatInt(n, 10)) }
func (k keys) broadcastSeq() string       { return k.name("bcseq") }
func (k keys) dead() string               { return k.name("dead") }
func (k keys) stats() string              { return k.name("stats") }
func (k keys) rate() string               { return k.name("rate") }
func (k keys) ratePaid() string           { return k.name("rate:paid") }
func (k keys) rateAdapt() string          { return k.name("rate:adapt") }
func (k keys) pause() string              { return k.name("pause") }
