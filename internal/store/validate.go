package store

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"newsbot/internal/news"
)

// Limits on user- and site-supplied strings that end up in keys.
const (
	maxSlugBytes     = 100
	minKeywordRunes  = 2
	maxKeywordRunes  = 50
	maxTagNameRunes  = 120
	maxQueryRunes    = 120
	maxKeyNameBytes  = 200
	maxChatTags      = 500
	maxChatKeywords  = 200
	maxMarkSeenBatch = 10000
)

// NormalizeSlug returns the canonical form of a tag slug: trimmed and
// lower-cased. A slug is 1 to 100 bytes of letters, digits, '-', '_' and '.';
// anything else (spaces, control characters, ':', '*', …) is rejected with an
// error wrapping news.ErrInvalid.
func NormalizeSlug(slug string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(slug))
	if s == "" {
		return "", fmt.Errorf("store: empty tag slug: %w", news.ErrInvalid)
	}
	if len(s) > maxSlugBytes {
		return "", fmt.Errorf("store: tag slug longer than %d bytes: %w", maxSlugBytes, news.ErrInvalid)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("store: tag slug is not UTF-8: %w", news.ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			continue
		}
		return "", fmt.Errorf("store: tag slug %q has a forbidden character %q: %w", clip(s), r, news.ErrInvalid)
	}
	return s, nil
}

// NormalizeKeyword returns the canonical form of a keyword: trimmed,
// NFC-normalized, lower-cased, with the apostrophe variants (’ ʼ `) written
// as ', inner white space as one space. A keyword is 2 to 50 letters or
// digits, possibly joined by '-', '\”, '.' or spaces ("f-16", "м'ясо",
// "north korea": a tag name followed before the site used it); anything else is rejected with an
// error wrapping news.ErrInvalid. Whoever matches keywords against article
// text should fold the text the same way (FoldText).
func NormalizeKeyword(kw string) (string, error) {
	s := strings.Join(strings.Fields(FoldText(kw)), " ")
	if s == "" {
		return "", fmt.Errorf("store: empty keyword: %w", news.ErrInvalid)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("store: keyword is not UTF-8: %w", news.ErrInvalid)
	}
	n := utf8.RuneCountInString(s)
	if n < minKeywordRunes || n > maxKeywordRunes {
		return "", fmt.Errorf("store: keyword must have %d to %d characters: %w", minKeywordRunes, maxKeywordRunes, news.ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '\'' || r == '.' || r == ' ' {
			continue
		}
		return "", fmt.Errorf("store: keyword %q has a forbidden character %q: %w", clip(s), r, news.ErrInvalid)
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) {
		return "", fmt.Errorf("store: keyword %q must start with a letter or a digit: %w", clip(s), news.ErrInvalid)
	}
	return s, nil
}

// FoldText is the case- and form-insensitive version of s used to compare
// keywords and tag names: NFC, lower case, apostrophe variants as '.
func FoldText(s string) string {
	s = norm.NFC.String(s)
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '’', 'ʼ', '`', '‘':
			return '\''
		}
		return r
	}, s)
}

// foldName folds a tag name or a search query for comparison: FoldText,
// trimmed, inner white space collapsed to one space, and ё as е.
func foldName(s string) string {
	s = FoldText(s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "ё", "е")
}

// cleanTagName makes a display name safe to store: no control characters,
// white space collapsed, at most maxTagNameRunes runes.
func cleanTagName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, name)
	name = norm.NFC.String(strings.Join(strings.Fields(name), " "))
	if utf8.RuneCountInString(name) > maxTagNameRunes {
		name = string([]rune(name)[:maxTagNameRunes])
	}
	return name
}

// checkEdition rejects anything but "uk", "ru" and "en".
func checkEdition(ed news.Lang) error {
	if !ed.Valid() {
		return fmt.Errorf("store: unknown edition %q: %w", clip(string(ed)), news.ErrInvalid)
	}
	return nil
}

// checkChatID rejects the zero ID (Telegram never uses it).
func checkChatID(id int64) error {
	if id == 0 {
		return fmt.Errorf("store: chat ID 0: %w", news.ErrInvalid)
	}
	return nil
}

// checkKeyName validates a caller-supplied key or name (SetOnce, SetMeta):
// 1 to 200 bytes of printable non-space UTF-8.
func checkKeyName(what, s string) error {
	if s == "" || len(s) > maxKeyNameBytes || !utf8.ValidString(s) {
		return fmt.Errorf("store: %s must be 1 to %d bytes of UTF-8: %w", what, maxKeyNameBytes, news.ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("store: %s %q has a forbidden character %q: %w", what, clip(s), r, news.ErrInvalid)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
