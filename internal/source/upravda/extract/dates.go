package extract

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"newsbot/internal/source/upravda/site"
	"newsbot/internal/text"
)

// kyiv is the site's time zone, used when a page gives a time without an
// offset.
var kyiv = site.Kyiv()

// isoLayouts are the machine-readable date forms seen in JSON-LD and meta
// tags, with an offset first.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04-07:00",
	"2006-01-02 15:04:05-07:00",
	"2006-01-02 15:04:05 -0700",
	time.RFC1123Z,
	time.RFC1123,
}

// localLayouts are the same forms without an offset: Kyiv time.
var localLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseISOTime parses a machine-readable date; a date without an offset is
// Kyiv time. It reports false for anything else.
func parseISOTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, plausible(t)
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, kyiv); err == nil {
			return t, plausible(t)
		}
	}
	return time.Time{}, false
}

// plausible rejects dates no article of the site can carry.
func plausible(t time.Time) bool {
	return t.Year() >= 1999 && t.Year() <= 2200
}

// months maps a lower-case month word of uk, ru or en (genitive,
// nominative or English abbreviation) to its month.
var months = func() map[string]time.Month {
	m := make(map[string]time.Month)
	lists := [][]string{
		{"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"},
		{"січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень", "жовтень", "листопад", "грудень"},
		{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
		{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
		{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"},
		{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
	}
	for _, l := range lists {
		for i, w := range l {
			m[w] = time.Month(i + 1)
		}
	}
	m["sept"] = time.September
	return m
}()

// Visible date patterns: "24 жовтня, 15:26", "Неділя, 13 квітня 2025, 10:59",
// "Monday, 28 April 2025, 20:01", "April 28, 2025, 20:01", "Сьогодні, 15:26".
var (
	dayMonthRe = regexp.MustCompile(`(\d{1,2})\s+(\pL+)\.?,?\s*(?:(\d{4})\s*(?:р\.|г\.|року|года)?,?\s*)?(?:о|в|at)?\s*(\d{1,2}):(\d{2})`)
	monthDayRe = regexp.MustCompile(`(\pL+)\.?\s+(\d{1,2}),?\s*(?:(\d{4}),?\s*)?(?:at)?\s*(\d{1,2}):(\d{2})`)
	relativeRe = regexp.MustCompile(`(?i)(сьогодні|сегодня|today|вчора|вчера|yesterday)\s*,?\s*(?:о|в|at)?\s*(\d{1,2}):(\d{2})`)
)

// relativeWords are the words a match of relativeRe starts with.
var relativeWords = []string{"сьогодні", "сегодня", "today", "вчора", "вчера", "yesterday"}

// relativeStarts holds every rune that (?i) matches to the first letter of
// one of relativeWords (its case folding orbit).
var relativeStarts = func() []rune {
	var out []rune
	for _, w := range relativeWords {
		r, _ := utf8.DecodeRuneInString(w)
		for f := r; ; {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
			if f = unicode.SimpleFold(f); f == r {
				break
			}
		}
	}
	return out
}()

// findRelative is relativeRe.FindStringSubmatch(s) when ref is set (nil
// otherwise). The expression, case-insensitive and without a literal
// prefix, is tried at every position of the text; it is run only when one
// of its words is there, compared as (?i) compares them.
func findRelative(s string, ref time.Time) []string {
	if ref.IsZero() {
		return nil
	}
	for i, r := range s {
		if !slices.Contains(relativeStarts, r) {
			continue
		}
		for _, w := range relativeWords {
			if text.HasFoldPrefix(s[i:], w) {
				return relativeRe.FindStringSubmatch(s)
			}
		}
	}
	return nil
}

// parseVisibleDate reads a date as the site prints it, in Kyiv time. When
// the text has no year, the year is the one that puts the date closest to
// ref (the date in the article's URL, or the time of reading); without a
// ref such a date is not read. "Today"/"yesterday" are relative to ref.
func parseVisibleDate(visible string, ref time.Time) (time.Time, bool) {
	s := strings.ToLower(text.Collapse(visible))
	// Every pattern holds a time ("15:26"): without a digit there is no
	// date, and no match of dayMonthRe starts before the first digit.
	digit := strings.IndexAny(s, "0123456789")
	if digit < 0 || len(s) > 400 {
		return time.Time{}, false
	}
	if m := findRelative(s, ref); m != nil {
		hh, mm, ok := site.Clock(m[2], m[3])
		if !ok {
			return time.Time{}, false
		}
		day := ref.In(kyiv)
		if strings.HasPrefix(m[1], "вч") || m[1] == "yesterday" {
			day = day.AddDate(0, 0, -1)
		}
		return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, kyiv), true
	}
	for _, m := range dayMonthRe.FindAllStringSubmatch(s[digit:], 4) {
		if t, ok := buildDate(m[1], m[2], m[3], m[4], m[5], ref); ok {
			return t, true
		}
	}
	for _, m := range monthDayRe.FindAllStringSubmatch(s, 4) {
		if t, ok := buildDate(m[2], m[1], m[3], m[4], m[5], ref); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func buildDate(day, month, year, h, m string, ref time.Time) (time.Time, bool) {
	mon, ok := months[month]
	if !ok {
		return time.Time{}, false
	}
	d, err := strconv.Atoi(day)
	if err != nil || d < 1 || d > 31 {
		return time.Time{}, false
	}
	hh, mm, ok := site.Clock(h, m)
	if !ok {
		return time.Time{}, false
	}
	if year != "" {
		y, _ := strconv.Atoi(year)
		t := time.Date(y, mon, d, hh, mm, 0, 0, kyiv)
		return t, plausible(t) && t.Day() == d
	}
	if ref.IsZero() {
		return time.Time{}, false
	}
	ref = ref.In(kyiv)
	var best time.Time
	for y := ref.Year() - 1; y <= ref.Year()+1; y++ {
		t := time.Date(y, mon, d, hh, mm, 0, 0, kyiv)
		if t.Day() != d {
			continue // 29 February in a common year
		}
		if best.IsZero() || absDur(t.Sub(ref)) < absDur(best.Sub(ref)) {
			best = t
		}
	}
	return best, !best.IsZero()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
