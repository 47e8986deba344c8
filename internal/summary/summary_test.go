package summary

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		lang news.Lang
		text string
		want []string
	}{
		{
			name: "uk abbreviations and initials",
			lang: news.Ukrainian,
			text: "Згідно зі ст. 5 закону, В. Зеленський підписав указ у м. Київ. Наступного дня його оприлюднили.",
			want: []string{
				"Згідно зі ст. 5 закону, В. Зеленський підписав указ у м. Київ.",
				"Наступного дня його оприлюднили.",
			},
		},
		{
			name: "uk weak abbreviation ends a sentence before a capital",
			lang: news.Ukrainian,
			text: "Збитки сягнули 5 млн. Уряд обіцяє компенсацію. Ціни зросли на 3 млн. гривень за тиждень.",
			want: []string{
				"Збитки сягнули 5 млн.",
				"Уряд обіцяє компенсацію.",
				"Ціни зросли на 3 млн. гривень за тиждень.",
			},
		},
		{
			name: "uk quotes and dashes",
			lang: news.Ukrainian,
			text: `"Ми готові до переговорів!" – заявив він. «Чи готові вони?» Питання лишається відкритим…  Далі буде.`,
			want: []string{
				`"Ми готові до переговорів!" – заявив він.`,
				`«Чи готові вони?»`,
				"Питання лишається відкритим…",
				"Далі буде.",
			},
		},
		{
			name: "ru abbreviations",
			lang: news.Russian,
			text: "В г. Харьков по ул. Сумской т.е. в центре города прогремел взрыв. Пострадали 3 чел. Работают спасатели.",
			want: []string{
				"В г. Харьков по ул. Сумской т.е. в центре города прогремел взрыв.",
				"Пострадали 3 чел. Работают спасатели.",
			},
		},
		{
			name: "ru initials",
			lang: news.Russian,
			text: "Об этом сообщил А. Б. Петров. Он добавил детали.",
			want: []string{"Об этом сообщил А. Б. Петров.", "Он добавил детали."},
		},
		{
			name: "en acronyms, titles, decimals",
			lang: news.English,
			text: "The U.S. State Department said Mr. Blinken met Gen. Syrskyi at 3.30 p.m. on Monday. Talks went on. Prices rose 2.5% etc. Nothing else.",
			want: []string{
				"The U.S. State Department said Mr. Blinken met Gen. Syrskyi at 3.30 p.m. on Monday.",
				"Talks went on.",
				"Prices rose 2.5% etc.",
				"Nothing else.",
			},
		},
		{
			name: "paragraphs always split, blank ones dropped",
			lang: news.English,
			text: "First line without a stop\n\n  \nSecond   line\twith spaces.\n***",
			want: []string{"First line without a stop", "Second line with spaces."},
		},
		{
			name: "lowercase after stop does not split",
			lang: news.English,
			text: "It was 5 a.m. when it started. Version 2. is out. then",
			want: []string{"It was 5 a.m. when it started.", "Version 2. is out. then"},
		},
		{
			name: "empty",
			lang: news.Ukrainian,
			text: " \n\t ",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sentences(tt.text, tt.lang)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Sentences() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	long := strings.Repeat("дуже ", 200) + "довге речення."
	tests := []struct {
		name                 string
		lead, body, fallback string
		lang                 news.Lang
		budget               int
		want                 string
	}{
		{
			name:   "lead then body, three sentences at most",
			lead:   "Перше речення. Друге речення.",
			body:   "Третє речення.\n\nЧетверте речення.",
			lang:   news.Ukrainian,
			budget: 600,
			want:   "Перше речення. Друге речення. Третє речення.",
		},
		{
			name:   "body repeating the lead is skipped",
			lead:   "Уряд ухвалив рішення.",
			body:   "Уряд ухвалив рішення.\n\nВоно набуде чинності завтра.",
			lang:   news.Ukrainian,
			budget: 600,
			want:   "Уряд ухвалив рішення. Воно набуде чинності завтра.",
		},
		{
			name:   "budget stops before a sentence that does not fit",
			lead:   "One two three. Four five six seven.",
			lang:   news.English,
			budget: 20,
			want:   "One two three.",
		},
		{
			name:   "sources and labels are dropped, details label stripped",
			body:   "Source: a news agency.\n\nDetails: The ministry confirmed it.\n\nBackground:\n\nTalks resume on Monday.",
			lang:   news.English,
			budget: 600,
			want:   "The ministry confirmed it. Talks resume on Monday.",
		},
		{
			name:     "fallback when lead and body are empty",
			fallback: "Опис статті. Другий рядок опису.",
			lang:     news.Ukrainian,
			budget:   600,
			want:     "Опис статті. Другий рядок опису.",
		},
		{
			name:     "fallback when nothing in lead and body is usable",
			body:     "Джерело: агенція.",
			fallback: "Опис.",
			lang:     news.Ukrainian,
			budget:   600,
			want:     "Опис.",
		},
		{
			name:   "first sentence longer than the budget is shortened at a word",
			lead:   "Alpha beta, gamma delta epsilon.",
			lang:   news.English,
			budget: 17,
			want:   "Alpha beta…",
		},
		{
			name:   "default budget",
			lead:   long,
			lang:   news.Ukrainian,
			budget: 0,
			want:   strings.TrimSpace(strings.Repeat("дуже ", 120)) + "…",
		},
		{
			name: "everything empty",
			lang: news.English,
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.lead, tt.body, tt.fallback, tt.lang, tt.budget)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Summarize() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSummarizeNeverCutsAWord checks, over many budgets, that the summary
// fits the budget and every word in it is a whole word of the input.
func TestSummarizeNeverCutsAWord(t *testing.T) {
	lead := "Президент України В. Зеленський провів зустріч із прем'єр-міністром у м. Київ і обговорив ситуацію на фронті."
	body := "Сторони погодили нові кроки. Деталі: уряд виділить 5 млн. Гривні спрямують на відновлення.\n\nЦе не перша така зустріч."
	words := make(map[string]bool)
	for _, w := range strings.Fields(lead + " " + body) {
		words[w] = true
	}
	for budget := 1; budget <= 300; budget++ {
		got := Summarize(lead, body, "", news.Ukrainian, budget)
		if n := utf8.RuneCountInString(got); n > budget {
			t.Fatalf("budget %d: summary has %d runes: %q", budget, n, got)
		}
		for _, w := range strings.Fields(strings.TrimSuffix(got, ellipsis)) {
			if !words[w] && !words[w+","] && !words[w+"."] && !words["Деталі: "+w] && !isPrefixOfSome(words, w) {
				t.Fatalf("budget %d: %q is not a word of the input in %q", budget, w, got)
			}
		}
	}
}

// isPrefixOfSome reports whether w is a word of the input without its
// trailing punctuation (which shorten trims).
func isPrefixOfSome(words map[string]bool, w string) bool {
	for k := range words {
		if strings.TrimRight(k, ",.:;") == w {
			return true
		}
	}
	return false
}

func FuzzSentences(f *testing.F) {
	f.Add("В. Зеленський у м. Київ. Далі.", 600)
	f.Add("U.S. officials... said \"No!\" Then?", 10)
	f.Add("…\n\n.«»", 1)
	f.Fuzz(func(t *testing.T, text string, budget int) {
		for _, lang := range news.Langs {
			for _, s := range Sentences(text, lang) {
				if s == "" || s != strings.TrimSpace(s) {
					t.Fatalf("bad sentence %q", s)
				}
			}
			got := Summarize(text, text, text, lang, budget)
			if budget > 0 && utf8.RuneCountInString(got) > budget {
				t.Fatalf("summary over budget %d: %q", budget, got)
			}
		}
	})
}
