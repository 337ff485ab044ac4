package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// JUnitTestSuites is the root element of the JUnit XML report, in the shape
// of the Ant/Jenkins junit-10 schema that CI systems read.
type JUnitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []JUnitTestSuite `xml:"testsuite"`
}

// JUnitTestSuite is one plan.
type JUnitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitTestCase `xml:"testcase"`
}

// JUnitProperty is a name/value pair of a test suite.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitTestCase is one assertion (or the start of a plan that failed to
// start).
type JUnitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
}

// JUnitProblem is a failure or error element: a message attribute, a type
// and a text body.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit builds the JUnit report of a run document: one testsuite per plan,
// one testcase per assertion named "scenario: condition". A failed assertion
// carries a failure whose message is the assertion's error message and whose
// body lists the observed values; an assertion that could not be evaluated
// is an error; a plan that failed to start is a single error testcase named
// "start".
func JUnit(d *Document) JUnitTestSuites {
	root := JUnitTestSuites{Name: "perfplan"}
	var total time.Duration
	rep, of := d.Repetitions()
	for i := range d.Plans {
		p := &d.Plans[i]
		elapsed := p.End.Sub(p.Start)
		if elapsed < 0 {
			elapsed = 0
		}
		total += elapsed
		suite := JUnitTestSuite{Name: repetitionLabel(p.Name, rep[i], of[i]), Time: seconds(elapsed)}
		if !p.Start.IsZero() {
			suite.Timestamp = p.Start.UTC().Format("2006-01-02T15:04:05")
		}
		suite.Hostname = d.Environment.Host
		suite.Properties = junitProperties(d, p)
		class := "perfplan." + sanitizeClass(p.Name)
		if p.Error != "" {
			suite.Cases = append(suite.Cases, JUnitTestCase{
				Name: "start", Classname: class, Time: seconds(0),
				Error: &JUnitProblem{Message: p.Error, Type: "start", Text: "plan " + p.Name + " could not run: " + p.Error},
			})
			suite.Errors++
		}
		for _, s := range p.Scenarios {
			for _, a := range s.Assertions {
				tc := JUnitTestCase{
					Name:      s.Name + ": " + a.Condition,
					Classname: class + "." + sanitizeClass(s.Name),
					Time:      seconds(time.Duration(s.ElapsedNS)),
				}
				if !a.Passed {
					msg := a.ErrorMessage
					if msg == "" {
						msg = "assertion failed: " + a.Condition
					}
					body := junitBody(a)
					if a.Error != "" {
						tc.Error = &JUnitProblem{Message: strings.TrimSpace(msg + ": " + a.Error), Type: "evaluation", Text: body}
						suite.Errors++
					} else {
						tc.Failure = &JUnitProblem{Message: msg, Type: "assertion", Text: body}
						suite.Failures++
					}
				}
				suite.Cases = append(suite.Cases, tc)
			}
		}
		suite.Tests = len(suite.Cases)
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Errors += suite.Errors
		root.Suites = append(root.Suites, suite)
	}
	root.Time = seconds(total)
	return root
}

func junitBody(a AssertionDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "condition: %s\n", a.Condition)
	if a.Pos != "" {
		fmt.Fprintf(&b, "at: %s\n", a.Pos)
	}
	b.WriteString("observed:")
	refs := ObservedRefs(a)
	if len(refs) == 0 {
		b.WriteString(" none")
	}
	for _, r := range refs {
		fmt.Fprintf(&b, " %s=%s", r, FormatMetric(r, a.Observed[r]))
	}
	b.WriteByte('\n')
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if a.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", a.Error)
	}
	if a.Aborted {
		b.WriteString("the run was aborted by this assertion\n")
	}
	return b.String()
}

func junitProperties(d *Document, p *PlanDoc) []JUnitProperty {
	score, word := Grade(*p)
	props := []JUnitProperty{
		{Name: "file", Value: p.File},
		{Name: "grade", Value: Number(score) + " " + word},
	}
	if d.Environment.GitCommit != "" {
		props = append(props, JUnitProperty{Name: "git_commit", Value: d.Environment.GitCommit})
	}
	if d.Environment.GoVersion != "" {
		props = append(props, JUnitProperty{Name: "go_version", Value: d.Environment.GoVersion})
	}
	if p.Interrupted {
		props = append(props, JUnitProperty{Name: "interrupted", Value: "true"})
	}
	// Figures that cannot be trusted as they stand, per scenario.
	for _, s := range p.Scenarios {
		for _, n := range trustNotes(s, "") {
			props = append(props, JUnitProperty{Name: "warning", Value: n})
		}
	}
	return props
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func sanitizeClass(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}

// WriteJUnit writes the run document as JUnit XML; see JUnit.
func WriteJUnit(w io.Writer, d *Document) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(JUnit(d)); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}
