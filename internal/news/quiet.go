package news

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Quiet is a chat's quiet hours: from From to To, in minutes after
// midnight of the chat's zone (To < From spans midnight; From == To is
// never quiet). Ordinary news is held during them and arrives as one
// digest at their end; breaking alerts ring unless Strict.
type Quiet struct {
	From   int  `json:"from"`
	To     int  `json:"to"`
	Strict bool `json:"strict,omitempty"`
}

// DefaultZone is the zone of a chat that has not chosen one.
const DefaultZone = "Europe/Kyiv"

// LoadZone returns the location of a zone name as Chat.TimeZone holds it:
// "" (DefaultZone), an IANA name or a UTC offset ("+1", "-03:30",
// "UTC+2"). It returns an error wrapping ErrInvalid for anything else.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultZone
	}
	if off, ok := parseOffset(name); ok {
		return time.FixedZone(FormatOffset(off), off), nil
	}
	if strings.ContainsAny(name, " .\\") || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("news: unknown time zone %q: %w", name, ErrInvalid)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("news: unknown time zone %q: %w", name, ErrInvalid)
	}
	return loc, nil
}

// parseOffset reads "+1", "-3:30", "+0530", "UTC+2" as seconds east of UTC.
func parseOffset(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(s), "UTC"), "GMT")
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign, rest := 1, s[1:]
	if s[0] == '-' {
		sign = -1
	}
	h, m, found := strings.Cut(rest, ":")
	if !found && len(rest) == 4 {
		h, m = rest[:2], rest[2:]
	}
	hours, err := strconv.Atoi(h)
	if err != nil || hours > 14 || len(h) > 2 {
		return 0, false
	}
	mins := 0
	if m != "" {
		if mins, err = strconv.Atoi(m); err != nil || mins >= 60 || len(m) != 2 {
			return 0, false
		}
	}
	return sign * (hours*3600 + mins*60), true
}

// FormatOffset writes seconds east of UTC as "+01:00".
func FormatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

// QuietUntil reports whether t falls in the chat's quiet hours and, if so,
// when they end. DST is the zone's (time.Date normalizes a missing or
// doubled hour).
func (c Chat) QuietUntil(t time.Time) (time.Time, bool) {
	q := c.Quiet
	if q == nil || q.From == q.To {
		return time.Time{}, false
	}
	loc := c.zone()
	lt := t.In(loc)
	min := lt.Hour()*60 + lt.Minute()
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	at := func(d, m int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day()+d, m/60, m%60, 0, 0, loc)
	}
	switch {
	case q.From < q.To && min >= q.From && min < q.To:
		return at(0, q.To), true
	case q.From > q.To && min >= q.From:
		return at(1, q.To), true
	case q.From > q.To && min < q.To:
		return at(0, q.To), true
	}
	return time.Time{}, false
}

// zone is the chat's location; Europe/Kyiv when its zone cannot be read.
func (c Chat) zone() *time.Location {
	loc, err := LoadZone(c.TimeZone)
	if err != nil {
		loc, _ = LoadZone("")
	}
	return loc
}

// DailyDigest is a chat's daily digest: instead of live news, the chat
// gets the stories queued for it once a day, at At minutes after midnight
// of its zone.
type DailyDigest struct {
	At int `json:"at"`
}

// DigestTimes returns the last digest time at or before t and the next one
// after it (nil Digest: zero times). DST is the zone's.
func (c Chat) DigestTimes(t time.Time) (prev, next time.Time) {
	if c.Digest == nil {
		return time.Time{}, time.Time{}
	}
	loc := c.zone()
	lt := t.In(loc)
	at := func(d int) time.Time {
		return time.Date(lt.Year(), lt.Month(), lt.Day()+d, c.Digest.At/60, c.Digest.At%60, 0, 0, loc)
	}
	prev, next = at(0), at(1)
	if prev.After(t) {
		prev, next = at(-1), prev
	}
	return prev, next
}

// Hold is what becomes of a story queued for a chat that holds news.
type Hold int

const (
	Live        Hold = iota // sent as it comes
	Held                    // waits (for the end of the quiet hours or the next digest)
	QuietDigest             // held through quiet hours that have ended: due in their digest
	DailyDue                // held for a digest time that has come: due in the daily digest
)

// HoldAt says what becomes, at now, of a story queued for the chat at enq,
// and for Held until when. In digest mode an ordinary story waits for the
// next digest time after it was queued; in quiet hours an ordinary story,
// or a breaking one when they are strict, waits for their end (and a
// story held through quiet hours that have ended is due in their digest,
// unless new quiet hours have begun since).
func (c Chat) HoldAt(enq, now time.Time, breaking bool) (Hold, time.Time) {
	if !breaking && c.Digest != nil {
		prev, next := c.DigestTimes(now)
		if enq.Before(prev) {
			return DailyDue, time.Time{}
		}
		return Held, next
	}
	holds := func(quiet bool) bool { return quiet && (!breaking || c.Quiet.Strict) }
	if end, quiet := c.QuietUntil(now); holds(quiet) {
		return Held, end
	}
	if end, quiet := c.QuietUntil(enq); holds(quiet) && !end.After(now) {
		return QuietDigest, time.Time{}
	}
	return Live, time.Time{}
}
