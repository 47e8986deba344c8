package bot

import (
	"context"
	"strings"

	"newsbot/internal/news"
)

// parseDigest reads "08:00", "8", "off"; ok is false for anything else.
func parseDigest(arg string) (at int, off, ok bool) {
	switch s := strings.ToLower(strings.TrimSpace(arg)); s {
	case "off", "вимк", "выкл":
		return 0, true, true
	default:
		at, ok = parseClock(s)
		return at, false, ok
	}
}

// cmdDigest shows or sets the chat's daily digest: /digest 08:00 switches
// it from live news to one digest a day at that time of its zone, /digest
// off back to live news.
func (b *Bot) cmdDigest(ctx context.Context, r *request, arg string) error {
	zone := zoneName(r.chat)
	if arg == "" {
		if d := r.chat.Digest; d != nil {
			return b.replyKey(ctx, r.chatID, r.lang, "digest.show", "at", clock(d.At), "zone", zone)
		}
		return b.replyKey(ctx, r.chatID, r.lang, "digest.usage", "zone", zone)
	}
	at, off, ok := parseDigest(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "digest.usage", "zone", zone)
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		if off {
			c.Digest = nil
		} else {
			c.Digest = &news.DailyDigest{At: at}
		}
		return nil
	}); err != nil {
		return err
	}
	if off {
		return b.replyKey(ctx, r.chatID, r.lang, "digest.off")
	}
	return b.replyKey(ctx, r.chatID, r.lang, "digest.set", "at", clock(at), "zone", zone)
}

// scheduleLines are the /mysubs lines of the chat's quiet hours and daily
// digest, when set.
func (b *Bot) scheduleLines(r *request) []string {
	var out []string
	zone := zoneName(r.chat)
	if q := r.chat.Quiet; q != nil {
		key := "mysubs.quiet"
		if q.Strict {
			key = "mysubs.quiet_strict"
		}
		out = append(out, b.cat.T(r.lang, key, "from", clock(q.From), "to", clock(q.To), "zone", zone))
	}
	if d := r.chat.Digest; d != nil {
		out = append(out, b.cat.T(r.lang, "mysubs.digest", "at", clock(d.At), "zone", zone))
	}
	return out
}
