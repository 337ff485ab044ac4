package main

import (
	"fmt"
	"os/exec"
	"strings"
)

// truthRow is one line of bench/truth's table.
type truthRow struct{ section, check, measured, goal, ok string }

// truth runs bench/truth -quick as a child and keeps its table: one row
// here counts its checks, its whole table follows the main one.
func (r *runner) truth() error {
	out, err := r.child(r.bins["truth"], "-quick")
	if err != nil {
		return err
	}
	rows := parseTable(out)
	if len(rows) == 0 {
		return fmt.Errorf("bench/truth printed no table:\n%s", out)
	}
	var ok int
	var missed []string
	for _, t := range rows {
		switch t.ok {
		case "ok":
			ok++
		case "MISS":
			missed = append(missed, t.section+": "+t.check)
		}
	}
	value := fmt.Sprintf("%d ok, %d MISS", ok, len(missed))
	if len(missed) > 0 {
		value += " (" + strings.Join(missed, "; ") + ")"
	}
	r.add("truth", "bench/truth -quick: measurement checks against their goals (its table below)", value, "", "every check ok", ptr(len(missed) == 0))
	var b strings.Builder
	b.WriteString("| section | check | measured | goal | |\n|---|---|---|---|---|\n")
	for _, t := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", md(t.section), md(t.check), md(t.measured), md(t.goal), t.ok)
	}
	r.blocks = append(r.blocks, block{title: "bench/truth", command: "go run ./bench/truth -quick", text: b.String()})
	return nil
}

// parseTable reads the rows of a table that tablewriter drew with box
// characters, five cells a row, after its header; a row with an empty
// first cell continues the section above it.
func parseTable(out string) []truthRow {
	var rows []truthRow
	last := ""
	header := true
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "│") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "│"), "│")
		if len(cells) != 5 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if header {
			header = false
			continue
		}
		if cells[0] == "" {
			cells[0] = last
		}
		last = cells[0]
		rows = append(rows, truthRow{cells[0], cells[1], cells[2], cells[3], cells[4]})
	}
	return rows
}

// http runs bench/http (perfplan's http target beside wrk and hey against
// nginx on loopback) when the tree has it and the tools are installed; it
// installs nothing. Its table is kept whole.
func (r *runner) http() error {
	bin := r.bins["httpbench"]
	if bin == "" {
		r.skip("http", "this tree has no bench/http")
		return nil
	}
	var missing []string
	for _, t := range []string{"nginx", "wrk", "hey"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		r.skip("http", "missing "+strings.Join(missing, ", ")+" (bench/http installs them with apt-get when run alone)")
		return nil
	}
	runs, d := "3", "3s"
	if r.opts.quick {
		runs, d = "1", "1s"
	}
	args := []string{"-runs", runs, "-duration", d, "-perfplan", r.bins["perfplan"], "-install=false"}
	out, err := r.child(bin, args...)
	if err != nil {
		return err
	}
	r.add("http", "bench/http: the http target beside wrk and hey against nginx (its table below)", "see below", "", "", nil)
	r.blocks = append(r.blocks, block{title: "bench/http", command: "go run ./bench/http " + strings.Join(args[:4], " "), text: out})
	return nil
}

// skip records a section that did not run, and why.
func (r *runner) skip(section, why string) {
	r.add(section, "skipped", why, "", "", nil)
	r.notes = append(r.notes, section+" skipped: "+why)
}
