package summary

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// Sentences splits text into sentences. Paragraph breaks (newlines) always
// end a sentence. Inside a paragraph a sentence ends at ".", "!", "?" or "…"
// (with any closing quotes or brackets after it) when whitespace and the
// start of a new sentence follow: a capital letter, a digit, an opening
// quote or a bullet. A dash continues the sentence ("«Так!» – сказав він.").
// A full stop does not end a sentence after an abbreviation of the language ("ст.", "м.", "вул.", "г.", "Mr.", "U.S.") or after an
// initial ("В. Зеленський"). Abbreviations that often end a sentence
// ("т.д.", "млн.", "etc.") end one only when a capitalised word follows.
//
// Blanks inside each sentence are collapsed (text.Collapse); empty sentences are dropped.
// The result is nil for text without letters or digits.
func Sentences(text string, lang news.Lang) []string {
	var out []string
	eachSentence(text, lang, func(s string) bool {
		out = append(out, s)
		return true
	})
	return out
}

// eachSentence calls yield with each sentence of src, as Sentences splits
// them, until yield returns false. Paragraphs after that are not read.
func eachSentence(src string, lang news.Lang, yield func(string) bool) {
	abbr := abbreviationsFor(lang)
	for para := range strings.SplitSeq(src, "\n") {
		para = text.Collapse(para)
		if para == "" {
			continue
		}
		if !splitParagraph(para, abbr, yield) {
			return
		}
	}
}

// splitParagraph yields the sentences of one paragraph (whitespace already
// collapsed to single spaces); it reports false when yield asked to stop.
func splitParagraph(p string, abbr abbreviations, yield func(string) bool) bool {
	start := 0
	i := 0
	for i < len(p) {
		// Terminators are ASCII or start with the byte 0xe2 ("…"), which
		// never occurs inside another rune: the bytes in between need no
		// decoding.
		if c := p[i]; c != '.' && c != '!' && c != '?' && c != 0xe2 {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		if !isTerminator(r) {
			i += size
			continue
		}
		// Consume the run of terminators and closing marks.
		end := i + size
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if !isTerminator(r2) && !isCloser(r2) {
				break
			}
			end += s2
		}
		if end >= len(p) || p[end] != ' ' {
			i = end
			continue
		}
		next, _ := utf8.DecodeRuneInString(p[end+1:])
		if !startsSentence(next) {
			i = end
			continue
		}
		if r == '.' && isCloserRun(p[i+1:end]) {
			word := wordBefore(p, i)
			if abbr.blocks(word, next) {
				i = end
				continue
			}
		}
		if s := strings.TrimSpace(p[start:end]); text.HasLetterOrDigit(s) && !yield(s) {
			return false
		}
		start = end + 1
		i = end + 1
	}
	if s := strings.TrimSpace(p[start:]); text.HasLetterOrDigit(s) {
		return yield(s)
	}
	return true
}

// isCloserRun reports whether s holds only closing quotes or brackets.
func isCloserRun(s string) bool {
	for _, r := range s {
		if !isCloser(r) {
			return false
		}
	}
	return true
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '»', '”', '’', ')', ']', '“':
		return true
	}
	return false
}

// startsSentence reports whether r can open a new sentence.
func startsSentence(r rune) bool {
	if unicode.IsUpper(r) || unicode.IsDigit(r) {
		return true
	}
	switch r {
	case '«', '"', '„', '“', '(', '[', '•', '\'':
		return true
	}
	return false
}

// wordBefore returns the token that ends at the full stop at p[dot], with the
// full stop, without any opening punctuation: "ст." in "згідно зі ст. 5".
func wordBefore(p string, dot int) string {
	start := strings.LastIndexByte(p[:dot], ' ') + 1
	w := p[start : dot+1]
	return strings.TrimLeft(w, "(«\"„“'[")
}

// abbreviations knows which dotted words do not end a sentence.
type abbreviations struct {
	// never holds abbreviations that do not end a sentence (lower case,
	// with the dot): titles, "street", "article", "city".
	never map[string]bool
	// weak holds abbreviations that end a sentence only before a
	// capitalised word: "etc.", "млн.", "т.д.".
	weak map[string]bool
}

// blocks reports whether the dotted word w keeps the sentence going when
// the rune next starts the following word.
func (a abbreviations) blocks(w string, next rune) bool {
	if w == "." {
		return false
	}
	// strings.ToLower(w), in a buffer on the stack for the usual short word.
	var buf [32]byte
	lw := buf[:0]
	for _, r := range w {
		lw = utf8.AppendRune(lw, text.ToLower(r))
	}
	if a.never[string(lw)] {
		return true
	}
	if a.weak[string(lw)] {
		return !unicode.IsUpper(next)
	}
	// "В. Зеленський", "J. Biden", "U.S. officials".
	return isInitial(w) || isDottedAcronym(w)
}

// isInitial reports whether w is one capital letter and a dot: "В.".
func isInitial(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	return size+1 == len(w) && unicode.IsUpper(r) && w[size] == '.'
}

// isDottedAcronym reports whether w is letters each followed by a dot, at
// least two of them: "U.S.", "т.зв.", "e.g.".
func isDottedAcronym(w string) bool {
	parts := strings.Split(strings.TrimSuffix(w, "."), ".")
	if len(parts) < 2 {
		return false
	}
	for _, part := range parts {
		n := utf8.RuneCountInString(part)
		if n == 0 || n > 3 {
			return false
		}
		for _, r := range part {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

func abbreviationsFor(lang news.Lang) abbreviations {
	switch lang {
	case news.Russian:
		return ruAbbr
	case news.English:
		return enAbbr
	}
	return ukAbbr
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// The tables below are read-only after package initialisation.
var (
	ukAbbr = abbreviations{
		never: set("ст.", "м.", "с.", "смт.", "сел.", "обл.", "вул.", "пл.", "просп.", "пров.", "бул.",
			"буд.", "кв.", "див.", "напр.", "пор.", "проф.", "акад.", "доц.", "ген.", "полк.", "підполк.",
			"майн.", "лейт.", "ст.лейт.", "серж.", "н.", "п.", "ч.", "пп.", "рис.", "табл.", "гл.", "розд.",
			"т.", "тел.", "о.", "оз.", "р-н.", "св.", "пан.", "пані.", "ім.", "англ.", "рос.", "укр.", "нім.",
			"франц.", "лат.", "грец.", "ін-т.", "з-д.", "пог.", "чол.", "жін.", "хв.", "год.", "сек.", "№."),
		weak: set("р.", "рр.", "тис.", "млн.", "млрд.", "трлн.", "грн.", "коп.", "дол.", "т.д.", "т.п.",
			"т.ін.", "ін.", "інш.", "тощо.", "н.е.", "км.", "кг.", "га.", "см.", "мм."),
	}
	ruAbbr = abbreviations{
		never: set("ст.", "г.", "гг.", "пгт.", "с.", "обл.", "ул.", "пл.", "просп.", "пер.", "бул.", "д.",
			"кв.", "см.", "напр.", "ср.", "проф.", "акад.", "доц.", "ген.", "полк.", "подполк.", "майор.",
			"лейт.", "серж.", "п.", "ч.", "пп.", "рис.", "табл.", "гл.", "разд.", "т.", "тел.", "о.", "оз.",
			"р-н.", "св.", "им.", "англ.", "рус.", "укр.", "нем.", "франц.", "лат.", "греч.", "г-н.", "г-жа.",
			"мин.", "сек.", "чел.", "№."),
		weak: set("тыс.", "млн.", "млрд.", "трлн.", "грн.", "руб.", "коп.", "долл.", "т.д.", "т.п.", "т.е.",
			"т.к.", "т.н.", "др.", "пр.", "н.э.", "км.", "кг.", "га.", "мм."),
	}
	enAbbr = abbreviations{
		never: set("mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "gen.", "col.", "lt.", "sgt.", "capt.", "cpt.",
			"maj.", "adm.", "rep.", "sen.", "gov.", "pres.", "rev.", "hon.", "mt.", "ft.", "no.", "nos.", "art.",
			"fig.", "vol.", "pp.", "p.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.",
			"oct.", "nov.", "dec.", "approx.", "dept.", "est.", "vs.", "v.", "e.g.", "i.e.", "cf.", "ave.", "blvd."),
		weak: set("etc.", "inc.", "ltd.", "co.", "corp.", "jr.", "sr.", "a.m.", "p.m.", "bn.", "mln.", "km.",
			"kg.", "al."),
	}
)
