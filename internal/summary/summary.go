// Package summary turns an article's text into a short extractive summary:
// one to three whole sentences taken from the lead and the body, within a
// character budget. It splits sentences with the abbreviations and initials
// of Ukrainian, Russian and English in mind and never cuts a word.
package summary

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// DefaultBudget is the summary length, in characters, used when the budget
// given to Summarize is not positive.
const DefaultBudget = 600

// maxSentences is the most sentences a summary holds.
const maxSentences = 3

// ellipsis ends a summary that had to be shortened at a word boundary.
const ellipsis = "…"

// Summarize returns one to three sentences from lead and then body, in
// their order, whose total length (in characters, counted as runes) stays
// within budget. Sentences of the body that repeat the lead (even without
// its punctuation) are skipped, as
// are attribution lines ("Джерело: …", "Source: …") and bare section labels
// ("Background:"); a leading "Деталі:" / "Details:" label is dropped from
// its sentence.
//
// When lead and body give nothing, fallback (usually the page description)
// is summarised the same way. When even the first sentence is longer than
// the budget, it is shortened at the last word boundary that fits and ends
// with "…": a word is never cut. The result is "" only when every input is
// empty.
func Summarize(lead, body, fallback string, lang news.Lang, budget int) string {
	if budget <= 0 {
		budget = DefaultBudget
	}
	if s := pick(candidates(lang, lead, body), budget); s != "" {
		return s
	}
	return pick(candidates(lang, fallback), budget)
}

// candidates returns the first usable sentences of the texts (as many as a
// summary can hold), in order, without repeats. The rest of a long body is
// not read.
func candidates(lang news.Lang, texts ...string) []string {
	var out []string
	var seen [maxSentences]uint64 // the keys of out
	for _, text := range texts {
		eachSentence(text, lang, func(s string) bool {
			s, ok := clean(s)
			if !ok {
				return true
			}
			key := dedupeKey(s)
			if slices.Contains(seen[:len(out)], key) {
				return true
			}
			seen[len(out)] = key
			out = append(out, s)
			return len(out) < maxSentences
		})
		if len(out) >= maxSentences {
			break
		}
	}
	return out
}

// dedupeKey reduces a sentence to a hash of its lower-case letters and
// digits (FNV-1a over runes), so that the lead and the body's first
// paragraph match even when one of them lost its quotes.
func dedupeKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); {
		var r rune
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			default:
				continue
			}
			r = rune(c)
		} else {
			var size int
			r, size = text.DecodeRune(s, i)
			i += size
			if !text.IsLetterOrDigit(r) {
				continue
			}
			r = text.ToLower(r)
		}
		h ^= uint64(r)
		h *= 1099511628211
	}
	return h
}

// pick joins the leading sentences that fit the budget; when not even the
// first fits, it shortens that one at a word boundary.
func pick(sentences []string, budget int) string {
	if len(sentences) == 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for i, s := range sentences {
		if i == maxSentences {
			break
		}
		l := utf8.RuneCountInString(s)
		if i > 0 {
			l++ // the joining space
		}
		if n+l > budget {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		n += l
	}
	if b.Len() > 0 {
		return b.String()
	}
	return shorten(sentences[0], budget)
}

// shorten cuts s at the last word boundary such that the result, with an
// ellipsis, is at most budget runes. It returns "" when not even the first
// word fits: a word is never cut.
func shorten(s string, budget int) string {
	limit := budget - utf8.RuneCountInString(ellipsis)
	if limit <= 0 {
		return ""
	}
	cut := -1 // byte index of the last space with at most limit runes before it
	runes := 0
	for i, r := range s {
		if runes > limit {
			break
		}
		if r == ' ' {
			cut = i
		}
		runes++
	}
	if cut <= 0 {
		return ""
	}
	head := strings.TrimRightFunc(s[:cut], func(r rune) bool {
		return unicode.IsPunct(r) && r != ')' && r != '"' && r != '»' || text.IsSpace(r)
	})
	if head == "" {
		return ""
	}
	return head + ellipsis
}

// dropLabels start sentences that only say where a story comes from.
var dropLabels = []string{
	"джерело:", "источник:", "source:", "sources:",
}

// stripLabels start sentences whose rest is worth keeping.
var stripLabels = []string{
	"деталі:", "подробиці:", "подробности:", "детали:", "details:",
	"дослівно:", "дословно:", "quote:", "цитата:",
	"нагадаємо:", "напомним:", "reminder:",
}

// clean drops attribution lines and bare labels and strips a leading label
// from a sentence. It reports false when nothing worth keeping is left.
func clean(s string) (string, bool) {
	s = strings.TrimLeft(s, "•–—- ")
	// The labels are compared with strings.ToLower(head), without
	// allocating it.
	head := text.Head(s, 48)
	for _, l := range dropLabels {
		if lowerPrefix(head, l) {
			return "", false
		}
	}
	for _, l := range stripLabels {
		if lowerPrefix(head, l) {
			s = strings.TrimSpace(s[len(l):])
			break
		}
	}
	if strings.HasSuffix(s, ":") && !strings.Contains(s, " ") || !text.HasLetterOrDigit(s) {
		// "Background:" or "Передісторія:" alone.
		return "", false
	}
	if strings.HasSuffix(s, ":") && utf8.RuneCountInString(s) < 40 {
		// "Що передбачає документ:" introduces a list, not a fact.
		return "", false
	}
	return s, true
}

// lowerPrefix reports whether strings.ToLower(s) starts with the
// lower-case p.
func lowerPrefix(s, p string) bool {
	_, ok := text.CutLowerPrefix(s, p)
	return ok
}
