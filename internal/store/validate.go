package store

import (
	"fmt"

	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// Limits on user- and site-supplied strings that end up in keys.
const (
	maxTagNameRunes  = 120
	maxQueryRunes    = 120
	maxKeyNameBytes  = 200
	maxChatTags      = 500
	maxChatKeywords  = 200
	maxMarkSeenBatch = 10000
)

// normalizeSlug is text.NormalizeSlug, its error in the store's words.
func normalizeSlug(slug string) (string, error) {
	s, err := text.NormalizeSlug(slug)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// normalizeKeyword is text.NormalizeKeyword, its error in the store's
// words.
func normalizeKeyword(kw string) (string, error) {
	s, err := text.NormalizeKeyword(kw)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// cleanTagName makes a display name safe to store: blanks collapsed
// (text.Collapse), NFC, at most maxTagNameRunes runes.
func cleanTagName(name string) string {
	name = norm.NFC.String(text.Collapse(name))
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
		if text.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("store: %s %q has a forbidden character %q: %w", what, clip(s), r, news.ErrInvalid)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string { return text.Clip(s) }
