package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/perfplan/perfplan/report"
)

// stepSummaryEnv names the file GitHub Actions shows as a job's summary:
// each step may append Markdown to it.
const stepSummaryEnv = "GITHUB_STEP_SUMMARY"

// appendStepSummary appends the run's Markdown summary (the --out markdown
// document) to the file named by GITHUB_STEP_SUMMARY, when it is set. A
// file that cannot be written is a warning: the run's verdict stands.
func appendStepSummary(env Env, doc *report.Document) {
	path := env.getenv(stepSummaryEnv)
	if path == "" {
		return
	}
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, doc); err != nil {
		fmt.Fprintf(env.Stderr, "perfplan: warning: $%s: %v\n", stepSummaryEnv, err)
		return
	}
	buf.WriteByte('\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, report.FileMode)
	if err == nil {
		_, err = f.Write(buf.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan: warning: $%s: %v\n", stepSummaryEnv, err)
	}
}
