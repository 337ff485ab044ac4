package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/report"
)

// resultFile is a file perfplan run writes when the run ends: an --out
// FORMAT=PATH or the --save-baseline PATH.
type resultFile struct {
	flag   string // as the user wrote it, for messages: "--out json=run.json"
	format string // a report.Writers name
	path   string
	// baseline marks the --save-baseline file.
	baseline bool
}

// resultFiles lists the files the run writes at its end, in order.
func (f *runFlags) resultFiles() []resultFile {
	var files []resultFile
	for _, o := range f.outs {
		if o.format == promFormat {
			continue // pushed while the run goes on (liveOutputs)
		}
		files = append(files, resultFile{flag: "--out " + o.format + "=" + o.path, format: o.format, path: o.path})
	}
	if f.saveBaseline != "" {
		files = append(files, resultFile{flag: "--save-baseline " + f.saveBaseline, format: "json", path: f.saveBaseline, baseline: true})
	}
	return files
}

// checkRunOutputs checks, before anything runs, that every result file of
// the run can be written, so that a bad path is a usage error (exit 2) and
// not a surprise after minutes of load. It creates nothing that outlives it:
// missing parent directories are created only when the results are written.
// Two result files with the same path are an error too. A history database
// that cannot be written is only a warning, as it is at the end of the run.
func checkRunOutputs(env Env, f *runFlags) int { return checkOutputs(env, "run", f) }

// checkOutputs is checkRunOutputs for the command cmd (run, merge).
func checkOutputs(env Env, cmd string, f *runFlags) int {
	code := ExitOK
	seen := map[string]string{}
	for _, rf := range f.resultFiles() {
		if rf.path == stdoutPath {
			if other, dup := seen[stdoutPath]; dup {
				fmt.Fprintf(env.Stderr, "perfplan "+cmd+": %s and %s both write to standard output (-)\n", other, rf.flag)
				code = ExitUsage
			}
			seen[stdoutPath] = rf.flag
			continue
		}
		target, inPlace, err := checkWritable(rf.path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "perfplan "+cmd+": %s: cannot write %s: %v\n", rf.flag, rf.path, err)
			code = ExitUsage
			continue
		}
		if inPlace {
			continue
		}
		key := target
		if abs, err := filepath.Abs(target); err == nil {
			key = abs
		}
		if other, dup := seen[key]; dup {
			fmt.Fprintf(env.Stderr, "perfplan "+cmd+": %s and %s write the same file\n", other, rf.flag)
			code = ExitUsage
			continue
		}
		seen[key] = rf.flag
	}
	if code == ExitOK && !f.noHistory {
		path := history.ResolvePath(f.history, env.getenv)
		if _, _, err := checkWritable(path); err != nil && !history.IsURL(path) {
			fmt.Fprintf(env.Stderr, "perfplan "+cmd+": warning: history %s cannot be written (%v); this run will not be recorded in it\n", path, err)
		}
	}
	return code
}

// checkWritable reports whether writeResultFile can write path, without
// creating or changing anything. It returns the file that will be written
// (path with symbolic links resolved), and whether it is written in place
// (a device, pipe or socket such as /dev/null or /dev/stdout) rather than
// replaced atomically. For a replacement, the nearest existing directory on
// the way to path must be a directory in which a file can be created: it is
// tried with a temporary file, removed at once.
func checkWritable(path string) (target string, inPlace bool, err error) {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return "", false, errors.New("the path names a directory, not a file")
	}
	target, inPlace, err = resolveOutput(path)
	if err != nil || inPlace {
		return target, inPlace, err
	}
	dir, err := nearestDir(filepath.Dir(target))
	if err != nil {
		return "", false, err
	}
	tmp, err := os.CreateTemp(dir, ".perfplan-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", false, fmt.Errorf("cannot create files in directory %s: %w", dir, err)
	}
	name := tmp.Name()
	tmp.Close()
	if err := os.Remove(name); err != nil {
		return "", false, fmt.Errorf("remove test file: %w", err)
	}
	return target, false, nil
}

// resolveOutput decides how a result file at path is written. A path that
// does not exist, or names a regular file, is replaced atomically; a
// symbolic link to a regular file is followed, so the link stays and its
// target is replaced. A device, pipe or socket (after following links, as
// for /dev/stdout) is written in place, since renaming over it would replace
// it. A directory is an error.
func resolveOutput(path string) (target string, inPlace bool, err error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, false, nil
	case err != nil:
		return "", false, err
	case st.IsDir():
		return "", false, errors.New("it is a directory")
	case !st.Mode().IsRegular():
		return path, true, nil
	}
	target, err = filepath.EvalSymlinks(path)
	if err != nil {
		return "", false, err
	}
	return target, false, nil
}

// nearestDir returns dir or, when it does not exist yet, its nearest
// existing ancestor, which must be a directory.
func nearestDir(dir string) (string, error) {
	for {
		st, err := os.Stat(dir)
		switch {
		case err == nil && st.IsDir():
			return dir, nil
		case err == nil:
			return "", fmt.Errorf("%s is not a directory", dir)
		case !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		dir = parent
	}
}

// writeRunOutputs writes every result file of the run and reports whether
// all of them were written; each failure is printed.
func writeRunOutputs(env Env, doc *report.Document, f *runFlags) bool {
	ok := true
	for _, rf := range f.resultFiles() {
		if rf.path == stdoutPath {
			if err := writeStdoutResult(doc, rf.format, f.resultStdout(env)); err != nil {
				fmt.Fprintf(env.Stderr, "perfplan: %s: %v\n", rf.flag, err)
				ok = false
			} else {
				fmt.Fprintf(env.Stderr, "wrote %s results to standard output\n", rf.format)
			}
			continue
		}
		if err := writeResultFile(doc, rf.format, rf.path); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan: %s: %v\n", rf.flag, err)
			ok = false
			continue
		}
		if rf.baseline {
			fmt.Fprintf(env.Stderr, "wrote baseline to %s\n", rf.path)
		} else {
			fmt.Fprintf(env.Stderr, "wrote %s results to %s\n", rf.format, rf.path)
		}
	}
	if !ok {
		fmt.Fprintf(env.Stderr, "perfplan: results not written; exit code %d (the tables above give the run's verdict)\n", ExitOutput)
	}
	return ok
}

// stdoutPath is the result path that means standard output: --out json=-.
const stdoutPath = "-"

// toStdout reports whether a result goes to standard output; the tables
// and other lines of the run then go to standard error, so that standard
// output holds the result alone (perfplan run --out json=- plan.hcl | jq).
func (f *runFlags) toStdout() bool {
	for _, rf := range f.resultFiles() {
		if rf.path == stdoutPath {
			return true
		}
	}
	return false
}

// resultStdout is where a result written to "-" goes: the process's
// standard output, kept aside when the rest of the run's output was moved
// to standard error.
func (f *runFlags) resultStdout(env Env) io.Writer {
	if f.stdout != nil {
		return f.stdout
	}
	return env.Stdout
}

// render renders the document in format, which the flags have checked.
func render(d *report.Document, format string) ([]byte, error) {
	write, ok, err := writerFor(format)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("render: unknown format %q", format)
	}
	var buf bytes.Buffer
	if err := write(d, &buf); err != nil {
		return nil, fmt.Errorf("render %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// writeStdoutResult renders the document in format to w.
func writeStdoutResult(d *report.Document, format string, w io.Writer) error {
	b, err := render(d, format)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write to standard output: %w", err)
	}
	return nil
}

// writeResultFile renders the document in format and writes it to path as
// resolveOutput decides: atomically, so a reader never sees a partial file,
// or in place for a device or pipe.
func writeResultFile(d *report.Document, format, path string) error {
	b, err := render(d, format)
	if err != nil {
		return err
	}
	target, inPlace, err := resolveOutput(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !inPlace {
		return report.WriteFileAtomic(target, b)
	}
	out, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := out.Write(b); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
