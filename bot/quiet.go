package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"newsbot/internal/news"
)

// parseQuiet reads "23-07", "23:30-07:00", "23-07 strict"; ok is false for
// anything else. off reports "off".
func parseQuiet(arg string) (q news.Quiet, off, ok bool) {
	fields := strings.Fields(strings.ToLower(arg))
	if len(fields) == 1 && (fields[0] == "off" || fields[0] == "вимк" || fields[0] == "выкл") {
		return news.Quiet{}, true, true
	}
	if len(fields) == 2 && fields[1] == "strict" {
		q.Strict, fields = true, fields[:1]
	}
	if len(fields) != 1 {
		return news.Quiet{}, false, false
	}
	from, to, found := strings.Cut(fields[0], "-")
	f, okF := parseClock(from)
	t, okT := parseClock(to)
	if !found || !okF || !okT || f == t {
		return news.Quiet{}, false, false
	}
	q.From, q.To = f, t
	return q, false, true
}

// parseClock reads "23", "7", "23:30" as minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, hasMin := strings.Cut(s, ":")
	hours, err := strconv.Atoi(h)
	if err != nil || hours < 0 || hours > 24 || len(h) > 2 {
		return 0, false
	}
	mins := 0
	if hasMin {
		if mins, err = strconv.Atoi(m); err != nil || mins < 0 || mins > 59 || len(m) != 2 {
			return 0, false
		}
	}
	if hours == 24 && mins == 0 {
		hours = 0
	}
	if hours > 23 {
		return 0, false
	}
	return hours*60 + mins, true
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func zoneName(c news.Chat) string {
	if c.TimeZone == "" {
		return news.DefaultZone
	}
	return c.TimeZone
}

func (b *Bot) cmdQuiet(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		if q := r.chat.Quiet; q != nil {
			return b.replyKey(ctx, r.chatID, r.lang, b.quietKey(q), "from", clock(q.From), "to", clock(q.To), "zone", zoneName(r.chat))
		}
		return b.replyKey(ctx, r.chatID, r.lang, "quiet.usage", "zone", zoneName(r.chat))
	}
	q, off, ok := parseQuiet(arg)
	if !ok {
		return b.replyKey(ctx, r.chatID, r.lang, "quiet.usage", "zone", zoneName(r.chat))
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error {
		if off {
			c.Quiet = nil
		} else {
			c.Quiet = &q
		}
		return nil
	}); err != nil {
		return err
	}
	if off {
		return b.replyKey(ctx, r.chatID, r.lang, "quiet.off")
	}
	return b.replyKey(ctx, r.chatID, r.lang, b.quietKey(&q), "from", clock(q.From), "to", clock(q.To), "zone", zoneName(r.chat))
}

func (b *Bot) quietKey(q *news.Quiet) string {
	if q.Strict {
		return "quiet.set_strict"
	}
	return "quiet.set"
}

func (b *Bot) cmdTimezone(ctx context.Context, r *request, arg string) error {
	if arg == "" {
		return b.replyKey(ctx, r.chatID, r.lang, "timezone.usage", "zone", zoneName(r.chat))
	}
	name := strings.TrimSpace(arg)
	loc, err := news.LoadZone(name)
	if errors.Is(err, news.ErrInvalid) {
		return b.replyKey(ctx, r.chatID, r.lang, "timezone.unknown", "zone", truncateWords(name, 40))
	}
	if err != nil {
		return err
	}
	if _, err := b.update(ctx, r, func(c *news.Chat) error { c.TimeZone = loc.String(); return nil }); err != nil {
		return err
	}
	now := b.cfg.Now().In(loc).Format("15:04")
	return b.replyKey(ctx, r.chatID, r.lang, "timezone.set", "zone", loc.String(), "time", now)
}
