package runes

import (
	"testing"
	"unicode"
)

// The fast paths agree with package unicode on every rune.
func TestAgreesWithUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := IsLetterOrDigit(r), unicode.IsLetter(r) || unicode.IsDigit(r); got != want {
			t.Fatalf("IsLetterOrDigit(%U) = %v, want %v", r, got, want)
		}
		if got, want := ToLower(r), unicode.ToLower(r); got != want {
			t.Fatalf("ToLower(%U) = %U, want %U", r, got, want)
		}
	}
}
