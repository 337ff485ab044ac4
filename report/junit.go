package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/executor"
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
	// Skipped marks an inconclusive assertion: it failed only on
	// figures that measured interference explains.
	Skipped *JUnitSkipped `xml:"skipped,omitempty"`
}

// JUnitSkipped is a skipped element with the reason.
type JUnitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnitProblem is a failure or error element: a message attribute, a type
// and a text body.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitInterrupted is the type of the error elements that mark an
// interrupted run in the JUnit report.
const JUnitInterrupted = "interrupted"

// JUnit builds the JUnit report of a run document: one testsuite per plan,
// one testcase per assertion named "scenario: condition". A failed assertion
// carries a failure whose message is the assertion's error message and whose
// body lists the observed values; an assertion that could not be evaluated
// is an error; a plan that failed to start is a single error testcase named
// "start".
//
// An interrupted run fails: every assertion of a scenario the interruption
// cut short is an error of type "interrupted" (its verdict on the partial
// results is in the body), whether or not it held. A plan marked
// interrupted without such a scenario (the signal came as its last scenario
// ended) gets an error testcase named "interrupted"; so does a testsuite
// named "perfplan" when the document is interrupted but none of its plans
// is, because the plans and repetitions that were still to run are missing.
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
		suite := JUnitTestSuite{Name: RepetitionLabel(p.Name, rep[i], of[i]), Time: seconds(elapsed)}
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
		marked := false
		for _, s := range AssertionGroups(p) {
			for _, a := range s.Assertions {
				tc := JUnitTestCase{
					Name:      s.Name + ": " + a.Condition,
					Classname: class + "." + sanitizeClass(s.Name),
					Time:      seconds(time.Duration(s.ElapsedNS)),
				}
				switch {
				case s.Interrupted:
					tc.Error = junitInterruptedError(s.Name, a)
					suite.Errors++
					marked = true
				case a.Outcome() == executor.VerdictInconclusive:
					tc.Skipped = &JUnitSkipped{Message: "inconclusive: " + a.Inconclusive}
					suite.Skipped++
				case !a.Passed:
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
			if s.Interrupted && len(s.Assertions) == 0 {
				suite.Cases = append(suite.Cases, JUnitTestCase{
					Name: s.Name + ": " + JUnitInterrupted, Classname: class + "." + sanitizeClass(s.Name), Time: seconds(time.Duration(s.ElapsedNS)),
					Error: &JUnitProblem{Message: "the run was interrupted before scenario " + s.Name + " finished", Type: JUnitInterrupted,
						Text: "scenario " + s.Name + " was interrupted by a signal; its figures are partial\n"},
				})
				suite.Errors++
				marked = true
			}
		}
		if p.Interrupted && !marked {
			suite.Cases = append(suite.Cases, JUnitTestCase{
				Name: JUnitInterrupted, Classname: class, Time: seconds(0),
				Error: &JUnitProblem{Message: "the run of plan " + p.Name + " was interrupted", Type: JUnitInterrupted,
					Text: "plan " + p.Name + " was interrupted by a signal after its scenarios finished\n"},
			})
			suite.Errors++
		}
		suite.Tests = len(suite.Cases)
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Errors += suite.Errors
		root.Suites = append(root.Suites, suite)
	}
	if InterruptedBetweenPlans(d) {
		suite := JUnitTestSuite{Name: "perfplan", Time: seconds(0), Tests: 1, Errors: 1,
			Properties: []JUnitProperty{{Name: "interrupted", Value: "true"}}, Cases: []JUnitTestCase{{
				Name: JUnitInterrupted, Classname: "perfplan", Time: seconds(0),
				Error: &JUnitProblem{Message: "the run was interrupted before every plan ran", Type: JUnitInterrupted,
					Text: InterruptedBetweenPlansNote + "\n"},
			}}}
		root.Tests++
		root.Errors++
		root.Suites = append(root.Suites, suite)
	}
	root.Time = seconds(total)
	return root
}

// junitInterruptedError is the error element of assertion a in scenario,
// which the interruption cut short: the body gives the assertion's verdict
// on the partial results.
func junitInterruptedError(scenario string, a AssertionDoc) *JUnitProblem {
	verdict := "held"
	if !a.Passed {
		verdict = "failed"
		msg := a.ErrorMessage
		if a.Error != "" {
			msg = strings.TrimSpace(msg + ": " + a.Error)
		}
		if msg != "" {
			verdict += " (" + msg + ")"
		}
	}
	return &JUnitProblem{
		Message: "the run was interrupted before scenario " + scenario + " finished; the assertion was not checked on complete results",
		Type:    JUnitInterrupted,
		Text:    junitBody(a) + "on the partial results the assertion " + verdict + "\n",
	}
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
