package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNoTypeAssertionInCmd holds the wiring rule of docs/architecture.md:
// the command takes each capability from the store's gamedata.Backend, never
// by asserting a type through a decorator.
func TestNoTypeAssertionInCmd(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if ta, ok := n.(*ast.TypeAssertExpr); ok {
				t.Errorf("%s: a type assertion; take the capability from gamedata.Backend", fset.Position(ta.Pos()))
			}
			return true
		})
	}
	if files < 10 {
		t.Fatalf("read only %d files of cmd/gamedata", files)
	}
}
