package queue

import "strconv"

// keys builds the queue's key names: every one is the prefix P, ':' and a
// name; docs/redis-keys.md describes them.
//
//	P:ready     ZSET   chat → band·2^42 + eligible (Unix ms); band 0 breaking, 1 normal
//	P:inflight  ZSET   chat → lease deadline (Unix ms)
//	P:lease     HASH   chat → claim token of the holder
//	P:resume    HASH   chat → its ready score while in flight, restored if its lease runs out
//	P:chat:<id> HASH   one chat: p:<ref> pending items, s:<ref> sent-ledger, nb not-before
//	P:ann:<ref> STRING recipients of a finished fan-out
//	P:bc:<n>    STRING text of broadcast n;  P:bcseq  STRING last broadcast number
//	P:dead      LIST   dead letters (JSON), newest first
//	P:stats     HASH   counters
//	P:rate, P:rate:paid  STRING GCRA theoretical arrival time (Unix ms, 3 decimals)
//	P:pause     STRING time (Unix ms) until which every sender waits after a 429
//
// A script touches only keys of this list, all passed in KEYS. For Redis
// Cluster they must share a hash slot: a hash tag around the prefix
// ("newsbot:{delivery}") is the one change needed here.
type keys struct{ prefix string }

func (k keys) name(s string) string { return k.prefix + ":" + s }

func (k keys) ready() string        { return k.name("ready") }
func (k keys) inflight() string     { return k.name("inflight") }
func (k keys) lease() string        { return k.name("lease") }
func (k keys) resume() string       { return k.name("resume") }
func (k keys) chat(id int64) string { return k.name("chat:" + strconv.FormatInt(id, 10)) }
func (k keys) fanOut(ref string) string {
	return k.name("ann:" + ref)
}
func (k keys) broadcast(n int64) string { return k.name("bc:" + strconv.FormatInt(n, 10)) }
func (k keys) broadcastSeq() string     { return k.name("bcseq") }
func (k keys) dead() string             { return k.name("dead") }
func (k keys) stats() string            { return k.name("stats") }
func (k keys) rate() string             { return k.name("rate") }
func (k keys) ratePaid() string         { return k.name("rate:paid") }
func (k keys) pause() string            { return k.name("pause") }
