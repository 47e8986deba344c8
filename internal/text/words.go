package text

import "strings"

// Words returns the words of s: the runs of IsWordRune runes. Callers
// fold s first (Fold) when the words are to be matched.
func Words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !IsWordRune(r) })
}

// SearchWords returns the folded words of the parts of a text, as
// MatchKeyword takes them.
func SearchWords(parts ...string) []string {
	return Words(Fold(strings.Join(parts, " ")))
}

// MatchKeyword reports whether a folded keyword starts one of the words:
// a keyword matches at the start of a word, so that a stem ("зеленськ")
// finds its inflected forms, and never inside one ("ato" does not match
// "nato"). A keyword of several words ("north korea") matches consecutive
// words, each at its start.
//
// It allocates nothing: the fan-out runs it for every keyword followed in
// an edition, on every article.
func MatchKeyword(words []string, kw string) bool {
	var first string
	for p := range strings.FieldsSeq(kw) {
		first = p
		break
	}
	if first == "" {
		return false
	}
	for i, w := range words {
		if strings.HasPrefix(w, first) && matchFrom(words[i:], kw) {
			return true
		}
	}
	return false
}

// matchFrom reports whether the words of kw start the words, in order.
func matchFrom(words []string, kw string) bool {
	j := 0
	for p := range strings.FieldsSeq(kw) {
		if j == len(words) || !strings.HasPrefix(words[j], p) {
			return false
		}
		j++
	}
	return true
}

// HasWordPrefix reports whether s or one of the words starts with p: how a
// query that is not a whole name still finds it ("рада" finds "Верховна
// Рада").
func HasWordPrefix(s string, words []string, p string) bool {
	if strings.HasPrefix(s, p) {
		return true
	}
	for _, w := range words {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}
