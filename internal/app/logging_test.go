package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Logs speak one dialect: an error is always the attribute "err"
// (docs/operations.md, DEVELOPERS.md). This test reads every Go file of
// the module and fails on a slog call that names an attribute "error".
func TestLogsNameErrorsErr(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	files := 0
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
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, pos := range errorKeys(f) {
			rel, _ := filepath.Rel(root, fset.Position(pos).Filename)
			t.Errorf("%s:%d: a log attribute is named \"error\"; name it \"err\"", rel, fset.Position(pos).Line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d Go files under %s; the module has more", files, root)
	}
}

// The check itself finds each way of writing the key.
func TestErrorKeysFindsEveryForm(t *testing.T) {
	src := `package p
func f() {
	log.Warn("a", "error", err)                         // 1
	log.Info("b", "edition", ed, slog.Any("error", err)) // 2
	log.With("error", err)                              // 3
	log.ErrorContext(ctx, "c", "chat_id", id, "error", err) // 4
	log.LogAttrs(ctx, slog.LevelWarn, "d", slog.String("error", s)) // 5
	_ = slog.Attr{Key: "error", Value: v}                // 6
	log.Warn("fine", "err", err, "kind", "error")
	t.Error("error", "x")
	cat.T(lang, "admin.drift", "error", text)
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(errorKeys(f)); n != 6 {
		t.Errorf("found %d uses of the key, want 6", n)
	}
}

// loggerMethods maps the methods of *slog.Logger (and the package-level
// functions of slog) to the index of their first key-value argument.
var loggerMethods = map[string]int{
	"Debug": 1, "Info": 1, "Warn": 1, "Error": 1,
	"DebugContext": 2, "InfoContext": 2, "WarnContext": 2, "ErrorContext": 2,
	"Log": 3, "LogAttrs": 3, "With": 0,
}

// attrConstructors are slog's functions that take the key first.
var attrConstructors = map[string]bool{
	"Any": true, "String": true, "Int": true, "Int64": true, "Uint64": true, "Float64": true,
	"Bool": true, "Time": true, "Duration": true, "Group": true,
}

// errorKeys returns where f names a log attribute "error".
func errorKeys(f *ast.File) []token.Pos {
	var out []token.Pos
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if isSlog(n.Type, "Attr") {
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Key") && isErrorLit(kv.Value) {
						out = append(out, kv.Value.Pos())
					}
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if isSlog(sel, "") && attrConstructors[sel.Sel.Name] && len(n.Args) > 0 && isErrorLit(n.Args[0]) {
				out = append(out, n.Args[0].Pos())
			}
			first, ok := loggerMethods[sel.Sel.Name]
			if !ok || isTestingVar(sel.X) {
				return true
			}
			// Key-value pairs: a string literal is a key followed by its
			// value; anything else is taken for an slog.Attr.
			for i := first; i < len(n.Args); i++ {
				if lit, ok := n.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if isErrorLit(lit) {
						out = append(out, lit.Pos())
					}
					i++
				}
			}
		}
		return true
	})
	return out
}

func isErrorLit(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(lit.Value)
	return err == nil && s == "error"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isSlog reports whether e is slog.<name> (any name when name is empty).
func isSlog(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, "slog") && (name == "" || sel.Sel.Name == name)
}

// isTestingVar reports whether e is a *testing.T or B by its usual name:
// t.Error is not a log call.
func isTestingVar(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "t" || id.Name == "b" || id.Name == "tb")
}

// moduleRoot is the directory of go.mod above the test's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}
