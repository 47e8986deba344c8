package app

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Each dependency is wrapped by the packages DEVELOPERS.md names, and no
// package but the wiring imports the Telegram edge: the layout table there
// is checked here against every non-test Go file of the module.
func TestImportsFollowTheLayout(t *testing.T) {
	allowed := map[string][]string{ // import → the directories that may import it
		"github.com/redis/go-redis/v9":                       {"internal/store", "internal/queue", "internal/redistest"},
		"github.com/go-telegram-bot-api/telegram-bot-api/v5": {"internal/telegram"},
		"github.com/PuerkitoBio/goquery":                     {"internal/source/upravda/extract"},
		"github.com/mmcdole/gofeed":                          {"internal/source/upravda/discover"},
		"github.com/alicebob/miniredis/v2":                   {"internal/store/embedded"},
		"github.com/prometheus/client_golang/prometheus":     {"internal/metrics"},
		"newsbot/bot": {"internal/app", "cmd/newsbot"},
	}
	root := moduleRoot(t)
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for lib, dirs := range allowed {
				if p != lib && !strings.HasPrefix(p, lib+"/") {
					continue
				}
				ok := false
				for _, d := range dirs {
					ok = ok || dir == d
				}
				if !ok {
					t.Errorf("%s imports %s; only %v may (DEVELOPERS.md)", filepath.ToSlash(path[len(root)+1:]), lib, dirs)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 80 {
		t.Fatalf("checked %d files; the module has more", checked)
	}
}
