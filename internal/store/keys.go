package store

import (
	"strconv"

	"newsbot/internal/news"
)

// Every Redis key the store reads or writes is built here, and each one is
// described in docs/redis-keys.md. Keys are relative to the prefix
// (Options.Prefix, "newsbot:" by default); <ed> is an edition ("uk", "ru",
// "en"), <id> a decimal integer, <slug> a validated tag slug and <keyword> a
// validated keyword (neither ever holds ':', '*', braces or control
// characters; a keyword may hold single spaces, a slug none). Braces are
// literal: the text between them is the key's Redis Cluster hash tag, and
// keys with the same tag live in the same slot.
//
// Chats are spread over chatShards shards: a chat's record and its entries
// in every index live under the hash tag {c<n>} of its shard n (|id| mod
// 16), so the transaction that changes a chat touches one slot, and a
// fan-out read takes the union of one set per shard. The per-edition
// windows (seen, recent, tag counts) live under the tag {<ed>}, each changed
// by one script. Articles and the single keys carry no tag and spread.
//
// Subscription indexes hold only active chats: an inactive chat keeps its
// settings in its chat record and is listed in its shard's inactive set
// alone.
const (
	// keyChat + "{c<n>}:<id>": string, the chat's settings as news.Chat JSON.
	keyChat = "chat:"
	// keyChats + "{c<n>}": set of every known chat ID of shard n, active or
	// not; + ":inactive": set of its inactive chats; + ":lang:<lang>": set
	// of its active chats whose language is lang.
	keyChats = "chats:"
	// keySub + "{c<n>}:<ed>:tag:<slug>", "…:kw:<keyword>", "…:breaking",
	// "…:keywords": the subscription indexes of one edition in shard n;
	// "…:mute:<keyword>", "…:mutes", "…:mutetag:<slug>",
	// "…:breaking:unmuted": its mute indexes (mutes.go).
	keySub = "sub:"
	// keyTopics + "{c<n>}:<group id>": hash thread → topic ID, the forum
	// topics of a supergroup of shard n that have settings; + "{c<n>}:seq":
	// string, the counter topic IDs of shard n are made from (topics.go).
	keyTopics = "topics:"
	// keySeen + "{<ed>}": zset of the article IDs seen in the edition (score
	// = member = ID); + ":floor": string, set once the zset has been
	// trimmed: IDs lower than it count as seen.
	keySeen = "seen:"
	// keyInitialized + "<ed>": string "1" once the edition's first poll is done.
	keyInitialized = "initialized:"
	// keyArticle + "<ed>:<id>": string, news.Article JSON, with a TTL.
	keyArticle = "article:"
	// keyRecent + "{<ed>}": zset of the edition's recent article IDs (score =
	// ID); + ":tags": hash ID → space-separated tag slugs of each recent
	// article.
	keyRecent = "recent:"
	// keyTags + "{<ed>}:count": zset slug → number of recent articles with
	// the tag; + "{<ed>}:names": hash slug → display name in the edition.
	keyTags = "tags:"
	// keySearch + "{<ed>}:w:<word>": zset of the IDs of the edition's
	// stories holding the word (score = ID); + "{<ed>}:dict": zset of every
	// indexed word (score 0, for ZRANGEBYLEX); + "{<ed>}:doc": hash ID →
	// the story's indexed words separated by spaces; + "{<ed>}:at": zset ID
	// → when the story was last indexed (Unix s). See search.go. A word is
	// made by SearchWords: it never holds a space, ':', '*', braces or
	// control characters.
	keySearch = "search:"
	// keyUpdateOffset: string, the next getUpdates offset.
	keyUpdateOffset = "tg:offset"
	// keyUpdate + "<update_id>": string "1" with a TTL once the update is
	// handled (webhook dedupe, and long polling across replicas), or
	// "claim:<holder>" with a short TTL while a replica handles a polled
	// update. See updates.go.
	keyUpdate = "tg:update:"
	// keyUpdatesInHand: hash update_id → the update's JSON, the polled
	// updates still in hand when the offset had to move past them.
	keyUpdatesInHand = "tg:inhand"
	// keyWatch + "{ed}": hash ID → the poller's state of a story announced
	// within Options.WatchWindow (importance and a digest of its wording);
	// keyWatch + "{ed}:at": zset ID → first announcement (Unix s), to trim
	// the hash. See watch.go.
	keyWatch = "watch:"
	// keyMeta: hash name → value (last poll time per edition and the like).
	keyMeta = "meta"
	// keyIdentity: hash with "id" (a random identity given to the store at
	// its first start) and "counter" (bumped on every poll and
	// announcement); see EnsureIdentity.
	keyIdentity = "identity"
	// keyLease + "{<role>}": string "holder token", the role's lease, with
	// a TTL; keyLease + "{<role>}:fence": the role's fencing counter. The
	// role in braces is the keys' hash tag: both live in one Cluster slot.
	keyLease = "lease:"
	// keyDraft + "{id}": string "<user id>\n<text>", an admin's broadcast
	// awaiting confirmation in chat id, with a TTL.
	keyDraft = "draft:broadcast:"
)

// chatShards is the number of chat shards. Changing it moves every chat to
// another key: it is part of the key layout.
const chatShards = 16

// chatShard is the shard of chat id: |id| mod chatShards.
func chatShard(id int64) int {
	u := uint64(id)
	if id < 0 {
		u = -u
	}
	return int(u % chatShards)
}

// keys builds full key names with the store's prefix.
type keys struct{ prefix string }

// shardTag is the hash tag of chat shard n.
func shardTag(n int) string { return "{c" + strconv.Itoa(n) + "}" }

// editionTag is the hash tag of edition ed's windows.
func editionTag(ed news.Lang) string { return "{" + string(ed) + "}" }

func (k keys) chat(id int64) string {
	return k.prefix + keyChat + shardTag(chatShard(id)) + ":" + strconv.FormatInt(id, 10)
}
func (k keys) chats(n int) string         { return k.prefix + keyChats + shardTag(n) }
func (k keys) chatsInactive(n int) string { return k.chats(n) + ":inactive" }
func (k keys) chatsLang(n int, l news.Lang) string {
	return k.chats(n) + ":lang:" + string(l)
}

// topics is the hash thread → topic ID of supergroup group; topicSeq the
// counter of shard n's topic IDs.
func (k keys) topics(group int64) string {
	return k.prefix + keyTopics + shardTag(chatShard(group)) + ":" + strconv.FormatInt(group, 10)
}
func (k keys) topicSeq(n int) string { return k.prefix + keyTopics + shardTag(n) + ":seq" }

// sub is the start of shard n's subscription indexes of edition ed.
func (k keys) sub(n int, ed news.Lang) string {
	return k.prefix + keySub + shardTag(n) + ":" + string(ed)
}

// tagSubs is the set of shard n's active chats following slug in ed.
func (k keys) tagSubs(n int, ed news.Lang, slug string) string { return k.sub(n, ed) + ":tag:" + slug }

// keywordSubs is the set of shard n's active chats following kw in ed.
func (k keys) keywordSubs(n int, ed news.Lang, kw string) string { return k.sub(n, ed) + ":kw:" + kw }

// keywords is the zset keyword → number of shard n's active chats
// following it in ed.
func (k keys) keywords(n int, ed news.Lang) string { return k.sub(n, ed) + ":keywords" }

// muteSubs is the set of shard n's active chats muting the word or phrase
// m in ed; mutes is the zset mute → number of those chats; mutedTagSubs
// is the set of shard n's active chats muting tag slug in ed;
// breakingUnmuted is the set of shard n's active breaking subscribers whose
// alerts ignore their mutes. See mutes.go.
func (k keys) muteSubs(n int, ed news.Lang, m string) string { return k.sub(n, ed) + ":mute:" + m }
func (k keys) mutes(n int, ed news.Lang) string              { return k.sub(n, ed) + ":mutes" }
func (k keys) mutedTagSubs(n int, ed news.Lang, slug string) string {
	return k.sub(n, ed) + ":mutetag:" + slug
}
func (k keys) breakingUnmuted(n int, ed news.Lang) string { return k.sub(n, ed) + ":breaking:unmuted" }

// breakingSubs is the set of shard n's active chats with breaking alerts
// on in ed.
func (k keys) breakingSubs(n int, ed news.Lang) string { return k.sub(n, ed) + ":breaking" }

func (k keys) seen(ed news.Lang) string      { return k.prefix + keySeen + editionTag(ed) }
func (k keys) seenFloor(ed news.Lang) string { return k.seen(ed) + ":floor" }
func (k keys) initialized(ed news.Lang) string {
	return k.prefix + keyInitialized + string(ed)
}

func (k keys) article(ed news.Lang, id int64) string {
	return k.prefix + keyArticle + string(ed) + ":" + strconv.FormatInt(id, 10)
}
func (k keys) recent(ed news.Lang) string     { return k.prefix + keyRecent + editionTag(ed) }
func (k keys) recentTags(ed news.Lang) string { return k.recent(ed) + ":tags" }
func (k keys) tagCounts(ed news.Lang) string  { return k.prefix + keyTags + editionTag(ed) + ":count" }
func (k keys) tagNames(ed news.Lang) string   { return k.prefix + keyTags + editionTag(ed) + ":names" }

func (k keys) search(ed news.Lang) string { return k.prefix + keySearch + editionTag(ed) }
func (k keys) searchWord(ed news.Lang, word string) string {
	return k.search(ed) + ":w:" + word
}
func (k keys) searchDict(ed news.Lang) string { return k.search(ed) + ":dict" }
func (k keys) searchDoc(ed news.Lang) string  { return k.search(ed) + ":doc" }
func (k keys) searchAt(ed news.Lang) string   { return k.search(ed) + ":at" }

func (k keys) watch(ed news.Lang) string   { return k.prefix + keyWatch + editionTag(ed) }
func (k keys) watchAt(ed news.Lang) string { return k.watch(ed) + ":at" }

func (k keys) updateOffset() string  { return k.prefix + keyUpdateOffset }
func (k keys) update(id int) string  { return k.prefix + keyUpdate + strconv.Itoa(id) }
func (k keys) updatesInHand() string { return k.prefix + keyUpdatesInHand }
func (k keys) meta() string          { return k.prefix + keyMeta }
func (k keys) identity() string      { return k.prefix + keyIdentity }
func (k keys) lease(role string) string {
	return k.prefix + keyLease + "{" + role + "}"
}
func (k keys) leaseFence(role string) string { return k.lease(role) + ":fence" }
func (k keys) draft(chatID int64) string {
	return k.prefix + keyDraft + strconv.FormatInt(chatID, 10)
}
