package store

import (
	"strconv"

	"newsbot/internal/news"
)

// Every Redis key the store reads or writes is built here, and each one is
// described in docs/redis-keys.md. Keys are relative to the prefix
// (Options.Prefix, "newsbot:" by default); {ed} is an edition ("uk", "ru",
// "en"), {id} a decimal integer, {slug} a validated tag slug and {keyword} a
// validated keyword (neither ever holds ':', '*', braces or control
// characters; a keyword may hold single spaces, a slug none).
//
// Subscription indexes hold only active chats: an inactive chat keeps its
// settings in chat:{id} and is listed in chats:inactive alone.
const (
	// keyChat + "{id}": string, the chat's settings as news.Chat JSON.
	keyChat = "chat:"
	// keyChats: set of every known chat ID, active or not.
	keyChats = "chats"
	// keyChatsInactive: set of the IDs of inactive chats.
	keyChatsInactive = "chats:inactive"
	// keyChatsLang + "{lang}": set of the active chats whose language is lang.
	keyChatsLang = "chats:lang:"
	// keySub + "{ed}:tag:{slug}", "{ed}:kw:{keyword}", "{ed}:breaking",
	// "{ed}:keywords": the subscription indexes of one edition.
	keySub = "sub:"
	// keySeen + "{ed}": zset of the article IDs seen in the edition (score =
	// member = ID); keySeen + "{ed}:floor": string, set once the zset has
	// been trimmed: IDs lower than it count as seen.
	keySeen = "seen:"
	// keyInitialized + "{ed}": string "1" once the edition's first poll is done.
	keyInitialized = "initialized:"
	// keyArticle + "{ed}:{id}": string, news.Article JSON, with a TTL.
	keyArticle = "article:"
	// keyRecent + "{ed}": zset of the edition's recent article IDs (score =
	// ID); keyRecent + "{ed}:tags": hash ID → space-separated tag slugs of
	// each recent article.
	keyRecent = "recent:"
	// keyTags + "{ed}:count": zset slug → number of recent articles with the
	// tag; keyTags + "{ed}:names": hash slug → display name in the edition.
	keyTags = "tags:"
	// keyUpdateOffset: string, the next getUpdates offset.
	keyUpdateOffset = "tg:offset"
	// keyUpdate + "{update_id}": string "1" with a TTL, webhook dedupe.
	keyUpdate = "tg:update:"
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
	// keyLease + "{{role}}": string "holder token", the role's lease, with
	// a TTL; keyLease + "{{role}}:fence": the role's fencing counter. The
	// role in braces is the keys' hash tag: both live in one Cluster slot.
	keyLease = "lease:"
)

// keys builds full key names with the store's prefix.
type keys struct{ prefix string }

func (k keys) chat(id int64) string         { return k.prefix + keyChat + strconv.FormatInt(id, 10) }
func (k keys) chats() string                { return k.prefix + keyChats }
func (k keys) chatsInactive() string        { return k.prefix + keyChatsInactive }
func (k keys) chatsLang(l news.Lang) string { return k.prefix + keyChatsLang + string(l) }

// tagSubs is the set of active chats following slug in ed.
func (k keys) tagSubs(ed news.Lang, slug string) string {
	return k.prefix + keySub + string(ed) + ":tag:" + slug
}

// keywordSubs is the set of active chats following keyword in ed.
func (k keys) keywordSubs(ed news.Lang, kw string) string {
	return k.prefix + keySub + string(ed) + ":kw:" + kw
}

// keywords is the zset keyword → number of active chats following it in ed.
func (k keys) keywords(ed news.Lang) string { return k.prefix + keySub + string(ed) + ":keywords" }

// breakingSubs is the set of active chats with breaking alerts on in ed.
func (k keys) breakingSubs(ed news.Lang) string { return k.prefix + keySub + string(ed) + ":breaking" }

func (k keys) seen(ed news.Lang) string      { return k.prefix + keySeen + string(ed) }
func (k keys) seenFloor(ed news.Lang) string { return k.prefix + keySeen + string(ed) + ":floor" }
func (k keys) initialized(ed news.Lang) string {
	return k.prefix + keyInitialized + string(ed)
}

func (k keys) article(ed news.Lang, id int64) string {
	return k.prefix + keyArticle + string(ed) + ":" + strconv.FormatInt(id, 10)
}
func (k keys) recent(ed news.Lang) string     { return k.prefix + keyRecent + string(ed) }
func (k keys) recentTags(ed news.Lang) string { return k.prefix + keyRecent + string(ed) + ":tags" }
func (k keys) tagCounts(ed news.Lang) string  { return k.prefix + keyTags + string(ed) + ":count" }
func (k keys) tagNames(ed news.Lang) string   { return k.prefix + keyTags + string(ed) + ":names" }

func (k keys) watch(ed news.Lang) string   { return k.prefix + keyWatch + string(ed) }
func (k keys) watchAt(ed news.Lang) string { return k.prefix + keyWatch + string(ed) + ":at" }

func (k keys) updateOffset() string { return k.prefix + keyUpdateOffset }
func (k keys) update(id int) string { return k.prefix + keyUpdate + strconv.Itoa(id) }
func (k keys) meta() string         { return k.prefix + keyMeta }
func (k keys) identity() string     { return k.prefix + keyIdentity }
func (k keys) lease(role string) string {
	return k.prefix + keyLease + "{" + role + "}"
}
func (k keys) leaseFence(role string) string { return k.lease(role) + ":fence" }
