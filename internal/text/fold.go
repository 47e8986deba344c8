package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"newsbot/internal/news"
)

// Limits of slugs and keywords.
const (
	maxSlugBytes    = 100
	minKeywordRunes = 2
	maxKeywordRunes = 50
)

// Fold is the case- and form-insensitive version of s used to compare
// keywords with text: NFC, lower case, the apostrophe variants (’ ʼ ` ‘)
// as '.
func Fold(s string) string {
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

// FoldKeyword is Fold with blanks collapsed: the canonical form of a
// keyword, before NormalizeKeyword checks it.
func FoldKeyword(s string) string { return Collapse(Fold(s)) }

// FoldName folds a tag name or a reader's query for comparison:
// FoldKeyword, and ё as е.
func FoldName(s string) string {
	return strings.ReplaceAll(FoldKeyword(s), "ё", "е")
}

// NormalizeSlug returns the canonical form of a tag slug: trimmed and
// lower-cased. A slug is 1 to 100 bytes of letters, digits, '-', '_' and '.';
// anything else (spaces, control characters, ':', '*', '/', …) is rejected
// with an error wrapping news.ErrInvalid.
func NormalizeSlug(slug string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(slug))
	if s == "" {
		return "", fmt.Errorf("text: empty tag slug: %w", news.ErrInvalid)
	}
	if len(s) > maxSlugBytes {
		return "", fmt.Errorf("text: tag slug longer than %d bytes: %w", maxSlugBytes, news.ErrInvalid)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("text: tag slug is not UTF-8: %w", news.ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			continue
		}
		return "", fmt.Errorf("text: tag slug %q has a forbidden character %q: %w", Clip(s), r, news.ErrInvalid)
	}
	return s, nil
}

// NormalizeKeyword returns the canonical form of a keyword (FoldKeyword):
// trimmed, NFC-normalized, lower-cased, with the apostrophe variants
// written as ', inner white space as one space. A keyword is 2 to 50
// letters or digits, possibly joined by '-', the apostrophe, '.' or spaces ("f-16",
// "м'ясо", "north korea": a tag name followed before the site used it), and
// starts with a letter or a digit; anything else, invalid UTF-8 and control
// characters other than white space included, is rejected with an error
// wrapping news.ErrInvalid. Text is matched against keywords with
// MatchKeyword on its Words.
func NormalizeKeyword(kw string) (string, error) {
	if HasHidden(kw) {
		return "", fmt.Errorf("text: keyword %q has invalid UTF-8, a control or a zero-width character: %w", Clip(kw), news.ErrInvalid)
	}
	s := FoldKeyword(kw)
	if s == "" {
		return "", fmt.Errorf("text: empty keyword: %w", news.ErrInvalid)
	}
	n := utf8.RuneCountInString(s)
	if n < minKeywordRunes || n > maxKeywordRunes {
		return "", fmt.Errorf("text: keyword must have %d to %d characters: %w", minKeywordRunes, maxKeywordRunes, news.ErrInvalid)
	}
	for _, r := range s {
		if r == ' ' || IsWordRune(r) {
			continue
		}
		return "", fmt.Errorf("text: keyword %q has a forbidden character %q: %w", Clip(s), r, news.ErrInvalid)
	}
	if first, _ := utf8.DecodeRuneInString(s); !IsLetterOrDigit(first) {
		return "", fmt.Errorf("text: keyword %q must start with a letter or a digit: %w", Clip(s), news.ErrInvalid)
	}
	return s, nil
}

// Clip shortens s to 40 runes and an ellipsis, for an error message.
func Clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
