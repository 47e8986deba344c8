package text

import (
	"errors"
	"strings"
	"testing"

	"newsbot/internal/news"
)

func TestNormalizeKeyword(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  bool
	}{
		{in: "НАТО", want: "нато"},
		{in: " F-16 ", want: "f-16"},
		{in: "м’ясо", want: "м'ясо"},
		{in: "мʼясо", want: "м'ясо"},
		{in: "U.S.", want: "u.s."},
		{in: "ї", invalid: true},
		{in: "North  Korea", want: "north korea"}, // names of tags not seen yet have spaces
		{in: "new\nline", want: "new line"},
		{in: "'quoted", invalid: true},
		{in: "a\u0301b", want: "áb"}, // NFC composes the accent
		{in: "tab\there", want: "tab here"},
		{in: "a:b", invalid: true},
		{in: "a*", invalid: true},
		{in: strings.Repeat("я", 51), invalid: true},
		{in: strings.Repeat("я", 50), want: strings.Repeat("я", 50)},
	}
	for _, tt := range tests {
		got, err := NormalizeKeyword(tt.in)
		if tt.invalid {
			if !errors.Is(err, news.ErrInvalid) {
				t.Errorf("NormalizeKeyword(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeKeyword(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeSlug(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  bool
	}{
		{in: "russia", want: "russia"},
		{in: " Verkhovna-Rada ", want: "verkhovna-rada"},
		{in: "україна", want: "україна"},
		{in: "u.s._army", want: "u.s._army"},
		{in: "", invalid: true},
		{in: "   ", invalid: true},
		{in: "../../etc", invalid: true},
		{in: "sub:uk:tag", invalid: true},
		{in: "a b", invalid: true},
		{in: "a*", invalid: true},
		{in: "bad\xff", invalid: true},
		{in: strings.Repeat("x", 101), invalid: true},
		{in: strings.Repeat("x", 100), want: strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		got, err := NormalizeSlug(tt.in)
		if tt.invalid {
			if !errors.Is(err, news.ErrInvalid) || !strings.HasPrefix(err.Error(), "text: ") {
				t.Errorf("NormalizeSlug(%q) = %q, %v; want a text: error wrapping ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeSlug(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFoldName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Верховна\n\tРада ", "верховна рада"},
		{"Ёлка", "елка"},
		{"М’ясо", "м'ясо"},
		{"a\u0301b", "áb"},
		{"no\u200bbreak", "no break"},
	}
	for _, tt := range tests {
		if got := FoldName(tt.in); got != tt.want {
			t.Errorf("FoldName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Keywords keep ё (they are stored folded).
	if got := FoldKeyword(" Ёлка "); got != "ёлка" {
		t.Errorf("FoldKeyword(Ёлка) = %q, want ёлка", got)
	}
}
