package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Collapse trims s and replaces every run of blanks (IsBlank: white space,
// zero-width and control characters) with one space; invalid UTF-8 and
// U+FFFD are dropped. Text that needs nothing done is returned as it is,
// without allocating.
func Collapse(s string) string {
	if isCollapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		if j := plainRun(s, i); j > i {
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if IsBlank(r) {
			space = b.Len() > 0
			continue
		}
		if r == utf8.RuneError {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(s[i-size : i])
	}
	return b.String()
}

// plainRun returns the end of the run of bytes from s[i] that Collapse
// keeps as they are: printable ASCII other than the space, and two-byte
// runes above U+00A0 (Cyrillic among them), none of which is blank.
func plainRun(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case ' ' < c && c < 0x7f:
			i++
		case 0xc2 <= c && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 && (c > 0xc2 || s[i+1] > 0xa0):
			i += 2
		default:
			return i
		}
	}
	return i
}

// isCollapsed reports whether Collapse would return s unchanged: no
// leading, trailing or repeated spaces, no other blanks, valid UTF-8.
func isCollapsed(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); {
		if j := plainRun(s, i); j > i {
			prevSpace = false
			i = j
			continue
		}
		if s[i] == ' ' {
			if prevSpace {
				return false
			}
			prevSpace = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || IsBlank(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return true
}

// HasHidden reports whether s holds what Collapse would drop or turn into
// a space although it is not white space: invalid UTF-8, U+FFFD, a control
// or a zero-width character. Input checks reject such text before
// collapsing it.
func HasHidden(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || IsBlank(r) && !IsSpace(r) {
			return true
		}
	}
	return false
}

// Head returns at most the first n bytes of s, not cutting a rune.
func Head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// CutLowerPrefix reports whether strings.ToLower(s) starts with the
// lower-case p and returns the rest of s after the runes that matched,
// without building the lower-case string.
func CutLowerPrefix(s, p string) (string, bool) {
	for _, pr := range p {
		if s == "" {
			return "", false
		}
		r, size := DecodeRune(s, 0)
		if ToLower(r) != pr {
			return "", false
		}
		s = s[size:]
	}
	return s, true
}

// HasFoldPrefix reports whether s starts with w, runes compared under
// Unicode simple case folding (as strings.EqualFold and (?i) compare them).
func HasFoldPrefix(s, w string) bool {
	for _, wr := range w {
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || !FoldEqual(r, wr) {
			return false
		}
		s = s[size:]
	}
	return true
}

// FoldEqual reports whether a and b are in the same simple case folding
// orbit.
func FoldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}
