package embedded_test

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"newsbot/internal/store"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func inf(sign int) float64 { return math.Inf(sign) }

func slicesSort(s []string) { slices.Sort(s) }

// fmtAny prints a value deterministically (maps are printed sorted by fmt).
func fmtAny(v any) string { return fmt.Sprintf("%#v", v) }

func writeBackup(t *testing.T, path string, b *store.Backup) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must(t, b.Write(f))
}
