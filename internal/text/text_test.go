package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// zeroWidth are the code points IsZeroWidth names, by their definition.
var zeroWidth = map[rune]bool{0x200b: true, 0x200c: true, 0x200d: true, 0x2060: true, 0xfeff: true}

// Every helper with a fast path agrees with package unicode (and the
// string helpers with package strings) on every code point.
func TestAgreesWithUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := IsLetterOrDigit(r), unicode.IsLetter(r) || unicode.IsDigit(r); got != want {
			t.Fatalf("IsLetterOrDigit(%U) = %v, want %v", r, got, want)
		}
		if got, want := ToLower(r), unicode.ToLower(r); got != want {
			t.Fatalf("ToLower(%U) = %U, want %U", r, got, want)
		}
		if got, want := IsSpace(r), unicode.IsSpace(r); got != want {
			t.Fatalf("IsSpace(%U) = %v, want %v", r, got, want)
		}
		if got, want := IsZeroWidth(r), zeroWidth[r]; got != want {
			t.Fatalf("IsZeroWidth(%U) = %v, want %v", r, got, want)
		}
		if got, want := IsBlank(r), unicode.IsSpace(r) || unicode.IsControl(r) || zeroWidth[r]; got != want {
			t.Fatalf("IsBlank(%U) = %v, want %v", r, got, want)
		}
		wantWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '\'' || r == '.'
		if got := IsWordRune(r); got != wantWord {
			t.Fatalf("IsWordRune(%U) = %v, want %v", r, got, wantWord)
		}
		if !utf8.ValidRune(r) {
			continue // surrogates: no UTF-8 form
		}
		s := string(r)
		if got, size := DecodeRune("a"+s+"b", 1); got != r || size != len(s) {
			t.Fatalf("DecodeRune(%U) = %U, %d", r, got, size)
		}
		if got, want := HasLetterOrDigit(" "+s+"-"), unicode.IsLetter(r) || unicode.IsDigit(r); got != want {
			t.Fatalf("HasLetterOrDigit(%U) = %v, want %v", r, got, want)
		}
		if got, want := Collapse(" a"+s+s+"b "), collapseRef(" a"+s+s+"b "); got != want {
			t.Fatalf("Collapse(%U) = %q, want %q", r, got, want)
		}
		lower := string(unicode.ToLower(r))
		if rest, ok := CutLowerPrefix(s+"x", lower); !ok || rest != "x" {
			t.Fatalf("CutLowerPrefix(%U, %U) = %q, %v", r, unicode.ToLower(r), rest, ok)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if !HasFoldPrefix(s+"x", string(f)) || !strings.EqualFold(s, string(f)) {
				t.Fatalf("HasFoldPrefix(%U, %U) = false, EqualFold says true", r, f)
			}
		}
		if got, want := Words("a"+s+"b"), wordsRef("a"+s+"b"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("Words(a%Ub) = %q, want %q", r, got, want)
		}
	}
}

// collapseRef is Collapse by its definition, without the fast paths.
func collapseRef(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || zeroWidth[r]:
			b.WriteByte(' ')
		case r != utf8.RuneError:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// wordsRef is Words by its definition.
func wordsRef(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '\'' || r == '.')
	})
}

func TestCollapse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  a \t b\n", "a b"},
		{"no\u00a0break\u200bzero", "no break zero"},
		{"Київ\u2009—\u2009столиця", "Київ — столиця"},
		// A control character is a blank, as for the store's tag names
		// ("a\x00b" → "a b"); the source's copy dropped it ("ctrlchar").
		{"ctrl\x01char", "ctrl char"},
		{"bad\xffutf\ufffd", "badutf"},
		{"joined\u2060word\ufeff", "joined word"},
		{"\u200b\u200c\u200d", ""},
		{"a\u0085b\u2028c\u3000d", "a b c d"},
	}
	for _, tt := range tests {
		if got := Collapse(tt.in); got != tt.want {
			t.Errorf("Collapse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCollapseKeepsCleanText(t *testing.T) {
	s := "Зеленський підписав закон про F-16."
	if allocs := testing.AllocsPerRun(100, func() { _ = Collapse(s) }); allocs != 0 {
		t.Errorf("Collapse of collapsed text allocates %v times", allocs)
	}
}

func TestHeadAndPrefixes(t *testing.T) {
	if got := Head("Київ", 3); got != "К" {
		t.Errorf("Head(Київ, 3) = %q, want К", got)
	}
	if got := Head("abc", 5); got != "abc" {
		t.Errorf("Head(abc, 5) = %q", got)
	}
	if rest, ok := CutLowerPrefix("ДЖЕРЕЛО: УП", "джерело:"); !ok || rest != " УП" {
		t.Errorf("CutLowerPrefix = %q, %v", rest, ok)
	}
	if _, ok := CutLowerPrefix("Дже", "джерело"); ok {
		t.Error("CutLowerPrefix of a shorter string succeeded")
	}
	if !HasFoldPrefix("СЬОГОДНІ, 15:26", "сьогодні") || HasFoldPrefix("вчо", "вчора") {
		t.Error("HasFoldPrefix")
	}
	if !HasHidden("a\x00b") || !HasHidden("a\u200bb") || !HasHidden("a\xffb") || HasHidden("a\u00a0b\tc") {
		t.Error("HasHidden")
	}
}
