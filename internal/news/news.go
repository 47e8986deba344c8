// Package news holds the domain types that the rest of newsbot talks in:
// languages and editions, articles, tags and chats. It has no third-party
// imports and knows nothing about Redis, Telegram or HTML.
package news

import (
	"errors"
	"strings"
	"time"
)

// Errors shared across packages. Callers test them with errors.Is.
var (
	// ErrNotFound means the thing asked for is not stored.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the input was rejected before any work was done.
	ErrInvalid = errors.New("invalid input")
)

// Lang is a language code: the language of a site edition, of a reader's
// news and of the bot's interface.
type Lang string

// The three languages of Ukrainska Pravda and of the bot.
const (
	Ukrainian Lang = "uk"
	Russian   Lang = "ru"
	English   Lang = "en"
)

// Langs lists every supported language in display order.
var Langs = []Lang{Ukrainian, Russian, English}

// ParseLang maps a language code or IETF tag ("uk", "ru-RU", "EN") to a
// supported language. It reports false for anything else.
func ParseLang(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch Lang(s) {
	case Ukrainian, Russian, English:
		return Lang(s), true
	case "ua":
		return Ukrainian, true
	}
	return "", false
}

// Valid reports whether l is one of Langs.
func (l Lang) Valid() bool {
	_, ok := ParseLang(string(l))
	return ok && string(l) == strings.ToLower(string(l))
}

// Tag is one of the site's own tags. Tags are keyed by Slug across editions;
// Name is the display name in one language.
type Tag struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// TagCount is a tag with the number of recent articles that carry it.
type TagCount struct {
	Tag
	Count int64 `json:"count"`
}

// Photo is an article's lead picture.
type Photo struct {
	URL     string `json:"url"`
	Caption string `json:"caption,omitempty"`
	Credit  string `json:"credit,omitempty"`
}

// ListItem is an article as announced by a feed or a list page, before its
// page has been read.
type ListItem struct {
	ID          int64     `json:"id"`
	Edition     Lang      `json:"edition"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Published   time.Time `json:"published,omitzero"`
	Description string    `json:"description,omitempty"`
	ImageURL    string    `json:"image_url,omitempty"`
	// Important is set when the item is listed in the most-important feed
	// or marked bold/red on a list page.
	Important bool `json:"important,omitempty"`
}

// Article is one article of one edition, as read from its page.
type Article struct {
	ID        int64     `json:"id"`
	Edition   Lang      `json:"edition"`
	URL       string    `json:"url"`
	Family    string    `json:"family,omitempty"` // news, articles, columns, ...
	Headline  string    `json:"headline"`
	Authors   []string  `json:"authors,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Lead      string    `json:"lead,omitempty"`
	Body      string    `json:"body,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Tags      []Tag     `json:"tags,omitempty"`
	Photo     *Photo    `json:"photo,omitempty"`
	// Alternates maps a language to the URL of the same story in that
	// edition (from hreflang links).
	Alternates map[Lang]string `json:"alternates,omitempty"`
	Important  bool            `json:"important,omitempty"`
	// TagsMissing is set when the page could not be read for tags; the
	// article then reaches only breaking subscribers and /latest.
	TagsMissing bool `json:"tags_missing,omitempty"`
}

// HasTag reports whether the article carries the tag with this slug.
func (a *Article) HasTag(slug string) bool {
	for _, t := range a.Tags {
		if t.Slug == slug {
			return true
		}
	}
	return false
}

// Searchable returns the parts of the article a name subscription (a
// keyword) is matched against: the headline, the lead, the summary and the
// names of its tags; never the body, where a passing mention would bring
// stories the reader did not ask for. A keyword matches when it starts a
// word of these parts, after folding (see package text: SearchWords and
// MatchKeyword).
func (a *Article) Searchable() []string {
	parts := make([]string, 0, 3+len(a.Tags))
	parts = append(parts, a.Headline, a.Lead, a.Summary)
	for _, t := range a.Tags {
		parts = append(parts, t.Name)
	}
	return parts
}

// Chat is a reader: a private chat or a group, with its settings.
type Chat struct {
	ID int64 `json:"id"`
	// Lang is the reader's language: the edition it follows and the
	// language of every reply.
	Lang Lang `json:"lang"`
	// LangChosen is false until the reader picked a language; Lang then
	// comes from Telegram's language_code.
	LangChosen bool     `json:"lang_chosen,omitempty"`
	Breaking   bool     `json:"breaking,omitempty"`
	Tags       []string `json:"tags,omitempty"`     // tag slugs, sorted
	Keywords   []string `json:"keywords,omitempty"` // folded (text.NormalizeKeyword), sorted
	Group      bool     `json:"group,omitempty"`
	Inactive   bool     `json:"inactive,omitempty"` // blocked the bot or left the group
	Strikes    int      `json:"strikes,omitempty"`  // consecutive 403 answers
	// Mutes are folded words and phrases (store.NormalizeMute): a story
	// whose text matches one is not sent to the chat. MutedTags are tag
	// slugs: a story carrying one is not sent. Both sorted, at most
	// MaxMutes together.
	Mutes     []string `json:"mutes,omitempty"`
	MutedTags []string `json:"muted_tags,omitempty"`
	// BreakingUnmuted lets breaking alerts through the mutes.
	BreakingUnmuted bool `json:"breaking_unmuted,omitempty"`
	// Quiet holds the chat's quiet hours (nil: none) and TimeZone the zone
	// they are read in: an IANA name or a fixed offset ("+01:00"); ""
	// is Europe/Kyiv, the site's own zone.
	Quiet    *Quiet    `json:"quiet,omitempty"`
	TimeZone string    `json:"tz,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	// Channel marks a Telegram channel, set up by one of its admins from
	// a private chat; Title is its title or @username, for lists.
	Channel bool   `json:"channel,omitempty"`
	Title   string `json:"title,omitempty"`
	// Channels are, in a private chat, the channels its user set up
	// (at most MaxChannels), and ActiveChannel the one of them that the
	// settings commands change; 0 means the private chat itself.
	Channels      []int64 `json:"channels,omitempty"`
	ActiveChannel int64   `json:"active_channel,omitempty"`
	// Topic is set on the settings of a forum topic (ID a topic ID):
	// its news is posted in that topic of that supergroup. See topic.go.
	Topic *Topic `json:"topic,omitempty"`

	// Digest switches the chat from live news to one daily digest (nil:
	// live news).
	Digest *DailyDigest `json:"digest,omitempty"`
}

// MaxChannels is the most channels one person can set up from a private
// chat.
const MaxChannels = 20

// MaxMutes is the most mutes (words and tags together) a chat may have,
// and MaxMuteRunes the longest mute word or phrase.
const (
	MaxMutes     = 50
	MaxMuteRunes = 64
)

// IsGroupID reports whether a Telegram chat ID belongs to a group, a
// supergroup or a channel (they are negative).
func IsGroupID(id int64) bool { return id < 0 }
