package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aymanbagabas/go-udiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/perfplan/perfplan/dsl"
)

// fmtCommand rewrites plan files in canonical HCL format, as terraform fmt
// does. With -check it only lists the files that need it and exits 1; with
// -diff it prints the changes as a unified diff and rewrites nothing.
func fmtCommand(env Env, args []string) int {
	fs := newFlagSet("fmt", "fmt [-check] [-diff] PATH...", env.Stderr)
	check := fs.Bool("check", false, "do not write; list files that need formatting and exit 1 if any")
	diff := fs.Bool("diff", false, "print a unified diff of the changes instead of rewriting the files")
	var noColor bool
	addNoColorFlag(fs, &noColor)
	paths, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := fmtFiles(paths)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan fmt: %v\n", err)
		return ExitUsage
	}
	parser := hclparse.NewParser()
	var diags hcl.Diagnostics
	code = ExitOK
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "perfplan fmt: %v\n", err)
			return ExitUsage
		}
		// Refuse to reformat a file that does not parse: the result would
		// be meaningless. CheckSource first: the parser must not see a
		// file nested deeply enough to overflow its stack.
		if d := dsl.CheckSource(src, path); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if _, d := parser.ParseHCL(src, path); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		out := dsl.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		fmt.Fprintln(env.Stdout, path)
		if *diff {
			fmt.Fprint(env.Stdout, unifiedDiff(path, src, out))
		}
		if *check {
			code = ExitFailed
			continue
		}
		if *diff {
			continue // -diff shows the changes; it does not make them
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan fmt: %v\n", err)
			return ExitFailed
		}
	}
	if diags.HasErrors() {
		wr := hcl.NewDiagnosticTextWriter(env.Stderr, parser.Files(), 0, colorOn(env, noColor, env.StderrTTY))
		_ = wr.WriteDiagnostics(diags)
		return ExitUsage
	}
	return code
}

func fmtFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (d.Name()[0] == '.' || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && filepath.Ext(path) == ".hcl" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

func unifiedDiff(path string, old, new []byte) string {
	return udiff.Unified("a/"+path, "b/"+path, string(old), string(new))
}
