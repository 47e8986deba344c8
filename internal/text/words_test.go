package text

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

func TestMatchKeyword(t *testing.T) {
	a := &news.Article{Headline: "Зеленському доповіли: NATO's summit, F-16 та «Укренерго»",
		Lead: "Прем’єр заявив", Tags: []news.Tag{{Slug: "war", Name: "Війна"}}}
	words := SearchWords(a.Searchable()...)
	tests := []struct {
		kw   string
		want bool
	}{
		{"зеленськ", true},      // stem matches an inflected form
		{"зеленському", true},   // whole word
		{"nato", true},          // case folded, possessive after
		{"ato", false},          // never inside a word
		{"f-16", true},          // joined words
		{"укренерго", true},     // inside quotes
		{"прем'єр", true},       // apostrophe variants folded
		{"війна", true},         // tag names count
		{"summits", false},      // longer than the word
		{"", false},             // nothing
		{"доповіли:", false},    // punctuation is not part of words
		{"зеленського", false},  // another form
		{"nato's summit", true}, // several words, consecutive
		{"nato summit", true},   // each word at a word's start: "nato's summit"
		{"summit nato", false},  // order matters
		{"summit f-16", true},   // across a comma
		{"f-16 укренерго", false},
		{"доповіли nato", true}, // punctuation between words is no obstacle
	}
	for _, tt := range tests {
		if got := MatchKeyword(words, tt.kw); got != tt.want {
			t.Errorf("MatchKeyword(%q) = %v, want %v (words %q)", tt.kw, got, tt.want, words)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"верховна рада", []string{"верховна", "рада"}},
		{"f-16, u.s. та м'ясо", []string{"f-16", "u.s.", "та", "м'ясо"}},
		{"за\u0301мок (ст.)", []string{"за\u0301мок", "ст."}}, // a stress mark stays in its word
		{"«укренерго»: ", []string{"укренерго"}},
		{"", []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Words(tt.in)); diff != "" {
			t.Errorf("Words(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestHasWordPrefix(t *testing.T) {
	name := FoldName("Верховна Рада")
	words := Words(name)
	for q, want := range map[string]bool{"верх": true, "рада": true, "ра": true, "ада": false, "рада верх": false} {
		if got := HasWordPrefix(name, words, q); got != want {
			t.Errorf("HasWordPrefix(%q, %q) = %v, want %v", name, q, got, want)
		}
	}
}

// BenchmarkMatchKeyword is the keyword part of a fan-out: an article's
// words against 200 keywords, as for each announced article.
func BenchmarkMatchKeyword(b *testing.B) {
	a := &news.Article{
		Headline: "Зеленський провів переговори з партнерами щодо постачання F-16 та ППО",
		Lead:     "Президент України заявив, що Україна отримає нові системи протиповітряної оборони вже цього місяця.",
		Summary:  "Під час розмови сторони обговорили посилення ППО, енергетику та підготовку до зими. «Укренерго» звітує про ремонти.",
		Tags:     []news.Tag{{Slug: "war", Name: "Війна"}, {Slug: "zelenskyy", Name: "Володимир Зеленський"}},
	}
	kws := make([]string, 200)
	for i := range kws {
		kws[i] = strings.Repeat("к", 1+i%7) + "ищ"
	}
	kws[150] = "north korea"
	kws[199] = "укренерго"
	b.ReportAllocs()
	for b.Loop() {
		words := SearchWords(a.Searchable()...)
		n := 0
		for _, kw := range kws {
			if MatchKeyword(words, kw) {
				n++
			}
		}
		if n != 1 {
			b.Fatalf("%d keywords matched, want 1", n)
		}
	}
}

func BenchmarkCollapse(b *testing.B) {
	s := strings.Repeat("Президент  України\u00a0заявив,\u200b що Україна отримає нові системи.\n", 20)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Collapse(s)
	}
}

func TestMatchKeywordAllocatesNothing(t *testing.T) {
	words := SearchWords("NATO's summit, F-16 та «Укренерго»")
	if !MatchKeyword(words, " nato \t summit ") {
		t.Error(`MatchKeyword(" nato \t summit ") = false, want true`)
	}
	if allocs := testing.AllocsPerRun(100, func() { MatchKeyword(words, "summit f-16") }); allocs != 0 {
		t.Errorf("MatchKeyword allocates %v times", allocs)
	}
}
