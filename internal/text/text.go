// Package text is newsbot's one vocabulary for text: which runes are
// spaces, letters and word characters, how text is collapsed, folded and
// compared, what a tag slug and a keyword are, and how a keyword matches the
// words of a text. The source's text cleaning, the summary's sentence
// splitting, the store's validation and tag search, the bot's input checks
// and the delivery's keyword matching all use it, so they cannot disagree.
// Which parts of an article are matched is a domain rule and lives in
// package news (Article.Searchable).
//
// The hot helpers have fast paths for ASCII and Cyrillic; a test holds every
// one of them to package unicode over all code points.
//
// Decisions, where the copies this package replaces disagreed:
//
//   - A space is what Unicode's White_Space property says (unicode.IsSpace,
//     strings.Fields, strings.TrimSpace): IsSpace. No-break spaces (U+00A0,
//     U+202F) are spaces; zero-width characters are not.
//   - Collapse, which cleans every text that comes from outside, turns each
//     run of blanks into one space: White_Space, the zero-width characters
//     U+200B, U+200C, U+200D, U+2060 and U+FEFF (IsZeroWidth; one copy knew
//     all five, another only U+200B and U+FEFF) and control characters (one
//     copy dropped them, another made them spaces). An invisible character
//     thus never glues two words into one: the site's pages carry U+200B
//     between words, and Unicode's word boundaries (UAX #29) break at
//     controls. The price is that an emoji sequence joined by U+200D comes
//     apart into its emoji, which news text can live with. Invalid UTF-8
//     and U+FFFD are dropped.
//   - A word (Words) is a run of letters, digits, non-spacing marks and the
//     joiners '-', the apostrophe and '.': the characters a keyword may hold, so that
//     "f-16", "м'ясо" and "u.s." are one word each, and a stress mark
//     (U+0301) does not cut a word in two. Tag search split names at
//     anything but letters, digits and the apostrophe, which cut "за́мок" at its
//     stress mark and ranked "16" as a word of "F-16".
//   - Keywords fold with Fold (NFC, lower case, apostrophe variants as '),
//     tag names and queries with FoldName, which also collapses spaces and
//     reads ё as е. Keywords keep ё: they are stored folded, and a change
//     would orphan the subscriptions already stored.
//   - A slug is 1 to 100 bytes of letters, digits, '-', '_' and '.', lower
//     case (NormalizeSlug). The bot accepted only ASCII letters, digits, '-'
//     and '_' in button data, so a button for a tag with a Cyrillic slug did
//     nothing; the 64-byte limit of button data is the bot's own.
package text

import (
	"unicode"
	"unicode/utf8"
)

// IsSpace reports whether r is white space by Unicode's White_Space
// property; it is unicode.IsSpace, quicker below U+1680.
func IsSpace(r rune) bool {
	if uint32(r) < 0x1680 { // below U+1680 only ASCII and Latin-1 have white space
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', '\u0085', '\u00a0':
			return true
		}
		return false
	}
	return unicode.IsSpace(r)
}

// IsZeroWidth reports whether r is one of the invisible characters that
// pages carry between or inside words: zero-width space, non-joiner and
// joiner, word joiner, and the zero-width no-break space (byte order mark).
func IsZeroWidth(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}

// IsBlank reports whether Collapse turns r into a space: white space, a
// zero-width character or a control character.
func IsBlank(r rune) bool {
	switch {
	case uint32(r) <= ' ', 0x7f <= r && r <= 0xa0: // ASCII controls and space, DEL, C1 controls, NBSP
		return true
	case uint32(r) < 0x1680:
		return false
	}
	return unicode.IsSpace(r) || IsZeroWidth(r)
}

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

// IsWordRune reports whether r belongs to a word (see Words): a letter, a
// digit, a non-spacing mark, '-', the apostrophe or '.'.
func IsWordRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '\'' || r == '.'
	case 0x400 <= r && r <= 0x481, 0x483 <= r && r <= 0x487, 0x48a <= r && r <= 0x52f: // Cyrillic letters and combining marks
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
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

// DecodeRune is utf8.DecodeRuneInString(s[i:]), with ASCII and two-byte
// sequences (Latin-1, Cyrillic) decoded inline.
func DecodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	if 0xc2 <= c && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
		return rune(c&0x1f)<<6 | rune(s[i+1]&0x3f), 2
	}
	return utf8.DecodeRuneInString(s[i:])
}

// HasLetterOrDigit reports whether s holds a letter or a digit.
func HasLetterOrDigit(s string) bool {
	for i := 0; i < len(s); {
		r, size := DecodeRune(s, i)
		if IsLetterOrDigit(r) {
			return true
		}
		i += size
	}
	return false
}
