// Package runes classifies and folds runes the way package unicode does,
// with fast paths for the ASCII and Cyrillic text of the site: the source's
// text cleaning and the summary's sentence splitting run them per rune.
package runes

import (
	"unicode"
	"unicode/utf8"
)

// IsLetterOrDigit is unicode.IsLetter(r) || unicode.IsDigit(r), quicker
// for ASCII and Cyrillic.
func IsLetterOrDigit(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9'
	case 0x400 <= r && r <= 0x481, 0x48a <= r && r <= 0x52f: // Cyrillic letters
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// ToLower is unicode.ToLower, quicker for ASCII and the common Cyrillic
// letters.
func ToLower(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	case 0x400 <= r && r <= 0x40f: // Ѐ-Џ
		return r + 0x50
	case 0x410 <= r && r <= 0x42f: // А-Я
		return r + 0x20
	case 0x430 <= r && r <= 0x45f: // а-я, ѐ-џ
		return r
	}
	return unicode.ToLower(r)
}
